/**
 * npm run bench:enroll — what a province rollout costs the server, with the ingest running at province
 * load in the same run (2,000 agents × 150 series every 15 s through server.yaml tokens):
 *
 * 1. ingest alone (the baseline): server CPU and push p99;
 * 2. 500 agents enrolling at once (real codes, real enrol requests): CPU per enrolment, latency p50/p99;
 * 3. those 500 fetching their configs every BENCH_FETCH_S seconds: CPU per fetch (mostly 304), p50/p99;
 * 4. a profile change under that load: every agent's next fetch renders and sends a new config: CPU per
 *    such fetch, and how long until all 500 have it.
 * The CPU of steps 2–4 is the server's minus the baseline's rate over the same time, and each is also
 * given as a ratio to the CPU of one ingest push, measured in step 1.
 *
 * Env: BENCH_SECONDS (each measured phase, default 40), BENCH_AGENTS (ingest agents, 2000), BENCH_ENROL (500), BENCH_FETCH_S (10).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { enrolAll, runConfigFetches } from './simulator/enrolled.js';
import { buildFleet } from './simulator/fleet.js';
import { runFleet } from './simulator/run.js';
import { percentile } from './simulator/stats.js';
import { memory, treeCpuSeconds } from './proc.js';
import { waitForHttp } from '../test/helpers/prometheus.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 40);
const INGEST_AGENTS = Number(process.env.BENCH_AGENTS ?? 2000);
const ENROL = Number(process.env.BENCH_ENROL ?? 500);
const FETCH_S = Number(process.env.BENCH_FETCH_S ?? 10);
const SERIES = 150;
const PORT = 19580;
const ADMIN = 'bench-enroll-admin-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const base = `http://127.0.0.1:${PORT}`;

function sortedStats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(s, 0.5).toFixed(1)} ms, p99 ${percentile(s, 0.99).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-enroll-'));
  const ingest = buildFleet({ centers: INGEST_AGENTS, agentsPerCenter: 1, seed: 'bench-enroll' });
  const tokens = ingest.map(
    (a) =>
      `  - { id: "${a.center}.${a.agent}", sha256: ${createHash('sha256').update(a.token).digest('hex')}, province: ${a.province}, center: "${a.center}", agent: ${a.agent} }`,
  );
  const cfgFile = join(dir, 'server.yaml');
  writeFileSync(
    cfgFile,
    [
      `listen: 127.0.0.1:${PORT}`,
      `data_dir: ${join(dir, 'data')}`,
      'log_level: warn',
      'engine:',
      `  api_tokens: [{ id: bench, sha256: ${createHash('sha256').update(ADMIN).digest('hex')} }]`,
      'fleet:',
      '  default_profile: counter-pc',
      `  fetch_interval: ${FETCH_S}s`,
      '  vars: { his_url: "https://127.0.0.1:8443/" }',
      `tokens:\n${tokens.join('\n')}`,
      '',
    ].join('\n'),
  );
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['dist/centerwatch-server.mjs', ...args, '--config', cfgFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`centerwatch-server ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const profile = readFileSync('config/profiles/counter-pc.yaml', 'utf8');
  writeFileSync(join(dir, 'p1.yaml'), profile);
  writeFileSync(join(dir, 'p2.yaml'), profile.replace('interval: 60s', 'interval: 45s'));
  let server: ChildProcess | undefined;
  try {
    cli('centers', 'import', '--province', '51');
    cli('profiles', 'set', 'counter-pc', join(dir, 'p1.yaml'));
    server = spawn('dist/centerwatch-server.mjs', ['--config', cfgFile], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForHttp(`${base}/healthz`, 20_000);
    const pid = server.pid!;
    console.log(
      `bench:enroll — ingest ${INGEST_AGENTS} agents × ${SERIES} series / 15 s (${Math.round((INGEST_AGENTS * SERIES) / 15)} samples/s) throughout; ${ENROL} enrolling agents; fetch every ${FETCH_S} s; ${SECONDS} s per phase`,
    );

    // 1. Ingest alone.
    let pushes = 0;
    let measuring = false;
    const pushLatency: number[] = [];
    const load = runFleet({
      url: `${base}/api/v1/write`,
      agents: ingest,
      seriesPerAgent: SERIES,
      intervalMs: 15_000,
      onPush(_a, outcome, ms) {
        if (!measuring || outcome.kind !== 'sent') return;
        pushes++;
        pushLatency.push(ms);
      },
    });
    await sleep(20_000);
    measuring = true;
    let cpu0 = treeCpuSeconds(pid);
    let t0 = performance.now();
    await sleep(SECONDS * 1000);
    const baseCpu = treeCpuSeconds(pid) - cpu0;
    const baseSeconds = (performance.now() - t0) / 1000;
    const baseRate = baseCpu / baseSeconds;
    const cpuPerPush = baseCpu / pushes;
    console.log(
      `1. ingest alone: ${baseRate.toFixed(3)} cores, ${pushes} pushes, ${(cpuPerPush * 1000).toFixed(3)} ms CPU per push; pushes ${sortedStats(pushLatency)}`,
    );
    const ingestP99 = percentile(
      [...pushLatency].sort((a, b) => a - b),
      0.99,
    );
    /** The ingest pushes' p99 since the last call, and as a ratio to the ingest alone. */
    const pushesMeanwhile = (): string => {
      const p99 = percentile(
        [...pushLatency].sort((a, b) => a - b),
        0.99,
      );
      pushLatency.length = 0;
      return `ingest pushes meanwhile p99 ${p99.toFixed(1)} ms (${(p99 / ingestP99).toFixed(1)} × alone)`;
    };
    pushLatency.length = 0;
    const extra = (cpu: number, seconds: number): number => cpu - baseRate * seconds;

    // 2. Enrolment burst.
    const centers = cli('centers', 'list', '--province', 'quang-ngai')
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]!)
      .filter((c) => /^\d+$/.test(c));
    const perCenter = Math.ceil(ENROL / centers.length);
    const codes = new Map<string, string>();
    for (const c of centers) {
      const r = await fetch(`${base}/api/v1/enroll-codes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ center: c, uses: perCenter }),
      });
      codes.set(c, ((await r.json()) as { code: string }).code);
    }
    const machines = Array.from({ length: ENROL }, (_, i) => {
      const center = centers[i % centers.length]!;
      return { center, name: `counter-${Math.floor(i / centers.length) + 1}`, code: codes.get(center)! };
    });
    cpu0 = treeCpuSeconds(pid);
    t0 = performance.now();
    const enrolled = await enrolAll(base, machines, ENROL);
    const enrolSeconds = (performance.now() - t0) / 1000;
    const enrolCpu = extra(treeCpuSeconds(pid) - cpu0, enrolSeconds);
    if (enrolled.refused.length > 0) throw new Error(`refused: ${JSON.stringify(enrolled.refused.slice(0, 3))}`);
    console.log(
      `2. ${ENROL} enrolments at once: done in ${enrolSeconds.toFixed(2)} s; ${((enrolCpu / ENROL) * 1000).toFixed(2)} ms CPU per enrolment (${(enrolCpu / ENROL / cpuPerPush).toFixed(1)} × a push); ${sortedStats(enrolled.latenciesMs)}; ${pushesMeanwhile()}`,
    );

    // 3. Steady config fetches (first round 200s, then 304s).
    const fetches = runConfigFetches(base, enrolled.agents);
    await sleep(2 * FETCH_S * 1000);
    pushLatency.length = 0;
    const before = [...fetches.stats.byStatus.values()].reduce((a, b) => a + b, 0);
    fetches.stats.latenciesMs.length = 0;
    cpu0 = treeCpuSeconds(pid);
    t0 = performance.now();
    await sleep(SECONDS * 1000);
    const fetchSeconds = (performance.now() - t0) / 1000;
    const fetchCpu = extra(treeCpuSeconds(pid) - cpu0, fetchSeconds);
    const nFetch = [...fetches.stats.byStatus.values()].reduce((a, b) => a + b, 0) - before;
    console.log(
      `3. steady fetches: ${(nFetch / fetchSeconds).toFixed(1)}/s (statuses ${JSON.stringify(Object.fromEntries(fetches.stats.byStatus))}); ${((fetchCpu / nFetch) * 1000).toFixed(3)} ms CPU per fetch (${(fetchCpu / nFetch / cpuPerPush).toFixed(2)} × a push); ${sortedStats(fetches.stats.latenciesMs)}; ${pushesMeanwhile()}`,
    );

    // 4. A profile change under load: every agent's next fetch renders its config anew.
    const revisions = new Map(enrolled.agents.map((a) => [a.id, a.revision]));
    const fetched200 = fetches.stats.byStatus.get(200) ?? 0;
    fetches.stats.latenciesMs.length = 0;
    cpu0 = treeCpuSeconds(pid);
    t0 = performance.now();
    const setAt = Date.now();
    cli('profiles', 'set', 'counter-pc', join(dir, 'p2.yaml'));
    while (enrolled.agents.some((a) => a.revision === revisions.get(a.id)) && performance.now() - t0 < 4 * FETCH_S * 1000) await sleep(200);
    const changeSeconds = (performance.now() - t0) / 1000;
    const changeCpu = extra(treeCpuSeconds(pid) - cpu0, changeSeconds);
    const last = Math.max(...enrolled.agents.map((a) => (a.tookAt.get(a.revision) ?? Infinity) - setAt));
    const rendered = (fetches.stats.byStatus.get(200) ?? 0) - fetched200;
    console.log(
      `4. profile change: all ${ENROL} agents had it ${(last / 1000).toFixed(1)} s after it was stored (fetch interval ${FETCH_S} s); ${rendered} configs rendered and sent, ${((changeCpu / Math.max(1, rendered)) * 1000).toFixed(2)} ms CPU each (the CLI's own check of 500 renderings ran in its own process on the same 2 cores); fetches ${sortedStats(fetches.stats.latenciesMs)}; ${pushesMeanwhile()}`,
    );
    console.log(`server RSS ${(memory(pid).rss / 2 ** 20).toFixed(0)} MiB`);
    await fetches.stop();
    await load.stop();
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
