/**
 * The engine end to end with real processes: the agent bin probes a loopback TCP target, pushes to the
 * server bin, whose engine alerts through the outbox to a webhook receiver run by this test.
 * - the target dies and comes back: one firing and one resolved message, in that order;
 * - restart: the server is killed (-9) mid-incident while the receiver is down; after the restart and
 *   the receiver's return every message arrives exactly once (idempotency keys checked), and the alert
 *   state is what it was.
 * - restart with every line of the center down and the agent's first push 6 s late: the center stays
 *   blocked all along, on the page, in the API and in the store's transitions (which feed the uptime).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort } from '../helpers/prometheus.js';
import { openSqliteStore } from '../../server/store/store.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const AGENT_TOKEN = 'e2e-agent-token-0123456789abcdef';
const OPS_TOKEN = 'e2e-ops-token-0123456789abcdef';

class Target {
  private server: Server | undefined;
  port = 0;
  async start(): Promise<void> {
    this.server = createServer((s) => s.end());
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  }
}

describe('engine end to end: agent → server → webhook', () => {
  let dir: string;
  let serverPort: number;
  let agentPort: number;
  let target: Target;
  let receiver: WebhookReceiver;
  let server: RunningBin | undefined;
  let agent: RunningBin | undefined;
  const api = async (path: string, init?: RequestInit): Promise<any> => (await fetch(`http://127.0.0.1:${serverPort}/api/v1${path}`, init)).json();

  beforeAll(() => buildBins(), 120_000);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-engine-e2e-'));
    [serverPort, agentPort] = [await freePort(), await freePort()];
    target = new Target();
    await target.start();
    receiver = new WebhookReceiver();
    await receiver.start();
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: 127.0.0.1:${serverPort}\ndata_dir: data\n` +
        `tokens:\n  - { id: t1, token: "${AGENT_TOKEN}", province: qng, center: sa-huynh, agent: pc1 }\n` +
        `engine:\n  interval: 500ms\n  public_url: "http://127.0.0.1:${serverPort}"\n` +
        `  calendar: { hold_outside_hours: false }\n` +
        `  rules:\n    - { kind: tcp, for: 1s, recover_for: 2s }\n` +
        `  routes:\n    - { name: oncall, channel: webhook, options: { url: "${receiver.url}" } }\n` +
        `  api_tokens:\n    - { id: ops, token: "${OPS_TOKEN}" }\n`,
    );
    writeFileSync(
      join(dir, 'agent.yaml'),
      `center: { id: sa-huynh, name: "Phường Sa Huỳnh", province: quang-ngai }\nagent: { id: pc1, listen: "127.0.0.1:${agentPort}" }\n` +
        `push:\n  interval: 5s\n  wal: { dir: wal }\n  targets:\n    - { name: province, url: "http://127.0.0.1:${serverPort}/api/v1/write", bearer_token: "${AGENT_TOKEN}", timeout: 2s }\n` +
        `checks:\n  - { id: tcp-target, kind: tcp, target: "127.0.0.1:${target.port}", interval: 1s, timeout: 500ms, impact: blocking }\n`,
    );
    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    agent = startBin('centerwatch-agent', ['--config', join(dir, 'agent.yaml')]);
    await eventually(async () => ((await api('/centers')).centers?.[0]?.state === 'ready' ? true : undefined), 30_000, 'the center ready');
  }, 60_000);

  afterEach(async () => {
    await agent?.stop();
    await server?.stop();
    await target.stop();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the target dies and comes back: one firing, then one resolved message', async () => {
    const cut = Date.now();
    await target.stop();
    await eventually(async () => (receiver.received.length >= 1 ? true : undefined), 20_000, 'the firing message');
    const firing = receiver.received[0]!;
    console.log(`cut → firing message: ${firing.atMs - cut} ms`);
    expect(firing.body.status).toBe('firing');
    expect(firing.body.alerts[0]!.labels).toMatchObject({
      alertname: 'CenterwatchCheckDown',
      province: 'qng',
      center: 'sa-huynh',
      agent: 'pc1',
      check: 'tcp-target',
      severity: 'critical',
    });
    expect(firing.body.alerts[0]!.annotations).toMatchObject({
      center_name: 'Phường Sa Huỳnh',
      summary: 'không truy cập được tcp-target (bị từ chối kết nối)',
      url: `http://127.0.0.1:${serverPort}/centers/sa-huynh`,
    });
    expect(firing.key).toMatch(/^oncall:check:sa-huynh\/pc1\/tcp-target@\d+:firing$/);
    const open = await api('/alerts');
    expect(open.alerts).toHaveLength(1);
    expect((await api('/centers/sa-huynh')).state).toBe('blocked');

    await target.start();
    await eventually(async () => (receiver.received.length >= 2 ? true : undefined), 20_000, 'the resolved message');
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.summary()).toEqual(['firing tcp-target', 'resolved tcp-target']);
    expect(receiver.received[1]!.key).toBe(firing.key!.replace(/:firing$/, ':resolved'));
    expect((await api('/alerts')).alerts).toHaveLength(0);
    const history = await api(`/alerts/${encodeURIComponent(open.alerts[0].id)}`);
    expect(history.history.map((h: { action: string }) => h.action)).toEqual(['fire', 'announced', 'resolve']);
    const metrics = await (await fetch(`http://127.0.0.1:${serverPort}/metrics`)).text();
    expect(metrics).toMatch(/centerwatch_notifications_total\{channel="webhook",result="sent"\} 2/);
    expect(metrics).toMatch(/centerwatch_center_readiness\{province="qng",center="sa-huynh",state="ready"\} 1/);
  }, 60_000);

  it('kill -9 mid-incident with the receiver down: after restart every message arrives once, state kept', async () => {
    await receiver.stop();
    await target.stop();
    const firing = await eventually(
      async () => {
        const a = (await api('/alerts')).alerts;
        return a.length === 1 ? a[0] : undefined;
      },
      20_000,
      'the alert firing',
    );
    // Let the outbox try (and fail) at least once before the kill.
    await new Promise((r) => setTimeout(r, 1500));
    await server!.stop('SIGKILL');

    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    // The same alert, still firing, after the restart (not a new one).
    const again = await eventually(
      async () => {
        const a = (await api('/alerts').catch(() => ({ alerts: [] }))).alerts;
        return a.length === 1 ? a[0] : undefined;
      },
      20_000,
      'the alert after restart',
    );
    expect(again.id).toBe(firing.id);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await api('/alerts')).alerts.map((a: { id: string }) => a.id)).toEqual([firing.id]);

    // The target comes back while the receiver is still down: the resolved message waits in the outbox too.
    await target.start();
    await eventually(async () => ((await api('/alerts')).alerts.length === 0 ? true : undefined), 20_000, 'the alert resolved');
    await receiver.start();
    await eventually(async () => (receiver.received.length >= 2 ? true : undefined), 30_000, 'both messages');
    await new Promise((r) => setTimeout(r, 3000));
    expect(receiver.summary()).toEqual(['firing tcp-target', 'resolved tcp-target']);
    const keys = receiver.received.map((m) => m.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[0]).toBe(`oncall:${firing.id}:firing`);
    const history = await api(`/alerts/${encodeURIComponent(firing.id)}`);
    expect(history.history.map((h: { action: string }) => h.action)).toEqual(['fire', 'announced', 'resolve']);
  }, 120_000);

  it('API writes need a token; a silence and an acknowledgement are recorded', async () => {
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`http://127.0.0.1:${serverPort}/api/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const silence = { matchers: ['center="sa-huynh"'], ends: new Date(Date.now() + 3600_000).toISOString(), comment: 'thay router' };
    expect((await post('/silences', silence)).status).toBe(401);
    expect((await post('/silences', silence, 'wrong-token-0123456789')).status).toBe(401);
    expect((await post('/silences', { matchers: ['center=~"("'] }, OPS_TOKEN)).status).toBe(400);
    expect((await post('/silences', { matchers: ['nonsense'] }, OPS_TOKEN)).status).toBe(400);
    const created = await post('/silences', silence, OPS_TOKEN);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect((await api('/silences')).silences.map((s: { id: number; createdBy: string }) => [s.id, s.createdBy])).toEqual([[id, 'ops']]);

    // Silenced: the target dies, the alert fires and is recorded, no message goes out.
    await target.stop();
    const alert = await eventually(async () => (await api('/alerts')).alerts[0], 20_000, 'the alert firing');
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.received).toHaveLength(0);
    expect((await post(`/alerts/${encodeURIComponent(alert.id)}/ack`, { comment: 'đang xử lý' })).status).toBe(401);
    expect((await post(`/alerts/${encodeURIComponent(alert.id)}/ack`, { comment: 'đang xử lý' }, OPS_TOKEN)).status).toBe(200);
    expect((await post('/alerts/nope/ack', {}, OPS_TOKEN)).status).toBe(404);
    const detail = await api(`/alerts/${encodeURIComponent(alert.id)}`);
    expect(detail.acknowledgements).toMatchObject([{ by: 'ops', comment: 'đang xử lý' }]);
    expect(detail.history.map((h: { action: string }) => h.action)).toEqual(['fire', 'silenced', 'acknowledged']);

    // Ending the silence while the alert still fires announces it then.
    const del = await fetch(`http://127.0.0.1:${serverPort}/api/v1/silences/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    expect(del.status).toBe(200);
    await eventually(async () => (receiver.received.length >= 1 ? true : undefined), 10_000, 'the message after the silence');
    expect(receiver.summary()).toEqual(['firing tcp-target']);
    // A malformed body is a 400 and the server keeps serving.
    const bad = await fetch(`http://127.0.0.1:${serverPort}/api/v1/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPS_TOKEN}` },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect((await api('/centers')).centers).toHaveLength(1);
  }, 60_000);
});

describe('engine end to end: a restart while every line is down', () => {
  let dir: string;
  let serverPort: number;
  let server: RunningBin | undefined;
  let agent: RunningBin | undefined;
  const center = async (): Promise<any> => (await fetch(`http://127.0.0.1:${serverPort}/api/v1/centers/sa-huynh`)).json();

  beforeAll(() => buildBins(), 120_000);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-engine-restart-'));
    const [agentPort, deadA, deadB] = [await freePort(), await freePort(), await freePort()];
    serverPort = await freePort();
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: 127.0.0.1:${serverPort}\ndata_dir: data\n` +
        `tokens:\n  - { id: t1, token: "${AGENT_TOKEN}", province: qng, center: sa-huynh, agent: pc1 }\n` +
        `engine:\n  interval: 250ms\n  public_url: "http://127.0.0.1:${serverPort}"\n`,
    );
    // Two "lines" (tcp to ports nobody listens on) in the lines group: both down, the center blocked.
    const line = (id: string, port: number) =>
      `  - { id: ${id}, kind: tcp, target: "127.0.0.1:${port}", interval: 1s, timeout: 500ms, impact: blocking, group: lines }\n`;
    writeFileSync(
      join(dir, 'agent.yaml'),
      `center: { id: sa-huynh, name: "Phường Sa Huỳnh", province: quang-ngai }\nagent: { id: pc1, listen: "127.0.0.1:${agentPort}" }\n` +
        `push:\n  interval: 1s\n  wal: { dir: wal }\n  targets:\n    - { name: province, url: "http://127.0.0.1:${serverPort}/api/v1/write", bearer_token: "${AGENT_TOKEN}", timeout: 2s }\n` +
        `checks:\n${line('line-a', deadA)}${line('line-b', deadB)}`,
    );
    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    agent = startBin('centerwatch-agent', ['--config', join(dir, 'agent.yaml')]);
    await eventually(async () => ((await center()).state === 'blocked' ? true : undefined), 30_000, 'the center blocked');
  }, 60_000);

  afterEach(async () => {
    agent?.child.kill('SIGCONT');
    await agent?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first push comes 6 s after the start: the center stays blocked, the store records no blocked → ready → blocked', async () => {
    // The agent is frozen across the restart, so its first push reaches the new server late.
    agent!.child.kill('SIGSTOP');
    await server!.stop();
    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    const startedAt = Date.now();
    const seen = new Set<string>();
    await eventually(async () => ((await center()).state ? true : undefined), 15_000, 'the restarted server');
    while (Date.now() - startedAt < 6000) {
      seen.add((await center()).state);
      await new Promise((r) => setTimeout(r, 100));
    }
    agent!.child.kill('SIGCONT');
    const resumedAt = Date.now();
    // Fresh data: the checks are known again (and the center judged on them).
    await eventually(async () => ((await center()).checks?.length === 2 ? true : undefined), 15_000, 'the first push after the restart');
    console.log(`first push after the restart: ${Date.now() - startedAt} ms after the start (${Date.now() - resumedAt} ms after the agent resumed)`);
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      seen.add((await center()).state);
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.stop();
    const store = openSqliteStore(join(dir, 'data', 'engine.sqlite'));
    let transitions: string[];
    try {
      transitions = store.transitions('center', 'sa-huynh', 0, Date.now() + 1).map((t) => t.to);
    } finally {
      store.close();
    }
    expect({ transitions, seen: [...seen] }).toEqual({ transitions: ['blocked'], seen: ['blocked'] });
  }, 90_000);
});
