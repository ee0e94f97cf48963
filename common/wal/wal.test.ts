import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../log.js';
import { Wal, type WalOptions } from './wal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
  return { lines, debug: at, info: at, warn: at, error: at };
}

function open(extra: Partial<WalOptions> = {}, dir = mkdtempSync(join(tmpdir(), 'cw-wal-'))): Promise<Wal> {
  if (!dirs.includes(dir)) dirs.push(dir);
  return Wal.open({ dir, consumers: ['a', 'b'], log: recordingLog(), fsync: 'never', ...extra });
}

const payload = (seq: number, size = 100) => Buffer.alloc(size, seq % 251);
const T0 = Date.now();
const meta = (i: number, samples = 10) => ({ samples, minTimestampMs: T0 + i, maxTimestampMs: T0 + i });

describe('wal', () => {
  it('reads back what was appended, per consumer, in order', async () => {
    const wal = await open();
    for (let i = 1; i <= 5; i++) expect(await wal.append(payload(i), meta(i * 1000))).toBe(i);
    const a = await wal.readOldest('a', 3);
    expect(a.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(Buffer.from(a[1]!.payload)).toEqual(payload(2));
    await wal.ack('a', 1);
    await wal.ack('a', 2);
    expect((await wal.readOldest('a', 10)).map((r) => r.seq)).toEqual([3, 4, 5]);
    expect((await wal.readOldest('b', 10)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(wal.stats().backlog).toEqual({ a: { records: 3, samples: 30 }, b: { records: 5, samples: 50 } });
    await wal.close();
  });

  it('takes acks out of order (live lane) and skips them when the backlog drains', async () => {
    const wal = await open();
    for (let i = 1; i <= 6; i++) await wal.append(payload(i), meta(i));
    await wal.ack('a', 6);
    await wal.ack('a', 5);
    expect((await wal.readOldest('a', 10)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    for (const s of [1, 2, 3, 4]) await wal.ack('a', s);
    expect(await wal.readOldest('a', 10)).toEqual([]);
    expect(wal.stats().backlog.a).toEqual({ records: 0, samples: 0 });
    await wal.close();
  });

  it('keeps seq and cursors across a reopen', async () => {
    const wal = await open();
    const dir = dirs.at(-1)!;
    for (let i = 1; i <= 4; i++) await wal.append(payload(i), meta(i));
    await wal.ack('a', 1);
    await wal.ack('a', 3);
    await wal.close();
    const again = await open({}, dir);
    expect((await again.readOldest('a', 10)).map((r) => r.seq)).toEqual([2, 4]);
    expect(await again.append(payload(5), meta(5))).toBe(5);
    await again.close();
  });

  it('never grows past its size bound: oldest unsent records dropped and counted', async () => {
    const maxBytes = 2 * 2 ** 20;
    const wal = await open({ maxBytes, segmentBytes: 256 * 1024 });
    const dir = dirs.at(-1)!;
    let maxSeen = 0;
    for (let i = 1; i <= 1000; i++) {
      await wal.append(payload(i, 10_000), meta(i, 7));
      const onDisk = readdirSync(dir)
        .filter((n) => n.endsWith('.seg'))
        .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      maxSeen = Math.max(maxSeen, onDisk);
    }
    expect(maxSeen).toBeLessThanOrEqual(maxBytes + 10_100);
    const s = wal.stats();
    expect(s.droppedRecordsTotal).toBeGreaterThan(700);
    expect(s.droppedSamplesTotal).toBe(s.droppedRecordsTotal * 7);
    // What remains is the newest data, contiguous up to the last append.
    const left = await wal.readOldest('a', 1000);
    expect(left.at(-1)!.seq).toBe(1000);
    expect(left.length + s.droppedRecordsTotal).toBe(1000);
    await wal.close();
  });

  it('drops records older than the age bound, counted once, and deletes their segments', async () => {
    let now = 1_000_000_000;
    const wal = await open({ maxAgeMs: 60_000, segmentBytes: 64 * 1024, now: () => now });
    const dir = dirs.at(-1)!;
    const at = (ts: number) => ({ samples: 10, minTimestampMs: ts, maxTimestampMs: ts });
    for (let i = 1; i <= 20; i++) await wal.append(payload(i, 10_000), at(now));
    await wal.ack('b', 1); // sent to one consumer only: still unsent, so still counted as dropped
    expect(wal.stats().oldestTimestampMs).toBe(now);
    now += 120_000;
    await wal.append(payload(21, 10_000), at(now));
    expect((await wal.readOldest('a', 100)).map((r) => r.seq)).toEqual([21]);
    expect((await wal.readOldest('b', 100)).map((r) => r.seq)).toEqual([21]);
    const s = wal.stats();
    expect(s.droppedRecordsTotal).toBe(20);
    expect(s.droppedSamplesTotal).toBe(200);
    expect(s.oldestTimestampMs).toBe(now);
    expect(s.backlog).toEqual({ a: { records: 1, samples: 10 }, b: { records: 1, samples: 10 } });
    // Only the active segment is left on disk.
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg'))).toHaveLength(1);
    await wal.close();
  });

  it('deletes segments every consumer has acked', async () => {
    const wal = await open({ segmentBytes: 64 * 1024 });
    const dir = dirs.at(-1)!;
    for (let i = 1; i <= 40; i++) await wal.append(payload(i, 10_000), meta(i));
    const before = readdirSync(dir).filter((n) => n.endsWith('.seg')).length;
    for (let i = 1; i <= 40; i++) {
      await wal.ack('a', i);
      await wal.ack('b', i);
    }
    expect(before).toBeGreaterThan(3);
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg')).length).toBe(1);
    expect(wal.stats().droppedRecordsTotal).toBe(0);
    await wal.close();
  });

  it('cuts a torn tail and skips a flipped byte, with a log line, never throwing', async () => {
    const wal = await open();
    const dir = dirs.at(-1)!;
    for (let i = 1; i <= 3; i++) await wal.append(payload(i), meta(i));
    await wal.close();
    const seg = join(
      dir,
      readdirSync(dir).find((n) => n.endsWith('.seg'))!,
    );
    appendFileSync(seg, Buffer.from([0x40, 0, 0, 0, 1, 2, 3])); // a header torn by a power cut
    const log = recordingLog();
    const again = await Wal.open({ dir, consumers: ['a'], log, fsync: 'never' });
    expect((await again.readOldest('a', 10)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(log.lines.some((l) => l.startsWith('wal: cut a torn or corrupt tail') && l.includes('torn header'))).toBe(true);
    expect(await again.append(payload(4), meta(4))).toBe(4);
    await again.close();

    const bytes = readFileSync(seg);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff; // last record's payload
    writeFileSync(seg, bytes);
    const log2 = recordingLog();
    const third = await Wal.open({ dir, consumers: ['a'], log: log2, fsync: 'never' });
    expect((await third.readOldest('a', 10)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(log2.lines.some((l) => l.includes('checksum mismatch'))).toBe(true);
    expect(third.stats().corruptRecordsSkippedTotal).toBe(1);
    await third.close();
  });

  it('refuses a directory another live process holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-wal-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'LOCK'), '1'); // pid 1 is alive
    await expect(Wal.open({ dir, consumers: ['a'], log: recordingLog() })).rejects.toThrow(/in use by process 1/);
    writeFileSync(join(dir, 'LOCK'), '999999999'); // no such process: taken over
    const wal = await Wal.open({ dir, consumers: ['a'], log: recordingLog() });
    await wal.close();
  });

  it('finishes a write that came up short, and never keeps one that cannot finish (counted)', async () => {
    let cut = 'half' as 'half' | 'none' | 'eio' | 'off';
    const io = {
      writeAt(fd: number, buf: Uint8Array, position: number): number {
        if (cut === 'eio') throw Object.assign(new Error('i/o error'), { code: 'EIO' });
        if (cut === 'none') return 0;
        const n = cut === 'half' && buf.byteLength > 60 ? Math.floor(buf.byteLength / 2) : buf.byteLength;
        return writeSync(fd, buf, 0, n, position);
      },
    };
    const wal = await open({ io });
    expect(await wal.append(payload(1, 200), meta(1, 5))).toBe(1);
    cut = 'none';
    await expect(wal.append(payload(2, 200), meta(2, 6))).rejects.toThrow(/ENOSPC/);
    cut = 'eio';
    await expect(wal.append(payload(3, 200), meta(3, 7))).rejects.toThrow(/EIO/);
    cut = 'off';
    expect(await wal.append(payload(4, 200), meta(4, 8))).toBe(2);
    const read = await wal.readOldest('a', 10);
    // The full disk dropped the oldest record to make room, then the new one when still nothing fit.
    expect(read.map((r) => [r.seq, Buffer.from(r.payload).equals(payload(4, 200))])).toEqual([[2, true]]);
    expect(wal.stats().dropped).toMatchObject({ disk_full: { records: 2, samples: 11 }, write_failed: { records: 1, samples: 7 } });
    const dir = dirs.at(-1)!;
    await wal.close();
    const again = await open({}, dir);
    expect(again.stats().corruptRecordsSkippedTotal).toBe(0);
    expect((await again.readOldest('a', 10)).map((r) => r.seq)).toEqual([2]);
    await again.close();
  });
});
