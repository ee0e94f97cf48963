/**
 * The WAL at work, with the agent bin and Debian's Prometheus as the target:
 * - the target goes away for a while, the agent keeps probing, the target comes back: every tick of the
 *   cut arrives with its original timestamp;
 * - the agent is killed (-9) while the target is down and restarted on the same WAL: it replays what it
 *   had not sent.
 * The ticks are counted by a second push target, a recorder that is always up (one WAL cursor per target).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort, startPrometheus, startRecorder, type PrometheusReceiver, type RemoteWriteRecorder } from '../helpers/prometheus.js';

const INTERVAL_MS = 1000;
const OUTAGE_MS = Number(process.env.PUSH_OUTAGE_MS ?? 25_000);
const PROBE = 'centerwatch_probe_success{check="tcp-local"}';

/** Timestamps (ms) of the probe's samples in Prometheus over the last `seconds`. */
async function promTicks(prom: PrometheusReceiver, seconds: number): Promise<Set<number>> {
  const r = await prom.rawSamples(`${PROBE}[${Math.ceil(seconds)}s]`);
  return new Set(r.flatMap((s) => s.values.map(([t]) => Math.round(t * 1000))));
}

async function agentMetric(port: number, pattern: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe.skipIf(!requireService(commandExists('prometheus'), 'prometheus not installed (Debian package prometheus)'))('push through an outage', () => {
  let dir: string;
  let prom: PrometheusReceiver;
  let recorder: RemoteWriteRecorder;
  const recorded = (): number[] => [...recorder.timestamps({ __name__: 'centerwatch_probe_success', check: 'tcp-local' })];
  let target: Server;
  let agent: RunningBin | undefined;
  let agentPort: number;
  let config: string;
  const t0 = Date.now();

  beforeAll(async () => {
    buildBins();
    target = createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  }, 60_000);
  afterAll(() => target?.close());

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-push-outage-'));
    prom = await startPrometheus();
    recorder = await startRecorder();
    agentPort = await freePort();
    config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: pc-1, listen: "127.0.0.1:${agentPort}" }\n` +
        `push:\n  interval: ${INTERVAL_MS}ms\n  wal: { dir: wal, fsync: always }\n  targets:\n` +
        `    - { name: prom, url: "${prom.writeUrl}", timeout: 2s }\n    - { name: tap, url: "${recorder.writeUrl}", timeout: 2s }\n` +
        `checks:\n  - { id: tcp-local, kind: tcp, target: "127.0.0.1:${(target.address() as { port: number }).port}", interval: 1s, timeout: 500ms }\n`,
    );
  }, 30_000);

  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await prom?.close();
    await recorder?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    `loses no tick over a ${OUTAGE_MS / 1000} s outage of the target: each arrives with its original timestamp`,
    async () => {
      agent = startBin('centerwatch-agent', ['--config', config]);
      await eventually(async () => ((await promTicks(prom, 60)).size >= 2 ? true : undefined), 30_000, 'first samples in Prometheus');

      const cutStart = Date.now();
      await prom.stop();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      // While cut, the backlog for the dead target grows and is reported; the live target is unaffected.
      const backlog = await agentMetric(agentPort, /centerwatch_agent_push_backlog_samples\{target="prom"\} (\d+)/);
      const failures = await agentMetric(agentPort, /centerwatch_agent_push_failures_total\{target="prom"\} (\d+)/);
      const oldestAge = await agentMetric(agentPort, /centerwatch_agent_wal_oldest_sample_age_seconds ([\d.e+-]+)/);
      const cutEnd = Date.now();
      await prom.start();

      const inCut = recorded()
        .filter((t) => t > cutStart && t < cutEnd)
        .sort((a, b) => a - b);
      expect(inCut.length).toBeGreaterThanOrEqual(Math.floor((OUTAGE_MS / INTERVAL_MS) * 0.8));
      expect(backlog).toBeGreaterThan(0);
      expect(failures).toBeGreaterThan(0);
      expect(oldestAge).toBeGreaterThan((OUTAGE_MS / 1000) * 0.8);

      const replayStart = Date.now();
      const got = await eventually(
        async () => {
          const ticks = await promTicks(prom, (Date.now() - t0) / 1000 + 60);
          return recorded()
            .filter((t) => t < cutEnd)
            .every((t) => ticks.has(t))
            ? ticks
            : undefined;
        },
        60_000,
        'every tick of the cut in Prometheus',
      );
      const all = recorded().filter((t) => t < cutEnd);
      const replaySeconds = (Date.now() - replayStart) / 1000;
      console.log(
        `outage ${((cutEnd - cutStart) / 1000).toFixed(1)} s: ${inCut.length} ticks during the cut, all ${all.length} ticks before its end in Prometheus ${replaySeconds.toFixed(1)} s after it came back`,
      );
      // Backoff is capped at 5 s: the backlog must not wait long for a target that is back (generous).
      expect(replaySeconds).toBeLessThan(20);
      expect(all.filter((t) => !got.has(t))).toEqual([]);
      // Prometheus holds nothing the agent did not collect (no invented or shifted timestamps).
      const sent = new Set(recorded());
      expect([...got].filter((t) => t < cutEnd && !sent.has(t))).toEqual([]);
      await eventually(
        async () => ((await agentMetric(agentPort, /centerwatch_agent_push_backlog_samples\{target="prom"\} (\d+)/)) === 0 ? true : undefined),
        30_000,
        'the backlog drained',
      );
    },
    OUTAGE_MS + 150_000,
  );

  it('replays after kill -9 and restart on the same WAL what the dead target never got', async () => {
    await prom.stop();
    agent = startBin('centerwatch-agent', ['--config', config]);
    await eventually(async () => (recorded().length >= 5 ? true : undefined), 30_000, 'five ticks at the recorder');
    expect(await agent.stop('SIGKILL')).toBeNull();
    // Each tick reaches the recorder only after its append to the WAL (fsync: always) resolved.
    const firstRun = recorded();

    await prom.start();
    agent = startBin('centerwatch-agent', ['--config', config]);
    const got = await eventually(
      async () => {
        const ticks = await promTicks(prom, (Date.now() - t0) / 1000 + 60);
        return firstRun.every((t) => ticks.has(t)) ? ticks : undefined;
      },
      60_000,
      "the first run's ticks in Prometheus",
    );
    console.log(`restart: ${firstRun.length} ticks of the killed run replayed`);
    expect(firstRun.filter((t) => !got.has(t))).toEqual([]);
    expect(agent.log()).not.toMatch(/"level":"error"/);
  }, 150_000);
});
