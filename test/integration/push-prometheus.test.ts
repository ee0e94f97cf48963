/**
 * The agent bin pushes remote_write straight to Debian's Prometheus (no server in between): a probe
 * result lands with the timestamp of the push tick that carried it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort, startPrometheus, type PrometheusReceiver } from '../helpers/prometheus.js';

const INTERVAL_MS = 1000;
const TOKEN = 'push-prom-token-0123456789abcdef';

describe.skipIf(!requireService(commandExists('prometheus'), 'prometheus not installed (Debian package prometheus)'))('agent → Prometheus', () => {
  let dir: string;
  let prom: PrometheusReceiver;
  let agent: RunningBin;
  let target: Server;
  let agentPort: number;

  beforeAll(async () => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-push-prom-'));
    prom = await startPrometheus();
    agentPort = await freePort();
    target = createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const targetPort = (target.address() as { port: number }).port;
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    writeFileSync(
      join(dir, 'agent.yaml'),
      `center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: pc-1, listen: "127.0.0.1:${agentPort}" }\n` +
        `push:\n  interval: ${INTERVAL_MS}ms\n  wal: { dir: wal }\n` +
        `  targets:\n    - { name: prom, url: "${prom.writeUrl}?tenant=secret-query", bearer_token_file: token, timeout: 2s }\n` +
        `checks:\n  - { id: tcp-local, kind: tcp, target: "127.0.0.1:${targetPort}", interval: 1s, timeout: 500ms }\n`,
    );
    agent = startBin('centerwatch-agent', ['--config', join(dir, 'agent.yaml')]);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await prom?.close();
    target?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a probe result arrives with the timestamp of a push tick', async () => {
    const probe = await eventually(
      async () => {
        const r = await prom.rawSamples('centerwatch_probe_success{check="tcp-local"}[5m]');
        return (r[0]?.values.length ?? 0) >= 3 ? r : undefined;
      },
      30_000,
      'three probe samples in Prometheus',
    );
    expect(probe).toHaveLength(1);
    expect(probe[0]!.metric).toMatchObject({ __name__: 'centerwatch_probe_success', check: 'tcp-local', kind: 'tcp' });
    expect(probe[0]!.values.every(([, v]) => v === '1')).toBe(true);
    // Every series of one push carries the push's timestamp: the agent's info gauge is in every push,
    // so its timestamps are the ticks.
    const info = await prom.rawSamples('centerwatch_agent_info[5m]');
    const ticks = new Set(info[0]!.values.map(([t]) => Math.round(t * 1000)));
    const probeTs = probe[0]!.values.map(([t]) => Math.round(t * 1000));
    expect(probeTs.filter((t) => !ticks.has(t))).toEqual([]);
    const sorted = [...ticks].sort((a, b) => a - b);
    const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(INTERVAL_MS * 0.5);
    expect(Math.max(...gaps)).toBeLessThan(INTERVAL_MS * 1.5);
  }, 60_000);

  it('reports the push on its own /metrics and never shows the token or the URL query', async () => {
    const text = await eventually(
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
        return /centerwatch_agent_push_samples_total\{target="prom",result="sent"\} [1-9]/.test(t) ? t : undefined;
      },
      20_000,
      'sent samples on /metrics',
    );
    expect(text).toMatch(/centerwatch_agent_push_last_success_timestamp_seconds\{target="prom"\} 1\d{9}/);
    expect(text).toMatch(/centerwatch_agent_wal_bytes \d+/);
    expect(text).toMatch(/centerwatch_agent_push_failures_total\{target="prom"\} 0/);
    for (const leak of [TOKEN, 'secret-query']) {
      expect(text).not.toContain(leak);
      expect(agent.log()).not.toContain(leak);
    }
    expect(agent.log()).toContain('push started');
  }, 30_000);
});
