import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../log.js';
import { Wal, type WalOptions } from './wal.js';

/** Opening a WAL over damaged, lost or foreign content: it never throws for content, and never reuses a seq. */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
  return { lines, debug: at, info: at, warn: at, error: at };
}
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cw-wal-'));
  dirs.push(d);
  return d;
}
const open = (dir: string, extra: Partial<WalOptions> = {}) => Wal.open({ dir, consumers: ['a', 'b'], log: recordingLog(), fsync: 'never', ...extra });
const payload = (seq: number, size = 10_000) => Buffer.alloc(size, seq % 251);
const meta = (i: number) => ({ samples: 3, minTimestampMs: Date.now() + i, maxTimestampMs: Date.now() + i });
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort();

describe('wal recovery', () => {
  it('skips the rest of an older segment past a corrupt record and reads on from the next one', async () => {
    const dir = tempDir();
    const wal = await open(dir, { segmentBytes: 64 * 1024 });
    for (let i = 1; i <= 20; i++) await wal.append(payload(i), meta(i));
    await wal.close();
    const segs = segments(dir);
    expect(segs.length).toBeGreaterThanOrEqual(3);
    // Six 10 kB records per segment: flip a payload byte of the 3rd record (seq 3) of the first segment.
    const first = join(dir, segs[0]!);
    const bytes = readFileSync(first);
    const third = 2 * (34 + 10_000) + 34 + 500;
    bytes[third] = bytes[third]! ^ 0xff;
    writeFileSync(first, bytes);

    const log = recordingLog();
    const again = await Wal.open({ dir, consumers: ['a'], log, fsync: 'never', segmentBytes: 64 * 1024 });
    const seqs = (await again.readOldest('a', 100)).map((r) => r.seq);
    expect(seqs).toEqual([1, 2, ...Array.from({ length: 14 }, (_, i) => i + 7)]);
    expect(again.stats().corruptRecordsSkippedTotal).toBe(1);
    expect(log.lines.filter((l) => l.startsWith('wal: corrupt record in an old segment'))).toHaveLength(1);
    expect(log.lines[0]).toContain(`"offset":${2 * (34 + 10_000)}`);
    expect(log.lines[0]).toContain(segs[0]);
    expect(await again.append(payload(21), meta(21))).toBe(21);
    await again.close();
  });

  it('never reuses a seq a cursor has seen, even when a power cut lost those records', async () => {
    const dir = tempDir();
    const wal = await open(dir);
    for (let i = 1; i <= 5; i++) await wal.append(payload(i, 100), meta(i));
    for (const s of [1, 2, 3, 4, 5]) await wal.ack('a', s);
    await wal.close();
    // The cursor file survived, the last two records did not (fsync 'interval', power cut).
    const seg = join(dir, segments(dir)[0]!);
    truncateSync(seg, statSync(seg).size - 2 * (34 + 100));
    const again = await open(dir);
    expect(await again.append(payload(6, 100), meta(6))).toBe(6);
    expect((await again.readOldest('a', 10)).map((r) => r.seq)).toEqual([6]);
    expect((await again.readOldest('b', 10)).map((r) => r.seq)).toEqual([1, 2, 3, 6]);
    await again.close();
  });

  it('starts from an empty or damaged cursors file by re-sending, not losing', async () => {
    const dir = tempDir();
    const wal = await open(dir);
    for (let i = 1; i <= 3; i++) await wal.append(payload(i, 100), meta(i));
    await wal.ack('a', 1);
    await wal.close();
    // Both slots torn (the newer by a crash, the older by damage): nothing is trusted.
    const slots = readFileSync(join(dir, 'cursors.slots'));
    slots.fill(0xaa, 20, 40);
    slots.fill(0xaa, slots.length / 2 + 20, slots.length / 2 + 40);
    writeFileSync(join(dir, 'cursors.slots'), slots);
    const log = recordingLog();
    const again = await Wal.open({ dir, consumers: ['a'], log, fsync: 'never' });
    expect((await again.readOldest('a', 10)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(log.lines.some((l) => l.startsWith('wal: cursors file unreadable'))).toBe(true);
    await again.close();
  });

  it('reads the cursors file of earlier versions once, then keeps slots', async () => {
    const dir = tempDir();
    const wal = await open(dir);
    for (let i = 1; i <= 3; i++) await wal.append(payload(i, 100), meta(i));
    await wal.close();
    rmSync(join(dir, 'cursors.slots'));
    writeFileSync(join(dir, 'cursors.json'), '{"a":{"low":1,"above":[[3,3]]},"b":{"low":0,"above":[]}}');
    const again = await open(dir);
    expect((await again.readOldest('a', 10)).map((r) => r.seq)).toEqual([2]);
    await again.close();
    expect(existsSync(join(dir, 'cursors.json'))).toBe(false);
    const third = await open(dir);
    expect((await third.readOldest('a', 10)).map((r) => r.seq)).toEqual([2]);
    await third.close();
  });

  it('ignores foreign files and an empty last segment; seq continues from the names', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.seg'), 'not a segment');
    writeFileSync(join(dir, 'cursors.json.tmp'), 'half');
    writeFileSync(join(dir, '0000000000000042.seg'), '');
    const wal = await open(dir);
    expect(await wal.append(payload(1, 100), meta(1))).toBe(42);
    expect((await wal.readOldest('a', 10)).map((r) => r.seq)).toEqual([42]);
    await wal.close();
  });

  it('ignores acks of seqs it does not hold, so they cannot hide later records', async () => {
    const dir = tempDir();
    const wal = await open(dir);
    await wal.append(payload(1, 100), meta(1));
    await wal.ack('a', 5);
    await wal.ack('a', 1);
    expect(await wal.append(payload(2, 100), meta(2))).toBe(2);
    expect(await wal.append(payload(3, 100), meta(3))).toBe(3);
    expect((await wal.readOldest('a', 10)).map((r) => r.seq)).toEqual([2, 3]);
    await wal.close();
  });

  it('drops a single record larger than the whole bound and stays within it', async () => {
    const dir = tempDir();
    const wal = await open(dir, { maxBytes: 100_000, segmentBytes: 64 * 1024 });
    await wal.append(payload(1, 1000), meta(1));
    expect(await wal.append(payload(2, 150_000), meta(2))).toBe(2);
    const s = wal.stats();
    expect(s.droppedRecordsTotal).toBe(2);
    expect(s.bytes).toBeLessThanOrEqual(100_000);
    expect(segments(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)).toBe(s.bytes);
    expect(await wal.append(payload(3, 1000), meta(3))).toBe(3);
    expect((await wal.readOldest('a', 10)).map((r) => r.seq)).toEqual([3]);
    await wal.close();
  });

  it('takes over a lock whose pid now belongs to another process', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), `${process.ppid} 1`); // alive, but it did not start at tick 1
    const wal = await open(dir);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toMatch(new RegExp(`^${process.pid}\\b`));
    await expect(open(dir)).rejects.toThrow(/already open in this process/);
    await wal.close();
    await (await open(dir)).close(); // closed: free again
  });

  it('fails with a clear message when the directory cannot be used', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    await expect(open(join(dir, 'file', 'wal'))).rejects.toThrow(/^wal: cannot use directory .*file\/wal: ENOTDIR/);
  });
});
