/**
 * The push pipeline end to end with real processes: the agent bin pushes remote_write (through its WAL) to
 * the server bin, which enforces the token's labels and forwards (through its own WAL) to Debian's Prometheus.
 * Then the server is stopped for over two minutes while the agent keeps probing: every sample of the cut
 * must reach Prometheus afterwards with its original timestamp.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort, startPrometheus, startRecorder, waitForHttp, type PrometheusReceiver, type RemoteWriteRecorder } from '../helpers/prometheus.js';

const OUTAGE_SECONDS = Number(process.env.OUTAGE_SECONDS ?? 125);
const PUSH_INTERVAL_MS = 1000;
const TOKEN = 'e2e-token-for-center-a-0123456789';
const available = commandExists('prometheus');

describe.skipIf(!requireService(available, 'prometheus not installed (Debian package prometheus)'))('agent → server → Prometheus', () => {
  let dir: string;
  let prom: PrometheusReceiver;
  let server: RunningBin;
  let agent: RunningBin;
  let serverArgs: string[];
  let serverPort: number;
  let agentPort: number;
  let target: Server;
  /** A second push target that never goes down: the record of every batch the agent produced. */
  let recorder: RemoteWriteRecorder;

  beforeAll(async () => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-'));
    prom = await startPrometheus();
    recorder = await startRecorder();
    serverPort = await freePort();
    agentPort = await freePort();
    target = createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const targetPort = (target.address() as { port: number }).port;
    writeFileSync(join(dir, 'agent.token'), `${TOKEN}\n`);
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: 127.0.0.1:${serverPort}\ndata_dir: server-data\ntokens:\n  - { id: a, token_file: agent.token, province: prov-x, center: center-a, agent: pc-1 }\n` +
        `forward:\n  - { name: prometheus, url: "${prom.writeUrl}" }\n`,
    );
    // The agent claims to be another center; the token decides.
    writeFileSync(
      join(dir, 'agent.yaml'),
      `center: { id: center-b, name: "B", province: quang-ngai }\nagent: { id: pc-1, listen: "127.0.0.1:${agentPort}" }\n` +
        `push:\n  interval: ${PUSH_INTERVAL_MS}ms\n  wal: { dir: agent-wal, fsync: always }\n  targets:\n    - { name: province, url: "http://127.0.0.1:${serverPort}/api/v1/write", bearer_token_file: agent.token, timeout: 2s }\n` +
        `    - { name: recorder, url: "${recorder.writeUrl}" }\n` +
        `checks:\n  - { id: tcp-local, kind: tcp, target: "127.0.0.1:${targetPort}", interval: 1s, timeout: 500ms, labels: { center_name: "x" } }\n`,
    );
    serverArgs = ['--config', join(dir, 'server.yaml')];
    server = startBin('centerwatch-server', serverArgs);
    await waitForHttp(`http://127.0.0.1:${serverPort}/healthz`);
    agent = startBin('centerwatch-agent', ['--config', join(dir, 'agent.yaml')]);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await prom?.close();
    await recorder?.close();
    target?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a probe result pushed by the agent is queryable in Prometheus with the token's center, province and agent", async () => {
    const series = await eventually(
      async () => {
        const r = await prom.query('centerwatch_probe_success{check="tcp-local"}');
        return r.length > 0 ? r : undefined;
      },
      30_000,
      'the sample in Prometheus',
    );
    expect(series).toHaveLength(1);
    expect(series[0]!.metric).toMatchObject({ center: 'center-a', province: 'prov-x', agent: 'pc-1', check: 'tcp-local', kind: 'tcp' });
    expect(series[0]!.value[1]).toBe('1');
    expect(await prom.query('count({center="center-b"})')).toEqual([]);
  }, 60_000);

  it(
    `loses nothing over a ${OUTAGE_SECONDS} s outage of the server: every sample arrives with its original timestamp`,
    async () => {
      const cutStart = Date.now() / 1000;
      expect(await server.stop()).toBe(0);
      await new Promise((r) => setTimeout(r, OUTAGE_SECONDS * 1000));
      const cutEnd = Date.now() / 1000;
      // The agent kept probing and queueing while the server was away.
      const metrics = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
      const backlog = Number(/^centerwatch_agent_push_backlog_samples\{target="province"\} (\S+)$/m.exec(metrics)?.[1]);
      const failures = Number(/^centerwatch_agent_push_failures_total\{target="province"\} (\S+)$/m.exec(metrics)?.[1]);
      expect(backlog).toBeGreaterThan(0);
      expect(failures).toBeGreaterThan(0);
      server = startBin('centerwatch-server', serverArgs);
      await waitForHttp(`http://127.0.0.1:${serverPort}/healthz`);
      // Every sample the agent produced while the server was away (the recorder saw them live) must reach
      // Prometheus through the server, with the same timestamp.
      const produced = [...recorder.timestamps({ check: 'tcp-local', __name__: 'centerwatch_probe_success' })].filter(
        (t) => t >= cutStart * 1000 && t <= cutEnd * 1000,
      );
      expect(produced.length).toBeGreaterThan(OUTAGE_SECONDS * 0.8);
      const window = `${Math.ceil(OUTAGE_SECONDS + 120)}s`;
      const inPrometheus = async (): Promise<Set<number>> => {
        const r = (await prom.rawSamples(`centerwatch_probe_success{check="tcp-local"}[${window}]`)) as unknown as Array<{ values: Array<[number, string]> }>;
        return new Set((r[0]?.values ?? []).map(([t]) => Math.round(t * 1000)));
      };
      // Wait for the backlog to land, and for a sample taken after the cut (the agent is live again); a
      // shortfall is reported below with the missing timestamps.
      const landed = (have: Set<number>): boolean => produced.every((t) => have.has(t)) && [...have].some((t) => t > cutEnd * 1000);
      const until = Date.now() + 90_000;
      let have = await inPrometheus();
      while (!landed(have) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 500));
        have = await inPrometheus();
      }
      const missing = produced.filter((t) => !have.has(t));
      const sorted = [...have].sort((a, b) => a - b);
      console.log(
        `outage ${Math.round(cutEnd - cutStart)} s: ${produced.length} samples produced during the cut, ${produced.length - missing.length} in Prometheus`,
      );
      expect(missing).toEqual([]);
      expect(sorted[0]!).toBeLessThan(cutStart * 1000);
      expect(sorted.at(-1)!).toBeGreaterThan(cutEnd * 1000);
    },
    (OUTAGE_SECONDS + 240) * 1000,
  );
});
