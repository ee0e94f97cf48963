import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { Agent } from '../../agent/agent.js';
import { parseAgentConfig } from '../../agent/config/load.js';
import { createLogger } from '../../common/log.js';
import { startHttp, commandExists } from '../helpers/servers.js';
import { requireService } from '../helpers/ctx.js';

let target: Awaited<ReturnType<typeof startHttp>>;
let agent: Agent;
let base: string;
const logLines: string[] = [];

beforeAll(async () => {
  target = await startHttp((req, res) => {
    res.writeHead(req.url === '/broken' ? 503 : 200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  const yaml = `
center: { id: c1, name: "Phường Thử <b>", province: quang-ngai }
agent: { id: a1, listen: "127.0.0.1:0" }
lines:
  - { name: loopback, source: 127.0.0.1 }
checks:
  - { id: line-lo, kind: icmp, target: 127.0.0.1, line: loopback, interval: 1s, timeout: 1s, impact: blocking, group: lines }
  - { id: web-ok, kind: http, target: "http://127.0.0.1:${target.port}/ok?token=abc", interval: 1s, timeout: 1s, labels: { counter: "1" } }
  - { id: web-broken, kind: http, target: "http://127.0.0.1:${target.port}/broken", interval: 1s, timeout: 1s }
  - { id: port, kind: tcp, target: "127.0.0.1:${target.port}", interval: 1s, timeout: 1s }
  - { id: host, kind: host, interval: 2s, timeout: 2s }
`;
  const config = parseAgentConfig(yaml, 'inline.yaml');
  agent = new Agent(
    config,
    createLogger('debug', {}, (l) => logLines.push(l)),
  );
  const addr = await agent.start();
  base = `http://127.0.0.1:${addr.port}`;
  await new Promise((r) => setTimeout(r, 2500));
});

afterAll(async () => {
  await agent?.stop();
  await target?.close();
});

describe('agent', () => {
  it('serves /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', checks: 5 });
  });

  it("exports each check's result on /metrics", async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('centerwatch_probe_success{check="web-ok",kind="http",line="",counter="1"} 1');
    expect(text).toContain('centerwatch_probe_success{check="web-broken",kind="http",line="",counter=""} 0');
    expect(text).toContain('centerwatch_probe_reason{check="web-broken",kind="http",line="",counter="",reason="http_status"} 1');
    expect(text).toContain('centerwatch_probe_success{check="port",kind="tcp",line="",counter=""} 1');
    expect(text).toMatch(/centerwatch_probe_success\{check="line-lo",kind="icmp",line="loopback",counter=""\} 1/);
    expect(text).toMatch(/centerwatch_icmp_rtt_seconds_count\{check="line-lo",kind="icmp",line="loopback",counter=""\} [1-9]/);
    expect(text).toMatch(/centerwatch_agent_info\{version="\d+\.\d+\.\d+"\} 1/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    // The query string of a URL target never becomes a label or reaches the logs.
    expect(text).not.toContain('token=abc');
    expect(logLines.join('')).not.toContain('token=abc');
  });

  it('passes promtool check metrics', async (ctx) => {
    if (!requireService(commandExists('promtool'), 'promtool not installed (Debian package prometheus)')) return ctx.skip();
    const text = await (await fetch(`${base}/metrics`)).text();
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out).toBe('');
  });

  it('answers unknown paths with 404 and other methods with 405, and keeps serving', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
