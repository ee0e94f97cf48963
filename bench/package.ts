/**
 * npm run bench:package — the packaged agent (dist/package/centerwatch-agent-linux-x64, one executable)
 * against the bundle (dist/centerwatch-agent.mjs run by node with its flags), measured in the same run:
 *
 * - bench:agent's load (50 checks each every second: 10 icmp lines, 15 tcp, 15 http, 10 dns, on
 *   loopback targets in this process): CPU per probe, RSS (sampled every second: its highest value
 *   over the window, and at the end) and the process's lifetime peak (VmHWM, which includes start-up);
 * - idle with config/default.yaml (a copy: its port moved to a free one, its WAL in a scratch folder;
 *   no server answers its push, as on a machine without `npm start`'s server): CPU % of one core and RSS;
 * - start-up: wall time of `--check-config config/default.yaml`, median of 7, with and without the
 *   code cache in the executable;
 * - what being a single executable costs by itself: an empty script as a single executable against
 *   the same script run by node (RSS and its private part, RssAnon);
 * - sizes.
 * The packaged agent runs with NODE_OPTIONS=--max-semi-space-size=1, as the .deb's unit and the
 * Windows service set it.
 *
 * The warm-up (default 40 s) covers the agent's settling: 30 s after its start it gives back the pages
 * only its start-up needed (agent/platform/linux/startup-pages.ts).
 *
 * Env: BENCH_SECONDS (load, default 60), BENCH_IDLE_SECONDS (default 60), BENCH_WARMUP_SECONDS (default 40),
 * BENCH_LOAD_ONLY=1 (the load rows only), BENCH_BUNDLE / BENCH_PACKAGED (other commands in their place, e.g. a wrapper with other flags).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHttp } from '../test/helpers/prometheus.js';
import { memory, treeCpuSeconds } from './proc.js';
import { agentLoadConfig, agentProbeRuns, MIX, startTargets } from './agent-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 40);
const MiB = 2 ** 20;
// Either may be replaced (BENCH_BUNDLE, BENCH_PACKAGED) by a wrapper script to compare flags.
const BUNDLE = process.env.BENCH_BUNDLE ?? 'dist/centerwatch-agent.mjs';
const PACKAGED = process.env.BENCH_PACKAGED ?? 'dist/package/centerwatch-agent-linux-x64';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Figures {
  probes: number;
  cpuSeconds: number;
  /** RSS at the end of the window. */
  rss: number;
  /** The highest RSS sampled (every second) during the window. */
  windowPeak: number;
  /** VmHWM: the highest RSS since the process started (start-up included). */
  peak: number;
  anon: number;
}

/** Runs `bin` on `config` (listening on `port`), measures `seconds` after the warm-up. */
async function measure(bin: string, config: string, port: number, seconds: number, env: NodeJS.ProcessEnv = process.env): Promise<Figures> {
  const child: ChildProcess = spawn(bin, ['--config', config], { stdio: ['ignore', 'ignore', 'ignore'], env });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 20000);
    await sleep(WARMUP * 1000);
    const pid = child.pid!;
    const cpu0 = treeCpuSeconds(pid);
    const n0 = await agentProbeRuns(port);
    let windowPeak = 0;
    for (let i = 0; i < seconds; i++) {
      await sleep(1000);
      windowPeak = Math.max(windowPeak, memory(pid).rss);
    }
    const cpu1 = treeCpuSeconds(pid);
    const n1 = await agentProbeRuns(port);
    const mem = memory(pid);
    return { probes: n1 - n0, cpuSeconds: cpu1 - cpu0, rss: mem.rss, windowPeak: Math.max(windowPeak, mem.rss), peak: mem.peak, anon: mem.anon };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

function startupMs(bin: string, env: NodeJS.ProcessEnv = process.env): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync(bin, ['--check-config', '--config', 'config/default.yaml'], { stdio: 'ignore', env });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[3]!;
}

const mib = (n: number): string => (n / MiB).toFixed(1);

async function main(): Promise<void> {
  for (const f of [BUNDLE, PACKAGED]) statSync(f);
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-package-'));
  const targets = await startTargets();
  const nativeEnv = { ...process.env, CENTERWATCH_NATIVE_DIR: join(dir, 'native'), NODE_OPTIONS: '--max-semi-space-size=1' };
  try {
    console.log(`bench:package — ${BUNDLE} vs ${PACKAGED}; load ${SECONDS} s, idle ${IDLE_SECONDS} s, after ${WARMUP} s warm-up each`);

    const loadFile = join(dir, 'load.yaml');
    const port = await freePort();
    writeFileSync(loadFile, agentLoadConfig(targets, port));
    const load = { bundle: await measure(BUNDLE, loadFile, port, SECONDS), packaged: await measure(PACKAGED, loadFile, port, SECONDS, nativeEnv) };

    if (process.env.BENCH_LOAD_ONLY) {
      for (const [name, f] of Object.entries(load))
        console.log(
          `${name} ${((f.cpuSeconds / f.probes) * 1000).toFixed(3)} ms/probe, rss ${mib(f.rss)} MiB (private ${mib(f.anon)}), window peak ${mib(f.windowPeak)} MiB, lifetime peak ${mib(f.peak)} MiB`,
        );
      return;
    }
    // config/default.yaml as shipped, beside its token; its WAL (../data/wal) lands in the scratch folder.
    mkdirSync(join(dir, 'config'));
    const idlePort = await freePort();
    const idleFile = join(dir, 'config/default.yaml');
    writeFileSync(idleFile, readFileSync('config/default.yaml', 'utf8').replaceAll('127.0.0.1:9478', `127.0.0.1:${idlePort}`));
    copyFileSync('config/local.token', join(dir, 'config/local.token'));
    const idle = {
      bundle: await measure(BUNDLE, idleFile, idlePort, IDLE_SECONDS),
      packaged: await measure(PACKAGED, idleFile, idlePort, IDLE_SECONDS, nativeEnv),
    };

    // The executable without its code cache, for the start-up figure only.
    const withCache = join(dir, 'code-cache');
    execFileSync(process.execPath, ['packaging/package.mjs', '--out', withCache, '--targets', 'linux-x64', '--no-deb', '--code-cache'], { stdio: 'ignore' });
    const startup = {
      bundle: startupMs(BUNDLE),
      packaged: startupMs(PACKAGED, nativeEnv),
      withCache: startupMs(join(withCache, 'centerwatch-agent-linux-x64'), nativeEnv),
    };

    console.log(`\nload: ${MIX.icmp} icmp + ${MIX.tcp} tcp + ${MIX.http} http + ${MIX.dns} dns checks, each every 1 s`);
    console.log(
      `${'process'.padEnd(22)} ${'probes'.padStart(7)} ${'cpu s'.padStart(7)} ${'cpu s/1000'.padStart(11)} ${'rss MiB'.padStart(8)} ${'private'.padStart(8)} ${'window peak'.padStart(12)} ${'lifetime peak'.padStart(14)}`,
    );
    for (const [name, f] of [
      ['bundle', load.bundle],
      ['packaged', load.packaged],
    ] as const)
      console.log(
        `${name.padEnd(22)} ${String(f.probes).padStart(7)} ${f.cpuSeconds.toFixed(2).padStart(7)} ${((f.cpuSeconds / f.probes) * 1000).toFixed(3).padStart(11)} ${mib(f.rss).padStart(8)} ${mib(f.anon).padStart(8)} ${mib(f.windowPeak).padStart(12)} ${mib(f.peak).padStart(14)}`,
      );
    const perProbe = (f: Figures) => f.cpuSeconds / f.probes;
    const ratios = {
      cpu: perProbe(load.packaged) / perProbe(load.bundle),
      rss: load.packaged.windowPeak / load.bundle.windowPeak,
      peak: load.packaged.peak / load.bundle.peak,
      anon: load.packaged.anon / load.bundle.anon,
    };
    console.log(
      `ratio packaged/bundle: cpu per probe ${ratios.cpu.toFixed(2)}, rss (window peak) ${ratios.rss.toFixed(2)}, private ${ratios.anon.toFixed(2)}, peak ${ratios.peak.toFixed(2)}`,
    );
    const empty = emptySeaOverhead(dir);
    console.log(
      `an empty script: as a single executable rss ${mib(empty.sea.rss)} MiB (private ${mib(empty.sea.anon)}), run by node rss ${mib(empty.node.rss)} MiB (private ${mib(empty.node.anon)})`,
    );

    console.log(`\nidle: config/default.yaml, ${IDLE_SECONDS} s`);
    const idleCpu = (f: Figures) => (f.cpuSeconds / IDLE_SECONDS) * 100;
    for (const [name, f] of [
      ['bundle', idle.bundle],
      ['packaged', idle.packaged],
    ] as const)
      console.log(
        `${name.padEnd(22)} cpu ${idleCpu(f).toFixed(2)} % of a core, rss ${mib(f.rss)} MiB (private ${mib(f.anon)}, window peak ${mib(f.windowPeak)}, lifetime peak ${mib(f.peak)})`,
      );

    console.log(
      `\nstart-up (--check-config, median of 7): bundle ${startup.bundle.toFixed(0)} ms, packaged ${startup.packaged.toFixed(0)} ms, packaged with a code cache ${startup.withCache.toFixed(0)} ms`,
    );
    const size = (f: string) => `${mib(statSync(f).size)} MiB`;
    const sizes = [`bundle ${size(BUNDLE)} (+ chunks)`, `packaged bundle ${size('dist/package/centerwatch-agent.cjs')}`];
    for (const f of ['centerwatch-agent-linux-x64', 'centerwatch-agent-linux-arm64', 'centerwatch-agent-win-x64.exe', 'centerwatch-agent_0.1.0_amd64.deb']) {
      try {
        sizes.push(`${f} ${size(join('dist/package', f))}`);
      } catch {
        // not built by this run (npm run package builds them all)
      }
    }
    console.log(`sizes: ${sizes.join(', ')}`);

    const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
    console.log(
      `targets: packaged rss <= 60 MiB ${met(load.packaged.windowPeak <= 60 * MiB)} (window peak); rss <= 1.10 × bundle ${met(ratios.rss <= 1.1)}; ` +
        `private <= 1.10 × bundle ${met(ratios.anon <= 1.1)}; ` +
        `cpu per probe <= 1.10 × bundle ${met(ratios.cpu <= 1.1)}; idle cpu <= 0.2 % ${met(idleCpu(idle.packaged) <= 0.2)}`,
    );
  } finally {
    await targets.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the single-executable mechanism costs by itself: one script that reports its memory after a
 * second, run by node and as a single executable made the way packaging/package.mjs makes them.
 */
function emptySeaOverhead(dir: string): { sea: { rss: number; anon: number }; node: { rss: number; anon: number } } {
  const work = join(dir, 'empty-sea');
  mkdirSync(work);
  const main = join(work, 'main.js');
  writeFileSync(
    main,
    'setTimeout(() => { const s = require("fs").readFileSync("/proc/self/status", "utf8"); const kb = (k) => Number(new RegExp("^" + k + ":\\\\s+(\\\\d+)", "m").exec(s)[1]) * 1024; console.log(JSON.stringify({ rss: kb("VmRSS"), anon: kb("RssAnon") })); }, 1000);',
  );
  const blob = join(work, 'main.blob');
  writeFileSync(join(work, 'sea.json'), JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea.json')], { stdio: 'ignore' });
  const nodeBin = execFileSync(process.execPath, ['packaging/node-bin.mjs', 'linux-x64'], { encoding: 'utf8' }).trim();
  const exe = join(work, 'empty');
  copyFileSync(nodeBin, exe);
  execFileSync('npx', ['postject', exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: 'ignore' });
  const read = (cmd: string, args: string[]) => JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' })) as { rss: number; anon: number };
  return { sea: read(exe, []), node: read(nodeBin, [main]) };
}

await main();
