import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { auth, body, post, series, startTestServer, TOKEN_A, type TestServer } from './server-harness.js';

/**
 * The server's own /metrics as Prometheus's linter reads it, with every family present: ingest, refusals,
 * forwarding (to a closed port, so its failure counters move), the engine's. The agent's passes too
 * (test/integration/agent.test.ts).
 */
let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ forward: [{ name: 'upstream', url: 'http://127.0.0.1:9/api/v1/write' }] });
  await post(`${srv.url}/api/v1/write`, body([series({ __name__: 'centerwatch_probe_success', check: 'web', kind: 'http' })]), auth(TOKEN_A));
  await post(`${srv.url}/api/v1/write`, body([]), auth('wrong-token-0123456789'));
});
afterAll(() => srv?.close());

describe("the server's /metrics", () => {
  it('passes promtool check metrics', async (ctx) => {
    if (!requireService(commandExists('promtool'), 'promtool not installed (Debian package prometheus)')) return ctx.skip();
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    expect(text).toContain('centerwatch_ingest_samples_total');
    expect(text).toContain('centerwatch_forward_failures_total');
    expect(text).toContain('nodejs_active_handles');
    let out: string;
    try {
      out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    }
    expect(out.trim()).toBe('');
  });
});
