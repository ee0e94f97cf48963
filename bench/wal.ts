/**
 * WAL append throughput per fsync mode, beside a plain append loop measured in the same run
 * (`node --import tsx bench/wal.ts`). Records are 4 KiB (a snappy remote_write batch of a few hundred
 * samples). Baselines: `fs.promises.appendFile` on one file (what a naive queue would do), and the same
 * plus `fdatasync` per record for 'always'. Then: open time and index memory of a WAL of many small records.
 * Run with --expose-gc for the memory figure. WAL_BENCH_SECONDS (default 3) sets each run's duration,
 * WAL_BENCH_RECORDS (default 200000) the size of the opened WAL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { appendFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../common/log.js';
import { Wal } from '../common/wal/wal.js';

const SECONDS = Number(process.env.WAL_BENCH_SECONDS ?? 3);
const RECORD = Buffer.alloc(4096, 7);
const log = createLogger('error');
const meta = () => ({ samples: 200, minTimestampMs: Date.now(), maxTimestampMs: Date.now() });

interface Rate {
  appends: number;
  seconds: number;
}
const perSecond = (r: Rate) => r.appends / r.seconds;
const mbPerSecond = (r: Rate) => (r.appends * RECORD.length) / r.seconds / 2 ** 20;

async function loop(step: () => Promise<unknown>): Promise<Rate> {
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let appends = 0;
  while (performance.now() < end) {
    await step();
    appends++;
  }
  return { appends, seconds: (performance.now() - start) / 1000 };
}

async function walRun(fsync: 'always' | 'interval' | 'never'): Promise<Rate> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-wal-bench-'));
  const wal = await Wal.open({ dir, consumers: ['server'], fsync, log });
  try {
    return await loop(() => wal.append(RECORD, meta()));
  } finally {
    await wal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function plainRun(sync: boolean): Promise<Rate> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-wal-bench-'));
  const file = join(dir, 'plain');
  const handle = sync ? await open(file, 'a') : undefined;
  try {
    return await loop(async () => {
      if (handle) {
        await handle.appendFile(RECORD);
        await handle.datasync();
      } else await appendFile(file, RECORD);
    });
  } finally {
    await handle?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens a WAL of `n` 100-byte records: how long the scan takes, and what the index costs in memory. */
async function openCost(n: number): Promise<{ openMs: number; bytesPerRecord: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-wal-bench-'));
  const small = Buffer.alloc(100, 1);
  const w = await Wal.open({ dir, consumers: ['a', 'b'], fsync: 'never', maxBytes: 2 ** 30, log });
  for (let i = 0; i < n; i++) await w.append(small, meta());
  await w.close();
  const settle = () => {
    globalThis.gc?.();
    globalThis.gc?.();
    return process.memoryUsage();
  };
  const before = settle();
  const start = performance.now();
  const wal = await Wal.open({ dir, consumers: ['a', 'b'], fsync: 'never', maxBytes: 2 ** 30, log });
  const openMs = performance.now() - start;
  const after = settle();
  // The index is typed arrays (ArrayBuffers) plus one small object per segment on the heap.
  const used = after.arrayBuffers - before.arrayBuffers + Math.max(0, after.heapUsed - before.heapUsed);
  await wal.close();
  rmSync(dir, { recursive: true, force: true });
  return { openMs, bytesPerRecord: used / n };
}

const row = (name: string, r: Rate, base: Rate) =>
  `${name.padEnd(34)}${perSecond(r).toFixed(0).padStart(10)}${mbPerSecond(r).toFixed(1).padStart(9)}${(perSecond(r) / perSecond(base)).toFixed(2).padStart(8)}`;

const plain = await plainRun(false);
const plainSync = await plainRun(true);
const never = await walRun('never');
const interval = await walRun('interval');
const always = await walRun('always');
console.log(`${`4 KiB records, ${SECONDS} s each`.padEnd(34)}  appends/s     MB/s   ratio`);
console.log(row('fs.appendFile (baseline)', plain, plain));
console.log(row("wal fsync 'never'", never, plain));
console.log(row("wal fsync 'interval' (1 s)", interval, plain));
console.log(row('fs.appendFile + fdatasync (base)', plainSync, plainSync));
console.log(row("wal fsync 'always'", always, plainSync));
const n = Number(process.env.WAL_BENCH_RECORDS ?? 200_000);
const cost = await openCost(n);
console.log(
  `open of ${n} records: ${cost.openMs.toFixed(0)} ms; index ${cost.bytesPerRecord.toFixed(0)} B/record (${((cost.bytesPerRecord * 1e6) / 2 ** 20).toFixed(0)} MiB per million records; needs --expose-gc)`,
);
