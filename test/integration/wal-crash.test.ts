import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Wal } from '../../common/wal/wal.js';
import { crashPayload } from '../helpers/wal-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-wal-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the writer, kills it with SIGKILL after `ms`, returns the seqs it printed (acknowledged by the WAL). */
function runAndKill(ms: number): Promise<{ acked: number[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/wal-writer.ts', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (!started) {
        started = true;
        setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own: ${stderr}`));
      // A line without its newline was being written when the kill came: the WAL had acknowledged it anyway.
      resolve({ acked: out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number), stderr });
    });
  });
}

describe('WAL under kill -9', () => {
  it('loses no acknowledged record over 20 kills mid-write, and opening never fails', async () => {
    const acked: number[] = [];
    const stderrs: string[] = [];
    for (let i = 0; i < 20; i++) {
      const run = await runAndKill(50 + Math.floor(Math.random() * 250));
      acked.push(...run.acked);
      stderrs.push(run.stderr);
    }
    const cuts = stderrs.filter((e) => e.includes('wal: cut a torn or corrupt tail')).length;
    console.log(`wal crash: ${acked.length} records acknowledged over 20 kills; ${cuts} starts cut a torn tail`);
    expect(acked.length).toBeGreaterThan(100);
    // Seqs keep rising across restarts: no record is ever given a seq twice.
    expect(new Set(acked).size).toBe(acked.length);
    const wal = await Wal.open({ dir, consumers: ['server'], log: { debug() {}, info() {}, warn() {}, error() {} } });
    const records = await wal.readOldest('server', 1_000_000);
    const bySeq = new Map(records.map((r) => [r.seq, r]));
    const missing = acked.filter((s) => !bySeq.has(s));
    expect(missing).toEqual([]);
    for (const s of acked) expect(Buffer.from(bySeq.get(s)!.payload).equals(crashPayload(s))).toBe(true);
    await wal.close();
    // No start ever crashed: every run printed at least one seq before its kill.
    expect(stderrs.filter((e) => /Error|\n\s+at /.test(e))).toEqual([]);
  }, 120_000);
});
