/**
 * npm run bench:server — the province server as a remote_write receiver, against Debian's Prometheus
 * receiving the same load in the same run.
 *
 * 1. Province load: 2,000 simulated agents × 150 series every 15 s (20,000 samples/s) for BENCH_SECONDS:
 *    push latency p50/p99, accepted samples, CPU seconds and RSS of the receiver.
 * 2. Saturation: the same fleet at shorter and shorter intervals until accepted samples/s stop growing.
 * The same two phases run against `prometheus --web.enable-remote-write-receiver`; the figure compared is
 * samples accepted per CPU-second of the receiver's own process (the simulator's CPU is not counted).
 *
 * Env: BENCH_SECONDS (default 60), BENCH_AGENTS (2000), BENCH_SERIES (150), BENCH_SERVER_ONLY=1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFleet, type SimAgent } from './simulator/fleet.js';
import { runFleet } from './simulator/run.js';
import { percentile } from './simulator/stats.js';
import { memory, treeCpuSeconds } from './proc.js';
import { waitForHttp } from '../test/helpers/prometheus.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 2000);
const SERIES = Number(process.env.BENCH_SERIES ?? 150);
const SERVER_PORT = 19480;
const PROMETHEUS_PORT = 19490;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Phase {
  pushes: number;
  failed: number;
  samples: number;
  seconds: number;
  cpuSeconds: number;
  p50: number;
  p99: number;
  rss: number;
}

/** Runs the fleet at one interval for `seconds` and measures the receiver process. */
async function phase(pid: number, url: string, fleet: SimAgent[], intervalMs: number, seconds: number, auth: boolean): Promise<Phase> {
  const latencies: number[] = [];
  let pushes = 0;
  let failed = 0;
  let samples = 0;
  let measuring = false;
  const running = runFleet({
    url,
    agents: fleet,
    seriesPerAgent: SERIES,
    intervalMs,
    auth,
    onPush(_a, outcome, ms, n) {
      if (!measuring) return;
      pushes++;
      if (outcome.kind === 'sent') {
        samples += n;
        latencies.push(ms);
      } else failed++;
    },
  });
  await sleep(Math.min(intervalMs, 15_000)); // every agent has pushed once: connections and series exist
  measuring = true;
  const cpu0 = treeCpuSeconds(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpu1 = treeCpuSeconds(pid);
  const elapsed = (performance.now() - t0) / 1000;
  measuring = false;
  const rss = memory(pid).rss;
  await running.stop();
  latencies.sort((a, b) => a - b);
  return { pushes, failed, samples, seconds: elapsed, cpuSeconds: cpu1 - cpu0, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rss };
}

async function saturate(pid: number, url: string, fleet: SimAgent[], auth: boolean): Promise<Phase> {
  let best: Phase | undefined;
  for (let interval = 15_000; interval >= 500; interval /= 2) {
    const p = await phase(pid, url, fleet, interval, Math.max(10, SECONDS / 3), auth);
    const rate = p.samples / p.seconds;
    console.log(
      `  interval ${(interval / 1000).toFixed(2).padStart(6)} s: ${Math.round(rate).toString().padStart(8)} samples/s accepted, ${p.failed} failed pushes, p99 ${p.p99.toFixed(1)} ms, cpu ${(p.cpuSeconds / p.seconds).toFixed(2)} cores`,
    );
    if (best && rate < (best.samples / best.seconds) * 1.1) return rate > best.samples / best.seconds ? p : best;
    best = p;
  }
  return best!;
}

function serverConfig(dir: string, fleet: SimAgent[]): string {
  const tokens = fleet.map(
    (a) =>
      `  - { id: "${a.center}.${a.agent}", sha256: ${createHash('sha256').update(a.token).digest('hex')}, province: ${a.province}, center: "${a.center}", agent: ${a.agent} }`,
  );
  const file = join(dir, 'server.yaml');
  writeFileSync(file, `listen: 127.0.0.1:${SERVER_PORT}\ndata_dir: ${join(dir, 'data')}\ntokens:\n${tokens.join('\n')}\n`);
  return file;
}

function start(cmd: string, args: string[]): ChildProcess {
  return spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const perCpu = (p: Phase) => p.samples / p.cpuSeconds;

function row(name: string, p: Phase): string {
  return `${name.padEnd(28)} ${Math.round(p.samples / p.seconds)
    .toString()
    .padStart(
      9,
    )} ${p.cpuSeconds.toFixed(2).padStart(8)} ${Math.round(perCpu(p)).toString().padStart(12)} ${p.p50.toFixed(1).padStart(7)} ${p.p99.toFixed(1).padStart(7)} ${(p.rss / 2 ** 20).toFixed(1).padStart(8)}`;
}
const HEADER = `${'receiver'.padEnd(28)} ${'samples/s'.padStart(9)} ${'cpu s'.padStart(8)} ${'samples/cpu-s'.padStart(12)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'rss MiB'.padStart(8)}`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-server-'));
  const fleet = buildFleet({ centers: AGENTS, agentsPerCenter: 1, seed: 'bench' });
  try {
    console.log(`bench:server — ${AGENTS} agents × ${SERIES} series every 15 s (${Math.round((AGENTS * SERIES) / 15)} samples/s), ${SECONDS} s measured`);
    const server = start('dist/centerwatch-server.mjs', ['--config', serverConfig(dir, fleet)]);
    await waitForHttp(`http://127.0.0.1:${SERVER_PORT}/healthz`, 20000);
    const serverUrl = `http://127.0.0.1:${SERVER_PORT}/api/v1/write`;
    const load = await phase(server.pid!, serverUrl, fleet, 15_000, SECONDS, true);
    console.log('centerwatch-server saturation:');
    const sat = await saturate(server.pid!, serverUrl, fleet, true);
    await stop(server);
    console.log(HEADER);
    console.log(row('server, province load', load));
    console.log(row('server, saturation', sat));
    if (process.env.BENCH_SERVER_ONLY) return;

    const promDir = join(dir, 'prometheus');
    writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\nstorage:\n  tsdb:\n    out_of_order_time_window: 3h\n');
    const prom = start('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${promDir}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ]);
    await waitForHttp(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`, 20000);
    const promUrl = `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/write`;
    const pLoad = await phase(prom.pid!, promUrl, fleet, 15_000, SECONDS, false);
    console.log('prometheus saturation:');
    const pSat = await saturate(prom.pid!, promUrl, fleet, false);
    await stop(prom);
    console.log(HEADER);
    console.log(row('server, province load', load));
    console.log(row('prometheus, province load', pLoad));
    console.log(row('server, saturation', sat));
    console.log(row('prometheus, saturation', pSat));
    const ratioLoad = perCpu(load) / perCpu(pLoad);
    const ratioSat = perCpu(sat) / perCpu(pSat);
    console.log(`ratio server/prometheus, samples per CPU-second: province load ${ratioLoad.toFixed(2)}, saturation ${ratioSat.toFixed(2)}`);
    console.log(
      `targets: samples per CPU-s >= 1.5 × prometheus ${Math.min(ratioLoad, ratioSat) >= 1.5 ? 'met' : 'MISSED'}; p99 < 50 ms at province load ${load.p99 < 50 ? 'met' : 'MISSED'}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
