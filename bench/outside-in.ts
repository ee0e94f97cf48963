/**
 * npm run bench:outside-in — what the server's outside-in probing costs, beside the province ingest load
 * in the same run (2,000 agents × 150 series every 15 s through server.yaml tokens):
 *
 * 1. ingest alone (the inventory lists no public address): server CPU, push p99;
 * 2. the inventory of all 3,321 communes (common/data/vn-divisions-2025.csv) imported, each with two lines
 *    whose public addresses are distinct loopback addresses (127.x.y.z, which answer): 6,642 addresses
 *    probed every 15 s (ICMP through the agent's icmp probe) beside the ingest: server CPU, and the
 *    outside-in's own share (the difference); whether every address was probed each interval, skipped
 *    turns and the worst start delay (from the server's /metrics);
 * 3. the same inventory imported again without public addresses: the probes stop (the server follows the
 *    re-import) and the ingest is alone again, a second baseline: the share is taken against the mean of
 *    the two, so a machine busier in one phase than the other shows as a gap between them.
 * CPU is the server's process tree: its own and its reaped children's (each `ping`), from /proc.
 *
 * Env: BENCH_SECONDS (each measured phase, default 45: three intervals), BENCH_AGENTS (2000).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildFleet } from './simulator/fleet.js';
import { runFleet } from './simulator/run.js';
import { percentile } from './simulator/stats.js';
import { memory, treeCpuSeconds } from './proc.js';
import { waitForHttp } from '../test/helpers/prometheus.js';
import { metricValue } from '../test/integration/server-harness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 45);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 2000);
const SERIES = 150;
const INTERVAL_S = 15;
const PORT = 19680;
const base = `http://127.0.0.1:${PORT}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every commune of the national list, two lines each, on loopback addresses of its own (or none). */
function inventory(withAddresses: boolean): string {
  const rows = readFileSync('common/data/vn-divisions-2025.csv', 'utf8').trim().split('\n').slice(1);
  const centers = rows.map((row, i) => {
    const [province, , , code, name, type] = row.split(',');
    // 127.<1|2>.<i / 250>.<i % 250 + 1>: distinct, never a .0 or .255.
    const at = (line: number) => `127.${line}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    return {
      code,
      name,
      province,
      type,
      lines: [
        { name: 'fiber', kind: 'fiber', isp: 'VNPT', ...(withAddresses ? { public: [at(1)] } : {}) },
        { name: '4g', kind: '4g', isp: 'Viettel', ...(withAddresses ? { public: [at(2)] } : {}) },
      ],
    };
  });
  return JSON.stringify({ centers });
}

async function scrape(): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-outside-in-'));
  const ingest = buildFleet({ centers: AGENTS, agentsPerCenter: 1, seed: 'bench-outside-in' });
  const tokens = ingest.map(
    (a) =>
      `  - { id: "${a.center}.${a.agent}", sha256: ${createHash('sha256').update(a.token).digest('hex')}, province: ${a.province}, center: "${a.center}", agent: ${a.agent} }`,
  );
  const cfgFile = join(dir, 'server.yaml');
  writeFileSync(cfgFile, [`listen: 127.0.0.1:${PORT}`, `data_dir: ${join(dir, 'data')}`, 'log_level: warn', `tokens:\n${tokens.join('\n')}`, ''].join('\n'));
  const importInventory = (withAddresses: boolean) => {
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, inventory(withAddresses));
    const r = spawnSync(process.execPath, ['dist/centerwatch-server.mjs', 'centers', 'import', file, '--config', cfgFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`centers import: ${r.stderr}`);
  };
  /** Waits until the server plans `n` addresses; returns how long that took, in seconds. */
  const planned = async (n: number): Promise<number> => {
    const t0 = performance.now();
    while ((metricValue(await scrape(), 'centerwatch_outside_in_addresses') ?? 0) !== n) {
      if (performance.now() - t0 > 60_000) throw new Error(`the server did not plan ${n} addresses within 60 s`);
      await sleep(500);
    }
    return (performance.now() - t0) / 1000;
  };
  let server: ChildProcess | undefined;
  try {
    server = spawn('dist/centerwatch-server.mjs', ['--config', cfgFile], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForHttp(`${base}/healthz`, 20_000);
    const pid = server.pid!;
    console.log(
      `bench:outside-in — ingest ${AGENTS} agents × ${SERIES} series / ${INTERVAL_S} s (${Math.round((AGENTS * SERIES) / INTERVAL_S)} samples/s); outside-in 3,321 communes × 2 addresses / ${INTERVAL_S} s; ${SECONDS} s per phase`,
    );
    let measuring = false;
    const latency: number[] = [];
    const startIngest = () =>
      runFleet({
        url: `${base}/api/v1/write`,
        agents: ingest,
        seriesPerAgent: SERIES,
        intervalMs: INTERVAL_S * 1000,
        onPush(_a, outcome, ms) {
          if (measuring && outcome.kind === 'sent') latency.push(ms);
        },
      });
    /** Server CPU (cores) over SECONDS, with the push p99 and the outside-in counters' movement. */
    const measure = async () => {
      latency.length = 0;
      const m0 = await scrape();
      let worstDelay = 0;
      let engineMs = 0;
      measuring = true;
      const cpu0 = treeCpuSeconds(pid);
      const t0 = performance.now();
      for (const end = t0 + SECONDS * 1000; performance.now() < end;) {
        await sleep(Math.min(5000, end - performance.now()));
        const m = await scrape();
        worstDelay = Math.max(worstDelay, metricValue(m, 'centerwatch_outside_in_start_delay_seconds') ?? 0);
        engineMs = Math.max(engineMs, (metricValue(m, 'centerwatch_engine_evaluation_seconds') ?? 0) * 1000);
      }
      const cores = (treeCpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
      const seconds = (performance.now() - t0) / 1000;
      measuring = false;
      const m1 = await scrape();
      const delta = (name: string) => (metricValue(m1, name) ?? 0) - (metricValue(m0, name) ?? 0);
      const sorted = [...latency].sort((a, b) => a - b);
      return {
        cores,
        pushes: latency.length,
        p99: sorted.length ? percentile(sorted, 0.99) : NaN,
        probes: delta('centerwatch_outside_in_probes_total'),
        skipped: delta('centerwatch_outside_in_skipped_total'),
        addresses: metricValue(m1, 'centerwatch_outside_in_addresses') ?? 0,
        up: [...m1.matchAll(/^centerwatch_outside_in_up\{[^}]*\} 1$/gm)].length,
        worstDelay,
        /** The engine's evaluation of the fleet (once a second), sampled every 5 s: the longest seen. */
        loop: `engine evaluation ≤ ${engineMs.toFixed(0)} ms`,
        intervals: seconds / INTERVAL_S,
      };
    };

    // 1. Ingest alone.
    const load = startIngest();
    await sleep(20_000);
    const alone = await measure();
    console.log(
      `1. ingest alone: server ${(alone.cores * 100).toFixed(1)} % of one core; ${alone.pushes} pushes, p99 ${alone.p99.toFixed(1)} ms; ${alone.loop}`,
    );

    // 2. The inventory arrives: the server reads it within 10 s and plans the probes at its next interval.
    importInventory(true);
    console.log(`   inventory imported; probes planned ${(await planned(6642)).toFixed(1)} s later`);
    await sleep(2 * INTERVAL_S * 1000);
    const both = await measure();
    console.log(
      `2. ingest + outside-in: server ${(both.cores * 100).toFixed(1)} % of one core; pushes p99 ${both.p99.toFixed(1)} ms (${(both.p99 / alone.p99).toFixed(1)} × alone); ${both.loop}`,
    );
    console.log(
      `   probes: ${both.probes} finished in ${both.intervals.toFixed(2)} intervals = ${(both.probes / both.intervals).toFixed(0)} per interval of ${both.addresses} addresses (${((both.probes / both.intervals / both.addresses) * 100).toFixed(1)} %); ${both.skipped} turns skipped; worst start delay ${(both.worstDelay * 1000).toFixed(0)} ms; lines up ${both.up} of ${both.addresses}`,
    );

    // 3. The addresses leave the inventory: ingest alone again.
    importInventory(false);
    console.log(`   re-imported without addresses; probes stopped ${(await planned(0)).toFixed(1)} s later`);
    await sleep(5000);
    const again = await measure();
    const baseline = (alone.cores + again.cores) / 2;
    const share = both.cores - baseline;
    console.log(`3. ingest alone again: server ${(again.cores * 100).toFixed(1)} % of one core; pushes p99 ${again.p99.toFixed(1)} ms; ${again.loop}`);
    console.log(
      `outside-in's own share: ${(share * 100).toFixed(1)} % of one core (ingest + outside-in minus the mean of the two baselines), ${((share * 1e6) / (both.probes / (both.intervals * INTERVAL_S))).toFixed(0)} µs CPU per probe`,
    );
    await load.stop();
    console.log(`server RSS ${(memory(pid).rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    if (server) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
