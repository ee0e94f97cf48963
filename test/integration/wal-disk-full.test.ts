/**
 * The WAL on a real, small tmpfs that fills up: the newest data keeps flowing (the oldest is dropped
 * and counted), a write cut short by the full disk is never kept as a record, and cursors are still
 * saved, so a restart sends nothing twice. Needs root (mount); outside CI the tests skip without it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PushClient } from '../../agent/push/push.js';
import { pushSchema } from '../../agent/push/schema.js';
import type { Logger } from '../../common/log.js';
import { decodeWriteRequest } from '../../common/remote-write/proto.js';
import { snappyUncompress } from '../../common/remote-write/snappy.js';
import { Wal } from '../../common/wal/wal.js';
import { eventually } from '../helpers/bins.js';
import { requireService } from '../helpers/ctx.js';
import { closedPort } from '../helpers/sockets.js';

const mounts: string[] = [];
afterEach(() => {
  for (const dir of mounts.splice(0)) {
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A fresh tmpfs of 3 MiB, unmounted after the test; undefined (skip) outside CI when mounting is not allowed. */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'cw-wal-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    requireService(false, `cannot mount a tmpfs (needs root): ${(err as Error).message}`);
    return undefined;
  }
  mounts.push(dir);
  return dir;
}

/** Writes a file until the disk refuses more; returns its size. */
function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let size = 0;
  try {
    for (;;) {
      const n = writeSync(fd, chunk, 0, chunk.length, size);
      size += n;
      if (n < chunk.length) break;
    }
  } catch {
    // ENOSPC: full
  } finally {
    closeSync(fd);
  }
  return size;
}

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
  return { lines, debug: at, info: at, warn: at, error: at };
}

/** A record's payload derived from its number, so what is read back can be checked byte for byte. */
const body = (i: number, size = 20_000) => Buffer.alloc(size, i % 251);
const meta = (samples: number) => ({ samples, minTimestampMs: Date.now(), maxTimestampMs: Date.now() });

describe('WAL on a full disk', () => {
  it('keeps delivering the newest batches after the disk filled during an outage, without a restart', async () => {
    const disk = smallDisk();
    if (!disk) return;
    const port = await closedPort();
    const received: { ok: boolean; maxTs: number; samples: number }[] = [];
    let server: Server | undefined;
    const up = () =>
      new Promise<void>((resolve) => {
        server = createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            const raw = snappyUncompress(Buffer.concat(chunks), 64 * 2 ** 20);
            const decoded = raw.ok
              ? decodeWriteRequest(raw.body, {
                  maxSeries: 1e6,
                  maxLabelsPerSeries: 100,
                  maxSamplesPerSeries: 100,
                  maxLabelNameBytes: 1000,
                  maxLabelValueBytes: 10_000,
                })
              : undefined;
            const ok = decoded?.ok === true;
            const maxTs = ok ? Math.max(...decoded.series.flatMap((s) => s.samples.map((x) => x.timestampMs))) : 0;
            received.push({ ok, maxTs, samples: ok ? decoded.samples : 0 });
            res.writeHead(ok ? 204 : 400).end();
          });
        }).listen(port, '127.0.0.1', resolve);
      });

    // ~1,500 series of random values: ~20 KB a batch, so 3 MiB fill within seconds at 20 ms.
    const registry = new Registry();
    const gauge = new Gauge({
      name: 'cw_fill',
      help: 'x',
      labelNames: ['i'],
      registers: [registry],
      collect() {
        for (let i = 0; i < 1500; i++) this.set({ i: String(i) }, Math.random());
      },
    });
    void gauge;
    const config = pushSchema.parse({
      interval: '20ms',
      wal: { dir: join(disk, 'wal'), fsync: 'never' },
      targets: [{ name: 'province', url: `http://127.0.0.1:${port}/api/v1/write`, timeout: '1s' }],
    });
    const log = recordingLog();
    const client = await PushClient.start(config, () => registry, 'test', log);
    const metrics = new Registry();
    client.register(metrics);
    const dropped = async (reason: string) =>
      (await metrics.getSingleMetric('centerwatch_agent_wal_dropped_samples_total')!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
    try {
      // The disk fills while the receiver is down: the oldest goes, counted as disk_full.
      const free = () => {
        const f = statfsSync(disk);
        return f.bavail * f.bsize;
      };
      await eventually(async () => (free() < 128 * 1024 ? true : undefined), 30_000, 'the disk to fill');
      await new Promise((r) => setTimeout(r, 1000));
      const upAt = Date.now();
      await up();
      await eventually(async () => (client.wal.stats().backlog.province!.records <= 2 ? true : undefined), 30_000, 'the backlog to drain');
      const drainedAt = Date.now();
      const before = received.filter((r) => r.maxTs > drainedAt).length;
      await new Promise((r) => setTimeout(r, 2000));
      const fresh = received.filter((r) => r.maxTs > drainedAt).length - before;
      const lost = log.lines.filter((l) => l.includes('this interval is lost')).length;
      const counted = (await dropped('disk_full')) + (await dropped('write_failed'));
      console.log(
        `received ${received.length} batches (${received.filter((r) => r.maxTs > upAt).length} after the receiver came up, ${fresh} in the 2 s after the drain); dropped disk_full ${await dropped('disk_full')}, write_failed ${await dropped('write_failed')}; "lost" lines ${lost}`,
      );
      expect(received.every((r) => r.ok)).toBe(true);
      expect(await dropped('disk_full')).toBeGreaterThan(0);
      // 2 s at 20 ms: about 100 batches; at least a fifth of them must have arrived.
      expect(fresh).toBeGreaterThan(20);
      // Every batch the log calls lost is in the counter (1,500 samples each).
      expect(counted).toBeGreaterThanOrEqual(lost * 1500);
    } finally {
      await client.stop();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    }
  }, 90_000);

  it('never keeps a write cut short by the full disk as a record; the loss is counted', async () => {
    const disk = smallDisk();
    if (!disk) return;
    const dir = join(disk, 'wal');
    const wal = await Wal.open({ dir, consumers: ['a'], fsync: 'never', log: recordingLog() });
    // Leave about one page free: a 20 KB record gets a few KB written, then ENOSPC.
    const filler = join(disk, 'filler');
    const size = fillDisk(filler);
    execFileSync('truncate', ['-s', String(size - 6000), filler]);
    const outcome = await wal.append(body(1), meta(300)).then(
      (seq) => ({ seq }),
      (err: unknown) => ({ err }),
    );
    // Either the record is whole (room was made) or it is gone and counted; never half of it.
    const read = await wal.readOldest('a', 10);
    if ('seq' in outcome) expect(read.map((r) => Buffer.from(r.payload).equals(body(1)))).toEqual([true]);
    else expect(read).toEqual([]);
    const s = wal.stats();
    expect(s.dropped.disk_full.samples + read.reduce((n, r) => n + r.samples, 0)).toBe(300);
    await wal.close();
    const seg = readdirSync(dir).filter((n) => n.endsWith('.seg'));
    expect(seg.reduce((n, f) => n + statSync(join(dir, f)).size, 0)).toBe(read.length === 0 ? 0 : 34 + 20_000);
    // Reopening finds no torn tail to cut.
    const again = await Wal.open({ dir, consumers: ['a'], fsync: 'never', log: recordingLog() });
    expect(again.stats().corruptRecordsSkippedTotal).toBe(0);
    await again.close();
  });

  it('keeps appending on a full disk by dropping the oldest records, each one readable whole', async () => {
    const disk = smallDisk();
    if (!disk) return;
    const wal = await Wal.open({ dir: join(disk, 'wal'), consumers: ['a'], fsync: 'never', log: recordingLog() });
    // 8 MB through a 3 MiB disk; the bound (256 MiB by default) is never the reason.
    for (let i = 1; i <= 400; i++) expect(await wal.append(body(i), meta(10))).toBe(i);
    const read = await wal.readOldest('a', 1000);
    expect(read.at(-1)!.seq).toBe(400);
    for (const r of read) expect(Buffer.from(r.payload).equals(body(r.seq))).toBe(true);
    const s = wal.stats();
    expect(s.dropped.disk_full.records + read.length).toBe(400);
    expect(s.dropped.size.records).toBe(0);
    await wal.close();
  });

  it('saves cursors on a full disk, so a restart sends nothing delivered again', async () => {
    const disk = smallDisk();
    if (!disk) return;
    const dir = join(disk, 'wal');
    const wal = await Wal.open({ dir, consumers: ['a'], fsync: 'never', log: recordingLog() });
    for (let i = 1; i <= 50; i++) await wal.append(body(i), meta(100));
    for (let i = 1; i <= 40; i++) await wal.ack('a', i);
    fillDisk(join(disk, 'filler'));
    for (let i = 41; i <= 50; i++) await wal.ack('a', i);
    await wal.close();
    const again = await Wal.open({ dir, consumers: ['a'], fsync: 'never', log: recordingLog() });
    const resent = await again.readOldest('a', 100);
    await again.close();
    expect(resent.reduce((n, r) => n + r.samples, 0)).toBe(0);
  });
});
