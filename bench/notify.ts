/**
 * npm run bench:notify — from cutting a line to the webhook receiving the message, centerwatch with its
 * DEFAULT settings against Prometheus + Alertmanager (Debian's) on the same line, in the same run.
 *
 * The line is a veth pair into a network namespace made by the bench (bench/notify-line.ts); the agent
 * pings its far end with the default continuous icmp line check. Each run cuts the line at a random
 * moment, times cut → webhook POST, restores it and waits for the resolved message (centerwatch) or
 * tears the Prometheus stack down (a fresh one per run, so no Alertmanager group outlives its run).
 * Then the loss scenario: 30 % of the packets dropped at random for --loss-minutes; no CheckDown or
 * LinesDown message may go out (Prometheus tuned, watching the same line, is counted alongside).
 *
 * Needs root, iproute2, nft, ping, prometheus and prometheus-alertmanager.
 * Options: --runs N (10), --prom-default-runs N (--runs), --only ours|prom, --loss-minutes M (5; 0 skips),
 * --loss-percent P (30); to explore, not for the recorded figures: --packet-interval S, --down-after S
 * (the line check's icmp options).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from './simulator/stats.js';
import { BenchLine } from './notify-line.js';
import { CenterwatchStack, PROM_DEFAULT, PROM_TUNED, PromStack, type PromSettings } from './notify-stack.js';
import type { WebhookReceiver, Received } from '../test/helpers/webhook-receiver.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    'prom-default-runs': { type: 'string' },
    only: { type: 'string' },
    'loss-minutes': { type: 'string', default: '5' },
    'loss-percent': { type: 'string', default: '30' },
    // Exploration only: the recorded figures use the default line check.
    'packet-interval': { type: 'string' },
    'down-after': { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const DEFAULT_RUNS = Number(args['prom-default-runs'] ?? args.runs);
const ONLY = args.only;
const LOSS_MINUTES = Number(args['loss-minutes']);
const LOSS_PERCENT = Number(args['loss-percent']);
const LINE_OPTIONS = {
  ...(args['packet-interval'] !== undefined && { packet_interval: Number(args['packet-interval']) }),
  ...(args['down-after'] !== undefined && { down_after: Number(args['down-after']) }),
};
if (ONLY !== undefined && ONLY !== 'ours' && ONLY !== 'prom') throw new Error('--only must be ours or prom');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number | undefined) => (ms === undefined ? '    -' : (ms / 1000).toFixed(2).padStart(5));
const stamp = () => new Date().toISOString().slice(11, 19);

/** The alerts a cut raises: centerwatch's CheckDown or LinesDown (its root cause), the bench's LineDown rule. */
const DOWN = ['CheckDown', 'LinesDown', 'LineDown'];

/** The first message of that status about a down line (a CheckDegraded left by the previous cut is not one). */
async function nextMessage(r: WebhookReceiver, from: number, status: string, timeoutMs: number): Promise<Received | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const m = r.received.slice(from).find((x) => x.body.status === status && DOWN.includes(x.body.alerts[0]?.labels.alertname ?? ''));
    if (m) return m;
    await sleep(50);
  }
  return undefined;
}

interface OursRun {
  cutAt: number;
  agentDown?: number;
  push?: number;
  fired?: number;
  hook?: number;
  alertname?: string;
  resolvedAfterRestore?: number;
}

/** One cut through centerwatch: timestamps of each step, all relative to the cut. */
async function oursCut(cw: CenterwatchStack, line: BenchLine, cut: () => Promise<number>, alongside?: Promise<unknown>): Promise<OursRun> {
  await cw.fresh();
  if (!(await cw.settled(120_000))) throw new Error('centerwatch did not settle (ready, no alert, check up) within 120 s');
  const from = cw.receiver.received.length;
  const cutAt = await cut();
  const firing = await nextMessage(cw.receiver, from, 'firing', 60_000);
  await alongside;
  const agentDown = cw.agentEvents.find((e) => e.atMs >= cutAt && !e.up)?.atMs;
  const push = agentDown === undefined ? undefined : cw.pushes.find((t) => t >= agentDown);
  const fired = (await cw.firedSince(cutAt).catch(() => []))[0]?.firedAtMs;
  const run: OursRun = { cutAt, ...(agentDown && { agentDown }), ...(push && { push }), ...(fired && { fired }) };
  if (firing) Object.assign(run, { hook: firing.atMs, alertname: firing.body.alerts[0]?.labels.alertname });
  const restoredAt = Date.now();
  line.restore();
  const resolved = await nextMessage(cw.receiver, from, 'resolved', 60_000);
  if (resolved) run.resolvedAfterRestore = resolved.atMs - restoredAt;
  return run;
}

/** Cuts at a random moment within `spreadMs` (the probe, scrape and evaluation phases are not aligned with it). */
function randomCut(line: BenchLine, spreadMs: number): () => Promise<number> {
  return async () => {
    await sleep(Math.random() * spreadMs);
    line.cut();
    return Date.now();
  };
}

async function benchOurs(cw: CenterwatchStack, line: BenchLine): Promise<OursRun[]> {
  const runs: OursRun[] = [];
  if (RUNS === 0) return runs;
  console.log(`\ncenterwatch (${Object.keys(LINE_OPTIONS).length ? 'NON-DEFAULT line options' : 'defaults'}), ${RUNS} runs — seconds after the cut:`);
  console.log('run  agent down  push in  alert fired  webhook  alertname    restore→resolved');
  for (let i = 0; i < RUNS; i++) {
    const r = await oursCut(cw, line, randomCut(line, 1000));
    runs.push(r);
    const rel = (t?: number) => (t === undefined ? undefined : t - r.cutAt);
    console.log(
      `${String(i + 1).padStart(3)}  ${secs(rel(r.agentDown)).padStart(10)}  ${secs(rel(r.push)).padStart(7)}  ${secs(rel(r.fired)).padStart(11)}  ${secs(rel(r.hook)).padStart(7)}  ${(r.alertname ?? 'NONE').padEnd(11)}  ${secs(r.resolvedAfterRestore).padStart(16)}`,
    );
  }
  return runs;
}

interface PromRun {
  hook?: number;
  ours?: number;
}

async function benchProm(cw: CenterwatchStack, line: BenchLine, dir: string, settings: PromSettings, n: number, stacks: Set<PromStack>): Promise<PromRun[]> {
  const runs: PromRun[] = [];
  if (n === 0) return runs;
  console.log(`\n${settings.name}, ${n} runs (fresh stack per run; centerwatch timed on the same cuts):`);
  for (let i = 0; i < n; i++) {
    const prom = new PromStack(dir, settings);
    stacks.add(prom);
    await prom.start(cw.agentPort);
    await prom.scrapedUp(3 * settings.intervalMs + 30_000);
    let hookAt: number | undefined;
    let cutAt = 0;
    // The first scrape was just seen: a random wait of up to one interval puts the cut at any phase.
    const cut = async () => {
      cutAt = await randomCut(line, settings.intervalMs)();
      return cutAt;
    };
    const promMessage = (async () => {
      while (cutAt === 0) await sleep(10);
      hookAt = (await nextMessage(prom.receiver, 0, 'firing', 4 * settings.intervalMs + 60_000))?.atMs;
    })();
    const ours = await oursCut(cw, line, cut, promMessage);
    await prom.stop();
    stacks.delete(prom);
    const run: PromRun = { ...(hookAt && { hook: hookAt - cutAt }), ...(ours.hook && { ours: ours.hook - cutAt }) };
    runs.push(run);
    console.log(`  ${stamp()} run ${i + 1}: prometheus webhook ${secs(run.hook)} s, centerwatch webhook ${secs(run.ours)} s`);
  }
  return runs;
}

interface Summary {
  name: string;
  values: number[];
  missing: number;
}

function summarise(name: string, values: Array<number | undefined>): Summary {
  const got = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return { name, values: got, missing: values.length - got.length };
}

const median = (s: Summary) => percentile(s.values, 0.5);

function printSummaries(all: Summary[]): void {
  const rows = all.filter((r) => r.values.length + r.missing > 0);
  if (rows.length === 0) return;
  console.log(
    `\n${'path (cut → webhook POST)'.padEnd(34)} ${'runs'.padStart(4)} ${'median s'.padStart(9)} ${'p90 s'.padStart(7)} ${'max s'.padStart(7)} ${'missed'.padStart(6)}`,
  );
  for (const s of rows) {
    console.log(
      `${s.name.padEnd(34)} ${String(s.values.length).padStart(4)} ${secs(median(s)).padStart(9)} ${secs(percentile(s.values, 0.9)).padStart(7)} ${secs(s.values.at(-1)).padStart(7)} ${String(s.missing).padStart(6)}`,
    );
  }
  const ours = rows.find((r) => r.name.startsWith('centerwatch') && r.values.length > 0);
  if (!ours) return;
  const ratios = rows
    .filter((r) => r.name.startsWith('prometheus'))
    .map((r) => `${r.name.replace('prometheus+am ', '')} ${(median(r) / median(ours)).toFixed(1)}`);
  if (ratios.length) console.log(`ratio prom/ours (medians): ${ratios.join(', ')}`);
  console.log(`target: centerwatch median < 5 s ${median(ours) < 5000 ? 'met' : 'MISSED'} (max ${secs(ours.values.at(-1)).trim()} s)`);
}

async function lossScenario(cw: CenterwatchStack, line: BenchLine, dir: string, stacks: Set<PromStack>): Promise<void> {
  console.log(`\nloss scenario: ${LOSS_PERCENT} % of packets dropped at random for ${LOSS_MINUTES} min`);
  await cw.fresh();
  if (!(await cw.settled(120_000))) throw new Error('centerwatch did not settle before the loss scenario');
  let prom: PromStack | undefined;
  if (ONLY !== 'ours') {
    prom = new PromStack(dir, PROM_TUNED);
    stacks.add(prom);
    await prom.start(cw.agentPort);
    await prom.scrapedUp(30_000);
  }
  const from = cw.receiver.received.length;
  const t0 = Date.now();
  line.startLoss(LOSS_PERCENT);
  for (let m = 1; m <= LOSS_MINUTES; m++) {
    await sleep(t0 + m * 60_000 - Date.now());
    const msgs = cw.receiver.received.slice(from);
    const downs = cw.agentEvents.filter((e) => e.atMs >= t0 && !e.up).length;
    const downMsgs = msgs.filter((x) => x.body.status === 'firing' && DOWN.includes(x.body.alerts[0]?.labels.alertname ?? '')).length;
    console.log(
      `  ${stamp()} ${m} min: loss over 30 s ${(await cw.lossRatio()).toFixed(2)}, agent down transitions ${downs}, centerwatch firing down ${downMsgs} (messages ${msgs.length})${prom ? `, prometheus tuned firing ${prom.receiver.received.filter((x) => x.body.status === 'firing').length}` : ''}`,
    );
  }
  line.stopLoss();
  const endedAt = Date.now();
  await sleep(75_000); // the resolved messages: recover_for 10 s (icmp), 60 s (CheckDegraded)
  const msgs = cw.receiver.received.slice(from);
  const count = (status: string, names: string[]) =>
    msgs.filter((m) => m.body.status === status && names.includes(m.body.alerts[0]?.labels.alertname ?? '')).length;
  const downs = cw.agentEvents.filter((e) => e.atMs >= t0 && e.atMs <= endedAt && !e.up);
  console.log(
    `centerwatch: ${count('firing', ['CheckDown', 'LinesDown'])} firing CheckDown/LinesDown message(s) (must be 0); ` +
      `${count('firing', ['CheckDegraded'])} CheckDegraded warning(s), ${count('resolved', ['CheckDegraded'])} resolved; ` +
      `${msgs.length} message(s) in all: ${msgs.map((m) => `${m.body.status} ${m.body.alerts[0]?.labels.alertname}`).join(', ') || 'none'}`,
  );
  console.log(
    `agent: ${downs.length} down transition(s) of the check during the loss${downs.length ? ` (${[...new Set(downs.map((d) => d.reason))].join(', ')})` : ''}`,
  );
  if (prom) {
    const firing = prom.receiver.received.filter((x) => x.body.status === 'firing').length;
    console.log(`prometheus tuned (baseline, same line): ${firing} firing LineDown message(s)`);
    await prom.stop();
    stacks.delete(prom);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-notify-'));
  const line = new BenchLine();
  const cw = new CenterwatchStack(dir);
  const stacks = new Set<PromStack>();
  const cleanup = () => {
    cw.kill();
    for (const s of stacks) s.kill();
    line.cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: cleaning up`);
      cleanup();
      process.exit(130);
    });
  }
  try {
    line.create();
    console.log(
      `bench:notify — line ${line.hostIf} ${line.hostAddr} → ${line.peerAddr} in netns ${line.ns}; centerwatch server defaults but engine.calendar.hold_outside_hours: false`,
    );
    if (Object.keys(LINE_OPTIONS).length) console.log(`NOT the defaults: line check options ${JSON.stringify(LINE_OPTIONS)}`);
    await cw.start(line, LINE_OPTIONS);
    const rows: Summary[] = [];
    if (ONLY !== 'prom')
      rows.push(
        summarise(
          Object.keys(LINE_OPTIONS).length ? 'centerwatch (line options set)' : 'centerwatch (defaults)',
          (await benchOurs(cw, line)).map((r) => (r.hook === undefined ? undefined : r.hook - r.cutAt)),
        ),
      );
    if (ONLY !== 'ours') {
      const tuned = await benchProm(cw, line, dir, PROM_TUNED, RUNS, stacks);
      const dflt = DEFAULT_RUNS > 0 ? await benchProm(cw, line, dir, PROM_DEFAULT, DEFAULT_RUNS, stacks) : [];
      if (ONLY === 'prom')
        rows.push(
          summarise(
            'centerwatch (same cuts as prom)',
            [...tuned, ...dflt].map((r) => r.ours),
          ),
        );
      rows.push(
        summarise(
          'prometheus+am tuned (1s, gw 0s)',
          tuned.map((r) => r.hook),
        ),
      );
      if (dflt.length)
        rows.push(
          summarise(
            'prometheus+am default (1m, gw 30s)',
            dflt.map((r) => r.hook),
          ),
        );
    }
    printSummaries(rows);
    if (LOSS_MINUTES > 0) await lossScenario(cw, line, dir, stacks);
  } finally {
    for (const s of stacks) await s.stop();
    await cw.stop();
    cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
