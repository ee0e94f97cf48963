import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../common/log.js';
import { readFrame } from '../../common/wal/frame.js';
import { Wal } from '../../common/wal/wal.js';
import { crashPayload } from '../fixtures/wal/writer.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cw-wal-crash-'));
  dirs.push(d);
  return d;
}
function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
  return { lines, debug: at, info: at, warn: at, error: at };
}

interface Run {
  written: number[];
  acked: number[];
  ackStarted: number[];
  stderr: string;
}

/**
 * Starts the writer on `dir` and kill -9s it: `afterFirst` ms after its first record, or, when
 * undefined, at a random moment from spawn on (which may fall while it is still opening the WAL).
 */
function runAndKill(dir: string, afterFirst: number | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/wal/writer.ts', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    const kill = () => child.kill('SIGKILL');
    if (afterFirst === undefined) setTimeout(kill, Math.floor(Math.random() * 1500));
    child.stdout.on('data', (c: Buffer) => {
      if (out === '' && afterFirst !== undefined) setTimeout(kill, afterFirst);
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own (code ${code}): ${stderr}`));
      // Only whole lines count: a line cut by the kill was not fully printed.
      const lines = out.split('\n').slice(0, -1);
      const pick = (tag: string) => lines.filter((l) => l.startsWith(`${tag} `)).map((l) => Number(l.slice(2)));
      resolve({ written: pick('w'), acked: pick('a'), ackStarted: pick('b'), stderr });
    });
  });
}

describe('WAL under kill -9', () => {
  it('loses no acknowledged, unacked record over 20 kills at random moments, and opening never fails', async () => {
    const dir = tempDir();
    const written: number[] = [];
    const acked = new Set<number>();
    const stderrs: string[] = [];
    const maybeAcked = new Set<number>();
    let damaged = 0;
    for (let i = 0; i < 20; i++) {
      // Even runs live long enough (100–1100 ms of writing) for cursor saves and segment deletes to happen.
      const run = await runAndKill(dir, i % 2 === 0 ? 100 + Math.floor(Math.random() * 1000) : undefined);
      written.push(...run.written);
      for (const s of run.acked) acked.add(s);
      // An ack announced but not confirmed may have happened before the kill: that record may be gone.
      for (const s of run.ackStarted) maybeAcked.add(s);
      stderrs.push(run.stderr);
      // Every other kill is also a power cut: the bytes after the last acknowledged record are torn.
      if (i % 2 === 1 && tearTail(dir, Math.max(0, ...written))) damaged++;
    }
    const cuts = stderrs.filter((e) => e.includes('wal: cut a torn or corrupt tail')).length;
    const log = recordingLog();
    const wal = await Wal.open({ dir, consumers: ['server'], log });
    const records = await wal.readOldest('server', 1_000_000);
    const segs = readdirSync(dir).filter((n) => n.endsWith('.seg')).length;
    console.log(
      `wal crash: ${written.length} records acknowledged by the WAL over 20 kills, ${acked.size} acked by the consumer; ${damaged} tails torn by the test, ${cuts + log.lines.length} cut at open; ${segs} segments left`,
    );
    expect(written.length).toBeGreaterThan(100);
    // Each torn tail was found and cut at the next open (kills may add a few of their own).
    expect(cuts + log.lines.filter((l) => l.startsWith('wal: cut a torn')).length).toBeGreaterThanOrEqual(damaged);
    expect(damaged).toBeGreaterThan(3);
    // No start ever failed: every child died by the kill (checked in runAndKill) with nothing on stderr but warn lines.
    expect(stderrs.flatMap((e) => e.split('\n')).filter((l) => l !== '' && !l.includes('"level":"warn"'))).toEqual([]);
    // Seqs keep rising across restarts: no record is ever given a seq twice.
    expect(new Set(written).size).toBe(written.length);
    expect(written).toEqual([...written].sort((a, b) => a - b));
    // Every record the WAL acknowledged and the consumer did not ack is there, byte for byte.
    const bySeq = new Map(records.map((r) => [r.seq, r]));
    const pending = written.filter((s) => !acked.has(s) && !maybeAcked.has(s));
    expect(pending.length).toBeGreaterThan(100);
    expect(pending.filter((s) => !bySeq.has(s))).toEqual([]);
    for (const s of pending) expect(Buffer.from(bySeq.get(s)!.payload).equals(crashPayload(s)), `payload of ${s}`).toBe(true);
    // Anything else read back is a record the writer wrote (never garbage), e.g. one acked just before a kill.
    for (const r of records) expect(Buffer.from(r.payload).equals(crashPayload(r.seq)), `payload of ${r.seq}`).toBe(true);
    // Acked segments were deleted along the way (how many are left depends on which acks the kills lost).
    expect(
      Number(
        readdirSync(dir)
          .filter((n) => n.endsWith('.seg'))
          .sort()[0]!
          .slice(0, 16),
      ),
    ).toBeGreaterThan(1);
    expect(segs).toBeLessThan(written.length / 50);
    await wal.close();
  }, 180_000);

  it('cuts a truncated or bit-flipped last segment at the damage, with one log line naming file and offset', async () => {
    const dir = tempDir();
    const quiet = recordingLog();
    const wal = await Wal.open({ dir, consumers: ['server'], log: quiet, fsync: 'always', segmentBytes: 256 * 1024 });
    for (let s = 1; s <= 30; s++) await wal.append(crashPayload(s), { samples: 1, minTimestampMs: Date.now(), maxTimestampMs: Date.now() });
    await wal.close();
    const last = join(
      dir,
      readdirSync(dir)
        .filter((n) => n.endsWith('.seg'))
        .sort()
        .at(-1)!,
    );
    const before = (await reopen(dir)).seqs;
    expect(before.at(-1)).toBe(30);

    // A power cut in the middle of the last record.
    truncateSync(last, statSync(last).size - 500);
    const torn = await reopen(dir);
    expect(torn.seqs).toEqual(before.slice(0, -1));
    expect(torn.warns).toHaveLength(1);
    expect(torn.warns[0]).toMatch(/^wal: cut a torn or corrupt tail .*"why":"torn payload"/);
    expect(torn.warns[0]).toContain(last);
    expect(torn.corrupt).toBe(1);

    // A flipped byte inside the last segment's first record: that record and everything after it go.
    const bytes = readFileSync(last);
    bytes[100] = bytes[100]! ^ 0x01;
    writeFileSync(last, bytes);
    const flipped = await reopen(dir);
    const firstOfLast = Number(last.slice(-20, -4));
    expect(flipped.seqs).toEqual(before.filter((s) => s < firstOfLast));
    expect(flipped.warns).toHaveLength(1);
    expect(flipped.warns[0]).toContain('"offset":0');
    expect(flipped.warns[0]).toContain('checksum mismatch');
    expect(statSync(last).size).toBe(0);
  });
});

/**
 * What a power cut does to the last segment beyond the records the WAL acknowledged (fsync 'always'
 * makes those safe): cuts the unacknowledged record after them mid-way if there is one, else leaves
 * zeros or random bytes where the file grew. Returns false when there was nothing safe to damage.
 */
function tearTail(dir: string, lastAcknowledged: number): boolean {
  const name = readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort()
    .at(-1);
  if (!name) return false;
  const file = join(dir, name);
  const buf = readFileSync(file);
  let offset = 0;
  for (let f = readFrame(buf, offset); f.kind === 'record'; f = readFrame(buf, offset)) {
    if (f.meta.seq > lastAcknowledged) {
      truncateSync(file, offset + 1 + Math.floor(Math.random() * (f.next - offset - 1)));
      return true;
    }
    offset = f.next;
  }
  if (offset !== buf.length) return false; // already damaged by the kill: left for the open to cut
  const junk = Math.random() < 0.5 ? Buffer.alloc(4096) : randomBytes(1 + Math.floor(Math.random() * 100));
  appendFileSync(file, junk);
  return true;
}

async function reopen(dir: string): Promise<{ seqs: number[]; warns: string[]; corrupt: number }> {
  const log = recordingLog();
  const wal = await Wal.open({ dir, consumers: ['server'], log, fsync: 'never' });
  const records = await wal.readOldest('server', 1000);
  for (const r of records) expect(Buffer.from(r.payload).equals(crashPayload(r.seq))).toBe(true);
  const corrupt = wal.stats().corruptRecordsSkippedTotal;
  await wal.close();
  return { seqs: records.map((r) => r.seq), warns: log.lines, corrupt };
}
