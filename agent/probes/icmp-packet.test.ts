import { describe, expect, it } from 'vitest';
import { echoRequest, internetChecksum, readEcho } from './icmp-packet.js';

/** An IPv4 header of 20 bytes (version 4, IHL 5) in front of `icmp`. */
const withIp = (icmp: Buffer): Buffer => Buffer.concat([Buffer.from([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]), icmp]);

describe('icmp packets', () => {
  it('computes the RFC 1071 checksum (its worked example) and one that verifies to zero', () => {
    // RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2, whose complement is 220d.
    expect(internetChecksum(Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]))).toBe(0x220d);
    const req = echoRequest(4, 0x1234, 7);
    expect(internetChecksum(req)).toBe(0);
  });

  it('builds echo requests as ping does: type, id, sequence, 56 bytes of payload', () => {
    const v4 = echoRequest(4, 0xbeef, 0x10001);
    expect(v4.length).toBe(64);
    expect([v4[0], v4[1], v4.readUInt16BE(4), v4.readUInt16BE(6)]).toEqual([8, 0, 0xbeef, 1]);
    const v6 = echoRequest(6, 1, 2, 0);
    expect([...v6]).toEqual([128, 0, 0, 0, 0, 1, 0, 2]);
  });

  it('reads replies with and without the IPv4 header', () => {
    const reply = Buffer.from(echoRequest(4, 42, 9));
    reply[0] = 0;
    expect(readEcho(4, withIp(reply), true)).toEqual({ type: 'reply', id: 42, seq: 9 });
    expect(readEcho(4, reply, false)).toEqual({ type: 'reply', id: 42, seq: 9 });
    const v6 = Buffer.from(echoRequest(6, 5, 6));
    v6[0] = 129;
    expect(readEcho(6, v6, false)).toEqual({ type: 'reply', id: 5, seq: 6 });
    // Our own request (seen on loopback) and a truncated datagram are not answers.
    expect(readEcho(4, echoRequest(4, 42, 9), false)).toBeUndefined();
    expect(readEcho(4, Buffer.from([0, 0, 0]), false)).toBeUndefined();
  });

  it('matches an error to the request it quotes, with the words ping uses', () => {
    const quoted = withIp(echoRequest(4, 42, 11)).subarray(0, 28);
    const unreachable = Buffer.concat([Buffer.from([3, 1, 0, 0, 0, 0, 0, 0]), quoted]);
    expect(readEcho(4, withIp(unreachable), true)).toEqual({ type: 'error', id: 42, seq: 11, text: 'Destination Host Unreachable' });
    const ttl = Buffer.concat([Buffer.from([11, 0, 0, 0, 0, 0, 0, 0]), quoted]);
    expect(readEcho(4, withIp(ttl), true)).toMatchObject({ type: 'error', seq: 11, text: 'Time to live exceeded' });
    const v6quoted = Buffer.concat([Buffer.alloc(40), echoRequest(6, 3, 4, 0)]);
    const v6err = Buffer.concat([Buffer.from([1, 3, 0, 0, 0, 0, 0, 0]), v6quoted]);
    expect(readEcho(6, v6err, false)).toEqual({ type: 'error', id: 3, seq: 4, text: 'Address unreachable' });
    // An error about something else (a TCP segment) is not ours.
    const other = Buffer.concat([Buffer.from([3, 3, 0, 0, 0, 0, 0, 0]), Buffer.from([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6]), Buffer.alloc(18)]);
    expect(readEcho(4, other, false)).toBeUndefined();
  });
});
