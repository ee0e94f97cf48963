/**
 * npm run bench:agent — the agent's cost per probe against prometheus-blackbox-exporter's, measured
 * in the same run on the same loopback targets.
 *
 * 50 checks: 10 icmp lines (continuous ping), 15 tcp, 15 http, 10 dns, each every second. The
 * exporter gets the same 50 probes a second through /probe (its icmp sends one echo per probe;
 * ours keeps one `ping` per line sending two a second). Both run as child processes; their CPU
 * (children such as `ping` included) and memory are read from /proc. The targets live in this process.
 *
 * Env: BENCH_SECONDS (default 60), BENCH_WARMUP_SECONDS (default 5), BENCH_AGENT_ONLY=1 (skip the baseline while tuning).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory, treeCpuSeconds } from './proc.js';
import { agentLoadConfig, agentProbeRuns, MIX, startTargets, type Targets } from './agent-load.js';
import { waitForHttp } from '../test/helpers/prometheus.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const AGENT_PORT = 19478;
const BLACKBOX_PORT = 19115;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const BLACKBOX_CONFIG = `modules:
  icmp: { prober: icmp, timeout: 1s, icmp: { preferred_ip_protocol: ip4 } }
  tcp: { prober: tcp, timeout: 1s }
  http: { prober: http, timeout: 1s, http: { preferred_ip_protocol: ip4 } }
  dns: { prober: dns, timeout: 1s, dns: { query_name: bench.test, query_type: A, transport_protocol: udp, preferred_ip_protocol: ip4 } }
`;

interface Figures {
  probes: number;
  cpuSeconds: number;
  rss: number;
  peak: number;
}

async function measure(child: ChildProcess, count: () => Promise<number> | number): Promise<Figures> {
  await sleep(WARMUP * 1000);
  const pid = child.pid!;
  const cpu0 = treeCpuSeconds(pid);
  const n0 = await count();
  await sleep(SECONDS * 1000);
  const cpu1 = treeCpuSeconds(pid);
  const n1 = await count();
  const mem = memory(pid);
  return { probes: n1 - n0, cpuSeconds: cpu1 - cpu0, rss: mem.rss, peak: mem.peak };
}

async function benchAgent(dir: string, t: Targets): Promise<Figures> {
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, agentLoadConfig(t, AGENT_PORT));
  // The bin as installed: its first line runs node with the agent's memory flags.
  const child = spawn('dist/centerwatch-agent.mjs', ['--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitForHttp(`http://127.0.0.1:${AGENT_PORT}/healthz`, 10000);
    return await measure(child, () => agentProbeRuns(AGENT_PORT));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function benchBlackbox(dir: string, t: Targets): Promise<Figures> {
  const file = join(dir, 'blackbox.yml');
  writeFileSync(file, BLACKBOX_CONFIG);
  const child = spawn('prometheus-blackbox-exporter', [`--config.file=${file}`, `--web.listen-address=127.0.0.1:${BLACKBOX_PORT}`, '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let done = 0;
  let running = true;
  const probes: string[] = [
    ...Array.from({ length: MIX.icmp }, (_, i) => `module=icmp&target=127.0.0.${i + 1}`),
    ...Array.from({ length: MIX.tcp }, () => `module=tcp&target=127.0.0.1:${t.tcp}`),
    ...Array.from({ length: MIX.http }, (_, i) => `module=http&target=http://127.0.0.1:${t.http}/${i}`),
    ...Array.from({ length: MIX.dns }, () => `module=dns&target=127.0.0.1:${t.dns}`),
  ];
  // Each probe once a second with its own phase, as Prometheus would scrape 50 targets.
  const loops = probes.map(async (q, i) => {
    await sleep((i / probes.length) * 1000);
    while (running) {
      const next = Date.now() + 1000;
      try {
        await (await fetch(`http://127.0.0.1:${BLACKBOX_PORT}/probe?${q}`)).text();
        done++;
      } catch {
        // an exporter that did not answer ran no probe
      }
      await sleep(Math.max(0, next - Date.now()));
    }
  });
  try {
    await waitForHttp(`http://127.0.0.1:${BLACKBOX_PORT}/metrics`, 10000);
    return await measure(child, () => done);
  } finally {
    running = false;
    await Promise.all(loops);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

function row(name: string, f: Figures): string {
  const perK = (f.cpuSeconds / f.probes) * 1000;
  return `${name.padEnd(26)} ${String(f.probes).padStart(7)} ${f.cpuSeconds.toFixed(2).padStart(9)} ${perK.toFixed(3).padStart(12)} ${(f.rss / 2 ** 20).toFixed(1).padStart(8)} ${(f.peak / 2 ** 20).toFixed(1).padStart(9)}`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-'));
  const targets = await startTargets();
  try {
    console.log(
      `bench:agent — ${MIX.icmp} icmp + ${MIX.tcp} tcp + ${MIX.http} http + ${MIX.dns} dns checks, each every 1 s, ${SECONDS} s measured after ${WARMUP} s warm-up`,
    );
    const agent = await benchAgent(dir, targets);
    if (process.env.BENCH_AGENT_ONLY) {
      console.log(row('centerwatch-agent', agent));
      return;
    }
    const blackbox = await benchBlackbox(dir, targets);
    console.log(
      `${'process'.padEnd(26)} ${'probes'.padStart(7)} ${'cpu s'.padStart(9)} ${'cpu s/1000'.padStart(12)} ${'rss MiB'.padStart(8)} ${'peak MiB'.padStart(9)}`,
    );
    console.log(row('centerwatch-agent', agent));
    console.log(row('blackbox_exporter (base)', blackbox));
    const ratioCpu = agent.cpuSeconds / agent.probes / (blackbox.cpuSeconds / blackbox.probes);
    console.log(`ratio agent/blackbox: cpu per probe ${ratioCpu.toFixed(2)}, rss ${(agent.rss / blackbox.rss).toFixed(2)}`);
    console.log(`targets: rss <= 60 MiB ${agent.rss <= 60 * 2 ** 20 ? 'met' : 'MISSED'}; cpu per probe <= blackbox ${ratioCpu <= 1 ? 'met' : 'MISSED'}`);
  } finally {
    await targets.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
