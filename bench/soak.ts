/**
 * npm run bench:soak — the province server for an hour at province load, forwarding everything to a real
 * Prometheus, with the upstream down for a while and one agent's clock 80 years ahead.
 *
 * What it shows (printed, with the targets):
 * - every sample a well-behaved agent had accepted (204) is in Prometheus at the end: none missing;
 * - the server's CPU while the upstream is down stays within 10 % of its CPU before the outage (no retry loop);
 * - the server's RSS is flat after warm-up;
 * - the skewed agent's samples are refused and counted, and poison nobody else's.
 *
 * Env: SOAK_MINUTES (60), SOAK_OUTAGE_AT (minute the upstream goes down, 20), SOAK_OUTAGE_MINUTES (5),
 * BENCH_AGENTS (2000), BENCH_SERIES (150), SOAK_WARMUP_MINUTES (10), SOAK_SERVER_BIN (dist/centerwatch-server.mjs).
 * Quick check of the bench itself: SOAK_MINUTES=6 SOAK_OUTAGE_AT=2 SOAK_OUTAGE_MINUTES=1 BENCH_AGENTS=200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrometheus, waitForHttp } from '../test/helpers/prometheus.js';
import { memory, treeCpuSeconds } from './proc.js';
import { buildFleet, serverTokensYaml, type SimAgent } from './simulator/fleet.js';
import { runFleet } from './simulator/run.js';
import { cpuRatio, rssTrend, type Reading } from './soak-figures.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 60);
const OUTAGE_AT = Number(process.env.SOAK_OUTAGE_AT ?? 20);
const OUTAGE_MINUTES = Number(process.env.SOAK_OUTAGE_MINUTES ?? 5);
const WARMUP_MINUTES = Number(process.env.SOAK_WARMUP_MINUTES ?? Math.min(10, MINUTES / 4));
const AGENTS = Number(process.env.BENCH_AGENTS ?? 2000);
const SERIES = Number(process.env.BENCH_SERIES ?? 150);
const SERVER_PORT = 19481;
const SKEW_MS = 80 * 365.25 * 86_400_000;
const READ_EVERY_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One value of the server's own /metrics (summed over label sets matching `labels`). */
async function serverMetric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${SERVER_PORT}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function startServer(dir: string, fleet: SimAgent[], upstream: string): ChildProcess {
  const file = join(dir, 'server.yaml');
  writeFileSync(
    file,
    `listen: 127.0.0.1:${SERVER_PORT}\ndata_dir: ${join(dir, 'data')}\nforward:\n  - { name: prometheus, url: ${upstream} }\n${serverTokensYaml(fleet, 'soak')}`,
  );
  return spawn(process.env.SOAK_SERVER_BIN ?? 'dist/centerwatch-server.mjs', ['--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-soak-'));
  const fleet = buildFleet({ centers: AGENTS, agentsPerCenter: 1, seed: 'soak' });
  const skewed = fleet[0]!;
  const prom = await startPrometheus();
  const server = startServer(dir, fleet, prom.writeUrl);
  console.log(
    `bench:soak — ${AGENTS} agents × ${SERIES} series every 15 s (${Math.round((AGENTS * (SERIES + 1)) / 15)} samples/s) for ${MINUTES} min, ` +
      `forwarding to Prometheus; upstream down from minute ${OUTAGE_AT} for ${OUTAGE_MINUTES} min; agent ${skewed.center}/${skewed.agent} 80 years ahead`,
  );
  try {
    await waitForHttp(`http://127.0.0.1:${SERVER_PORT}/healthz`, 30000);
    const acceptedByProvince = new Map<string, number>();
    let failedPushes = 0;
    let skewedAccepted = 0;
    const t0 = Date.now();
    const fleetRun = runFleet({
      url: `http://127.0.0.1:${SERVER_PORT}/api/v1/write`,
      agents: fleet,
      seriesPerAgent: SERIES,
      intervalMs: 15_000,
      clockOffsetMs: (a) => (a === skewed ? SKEW_MS : 0),
      onPush(agent, outcome, _ms, samples) {
        if (outcome.kind !== 'sent') return void failedPushes++;
        if (agent === skewed) skewedAccepted += samples;
        else acceptedByProvince.set(agent.province, (acceptedByProvince.get(agent.province) ?? 0) + samples);
      },
    });

    const readings: Reading[] = [];
    let outage: { from: number; to: number } | undefined;
    for (let minute = 0; ;) {
      await sleep(READ_EVERY_MS);
      const atMin = (Date.now() - t0) / 60_000;
      const backlog = await serverMetric('centerwatch_forward_backlog_samples').catch(() => NaN);
      readings.push({ atMin, cpuSeconds: treeCpuSeconds(server.pid!), rss: memory(server.pid!).rss, backlog });
      if (!outage && atMin >= OUTAGE_AT) {
        await prom.stop();
        outage = { from: atMin, to: Infinity };
        console.log(`  ${atMin.toFixed(1)} min: upstream stopped`);
      } else if (outage && outage.to === Infinity && atMin >= OUTAGE_AT + OUTAGE_MINUTES) {
        await prom.start(600_000);
        outage.to = (Date.now() - t0) / 60_000;
        console.log(`  ${outage.to.toFixed(1)} min: upstream back`);
      }
      if (Math.floor(atMin) > minute) {
        minute = Math.floor(atMin);
        const r = readings.at(-1)!;
        console.log(
          `  ${minute.toString().padStart(3)} min: server cpu ${r.cpuSeconds.toFixed(1)} s, rss ${(r.rss / 2 ** 20).toFixed(1)} MiB, forward backlog ${r.backlog} samples`,
        );
      }
      if (atMin >= MINUTES) break;
    }
    await fleetRun.stop();
    const runMinutes = (Date.now() - t0) / 60_000;

    // Everything accepted must reach Prometheus: wait for the forwarding queue to drain.
    const drainStart = Date.now();
    while ((await serverMetric('centerwatch_forward_backlog_samples')) > 0 && Date.now() - drainStart < 10 * 60_000) await sleep(2000);
    await sleep(3000);
    const range = `${Math.ceil(runMinutes + 10)}m`;
    // count_over_time drops the metric name, so series differing only by name collide: count per name.
    const names = await prom.labelValues('__name__');
    const inProm = new Map<string, number>();
    for (const name of names) {
      for (const r of await prom.query(`sum by (province) (count_over_time(${name}{center!="${skewed.center}"}[${range}]))`)) {
        inProm.set(r.metric.province ?? '', (inProm.get(r.metric.province ?? '') ?? 0) + Number(r.value[1]));
      }
    }
    let expected = 0;
    let found = 0;
    const short: string[] = [];
    for (const [province, sent] of [...acceptedByProvince].sort()) {
      const got = inProm.get(province) ?? 0;
      expected += sent;
      found += got;
      if (got < sent) short.push(`${province}: ${sent - got} of ${sent} missing`);
    }
    let skewedInProm = 0;
    for (const name of names)
      skewedInProm += Number((await prom.query(`sum(count_over_time(${name}{center="${skewed.center}"}[${range}]))`))[0]?.value[1] ?? 0);
    const refused = await serverMetric('centerwatch_ingest_samples_refused_total', 'timestamp_future');
    const forwardRejected = await serverMetric('centerwatch_forward_samples_total', 'rejected');
    const failures = await serverMetric('centerwatch_forward_failures_total');

    const cpu = cpuRatio(readings, outage!);
    const rss = rssTrend(readings, WARMUP_MINUTES);
    const ok = (b: boolean) => (b ? 'met' : 'MISSED');
    console.log('\nresults');
    console.log(
      `  well-behaved samples accepted (204): ${expected}; in Prometheus: ${found}; missing: ${Math.max(0, expected - found)}  target 0 missing: ${ok(found >= expected)}`,
    );
    for (const s of short.slice(0, 10)) console.log(`    ${s}`);
    console.log(
      `  skewed agent: ${skewedAccepted} samples in 2xx answers, ${refused} refused by the receiver (timestamp_future), ${skewedInProm} in Prometheus`,
    );
    console.log(`  forwarder: ${forwardRejected} samples refused by the upstream, ${failures} failed attempts (upstream down ${OUTAGE_MINUTES} min)`);
    console.log(`  failed pushes (agents would retry): ${failedPushes}`);
    console.log(
      `  server CPU: ${cpu.normal.toFixed(3)} cores before the outage, ${cpu.outage.toFixed(3)} during it (ratio ${cpu.ratio.toFixed(2)}), ` +
        `${cpu.catchUp.toFixed(3)} in the ${cpu.catchUpMinutes} min after; target at most 10 % above normal (no retry loop): ${ok(cpu.ratio <= 1.1)}`,
    );
    console.log(
      `  server RSS after ${WARMUP_MINUTES} min warm-up: ${(rss.min / 2 ** 20).toFixed(1)}–${(rss.max / 2 ** 20).toFixed(1)} MiB, ` +
        `trend ${(rss.slopePerHour / 2 ** 20).toFixed(1)} MiB/hour; target flat (|trend| < 10 % of RSS per hour): ${ok(Math.abs(rss.slopePerHour) < 0.1 * rss.min)}`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await prom.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
