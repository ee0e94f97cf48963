import { describe, expect, it } from 'vitest';
import { decodeReply, encodeRequest, judgeReply, readTimestamp, writeTimestamp } from './sntp.js';

/** A server reply as a server builds it: originate = the client's transmit. */
function reply(opts: { sent: Buffer; t2: number; t3: number; stratum?: number; leap?: number; mode?: number; refId?: string }): Buffer {
  const b = Buffer.alloc(48);
  b[0] = ((opts.leap ?? 0) << 6) | (4 << 3) | (opts.mode ?? 4);
  b[1] = opts.stratum ?? 2;
  b.write((opts.refId ?? 'GPS\0').padEnd(4, '\0').slice(0, 4), 12, 'latin1');
  opts.sent.copy(b, 24, 40, 48);
  writeTimestamp(b, 32, opts.t2);
  writeTimestamp(b, 40, opts.t3);
  return b;
}

describe('sntp', () => {
  const t1 = Date.UTC(2026, 10, 27, 0, 0, 0, 250);

  it('round-trips timestamps to well under a microsecond', () => {
    const b = Buffer.alloc(8);
    writeTimestamp(b, 0, t1 + 0.123);
    expect(readTimestamp(b, 0)).toBeCloseTo(t1 + 0.123, 3);
    // 1900-01-01 is NTP time zero.
    expect(b.readUInt32BE(0)).toBe(Math.floor(t1 / 1000) + 2_208_988_800);
  });

  it('encodes a v4 client request with the transmit time', () => {
    const req = encodeRequest(t1);
    expect(req.length).toBe(48);
    expect(req[0]).toBe(0b00_100_011);
    expect(readTimestamp(req, 40)).toBeCloseTo(t1, 3);
  });

  it('computes offset and delay per RFC 5905 (server 1.5 s ahead, 40 ms path, 10 ms processing)', () => {
    const req = encodeRequest(t1);
    const t2 = t1 + 1500 + 20; // server clock ahead by 1.5 s, 20 ms out
    const t3 = t2 + 10;
    const t4 = t1 + 20 + 10 + 20; // in client time
    const v = judgeReply(decodeReply(reply({ sent: req, t2, t3 }))!, req.subarray(40, 48), t1, t4);
    expect(v.kind).toBe('ok');
    if (v.kind !== 'ok') return;
    expect(v.offsetSeconds).toBeCloseTo(1.5, 6);
    expect(v.delaySeconds).toBeCloseTo(0.04, 6);
    expect(v.stratum).toBe(2);
  });

  it('a negative offset when the server is behind', () => {
    const req = encodeRequest(t1);
    const v = judgeReply(decodeReply(reply({ sent: req, t2: t1 - 3000, t3: t1 - 3000 }))!, req.subarray(40, 48), t1, t1);
    expect(v).toMatchObject({ kind: 'ok', offsetSeconds: expect.closeTo(-3, 6) });
  });

  it('kiss-o-death, unsynchronised, wrong mode and a reply to another request', () => {
    const req = encodeRequest(t1);
    const sent = req.subarray(40, 48);
    const judge = (b: Buffer) => judgeReply(decodeReply(b)!, sent, t1, t1 + 1);
    expect(judge(reply({ sent: req, t2: t1, t3: t1, stratum: 0, refId: 'RATE' }))).toEqual({ kind: 'kiss', code: 'RATE' });
    expect(judge(reply({ sent: req, t2: t1, t3: t1, stratum: 0, leap: 3, refId: 'DENY' }))).toEqual({ kind: 'kiss', code: 'DENY' });
    expect(judge(reply({ sent: req, t2: t1, t3: t1, leap: 3 }))).toEqual({ kind: 'unsynchronised' });
    expect(judge(reply({ sent: req, t2: t1, t3: t1, stratum: 0, leap: 3, refId: '\0\0\0\0' }))).toEqual({ kind: 'unsynchronised' });
    expect(judge(reply({ sent: req, t2: t1, t3: t1, stratum: 16 }))).toEqual({ kind: 'unsynchronised' });
    expect(judge(reply({ sent: req, t2: t1, t3: t1, mode: 3 }))).toMatchObject({ kind: 'invalid' });
    expect(judge(reply({ sent: encodeRequest(t1 + 5), t2: t1, t3: t1 }))).toEqual({ kind: 'invalid', why: 'reply to another request' });
  });

  it('a short datagram is not a reply; a kiss code is printable ASCII only', () => {
    expect(decodeReply(Buffer.alloc(47))).toBeUndefined();
    const req = encodeRequest(t1);
    const b = reply({ sent: req, t2: t1, t3: t1, stratum: 0, refId: 'D\nN\x01' });
    expect(decodeReply(b)!.refId).toBe('DN');
    // Two printable letters are not a kiss code: the server is merely unsynchronised.
    expect(judgeReply(decodeReply(b)!, req.subarray(40, 48), t1, t1)).toEqual({ kind: 'unsynchronised' });
  });

  describe('NTP era 1 (from 2036-02-07 06:28:16 UTC)', () => {
    const t2040 = Date.UTC(2040, 5, 1, 12, 0, 0, 250);

    it('reads a timestamp with the top bit clear as era 1 (RFC 4330 §3): 2040 round-trips', () => {
      const b = Buffer.alloc(8);
      writeTimestamp(b, 0, t2040);
      // Era 1 seconds are small: the era rolled over in 2036.
      expect(b.readUInt32BE(0)).toBe(Math.floor(t2040 / 1000) + 2_208_988_800 - 2 ** 32);
      expect(readTimestamp(b, 0)).toBeCloseTo(t2040, 3);
    });

    it('the two sides of the rollover: 2036-02-07 06:28:15 is era 0, one second later era 1', () => {
      const rollover = Date.UTC(2036, 1, 7, 6, 28, 16);
      const b = Buffer.alloc(8);
      // The rollover instant itself is all zero bits, which RFC 5905 reserves for "not set" (below).
      for (const t of [rollover - 1000, rollover + 1, rollover + 1000, Date.UTC(1968, 0, 20, 3, 14, 8)]) {
        writeTimestamp(b, 0, t);
        expect(readTimestamp(b, 0), new Date(t).toISOString()).toBeCloseTo(t, 3);
      }
    });

    it('an unset timestamp (all zero bits) stays unset, not 2036: a reply without transmit time is invalid', () => {
      expect(readTimestamp(Buffer.alloc(8), 0)).toBe(0);
      const req = encodeRequest(t2040);
      const b = reply({ sent: req, t2: t2040, t3: t2040 });
      b.fill(0, 40, 48);
      expect(judgeReply(decodeReply(b)!, req.subarray(40, 48), t2040, t2040)).toEqual({ kind: 'invalid', why: 'no transmit time' });
    });

    it('offset and delay for a server in 2040', () => {
      const req = encodeRequest(t2040);
      const t2 = t2040 + 1500 + 20;
      const v = judgeReply(decodeReply(reply({ sent: req, t2, t3: t2 + 10 }))!, req.subarray(40, 48), t2040, t2040 + 50);
      expect(v).toMatchObject({ kind: 'ok', offsetSeconds: expect.closeTo(1.5, 6), delaySeconds: expect.closeTo(0.04, 6) });
    });
  });
});
