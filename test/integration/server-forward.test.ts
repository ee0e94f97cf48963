import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/ctx.js';
import { startPrometheus, type PrometheusReceiver } from '../helpers/prometheus.js';
import { auth, body, metricValue, post, series, startTestServer, TOKEN_A, type TestServer } from './server-harness.js';

/**
 * The server forwards what it accepted, with the enforced labels, to a real Prometheus (Debian's, as a
 * remote_write receiver), and its durable queue carries samples across an upstream outage — and across
 * a restart of the server itself during that outage — with their original timestamps.
 */
function hasPrometheus(): boolean {
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const available = hasPrometheus();

let prom: PrometheusReceiver;
let srv: TestServer;
const forwardCfg = (): Record<string, unknown> => ({ forward: [{ name: 'prometheus', url: prom.writeUrl, timeout: '5s' }], forward_wal: { fsync: 'always' } });

beforeAll(async () => {
  if (!available) return;
  prom = await startPrometheus();
  srv = await startTestServer(forwardCfg());
}, 60_000);
afterAll(async () => {
  await srv?.close();
  await prom?.close();
});

async function pushAt(name: string, tsMs: number, value: number, extra: Record<string, string> = {}): Promise<void> {
  const res = await post(srv.url, body([series({ __name__: name, check: 'c1', ...extra }, [[tsMs, value]])]), auth(TOKEN_A));
  expect(res.status).toBe(204);
}

async function timestampsOf(selector: string): Promise<number[]> {
  const result = await prom.rawSamples(`${selector}[1h]`);
  return result.flatMap((r) => r.values.map(([t]) => Math.round(t * 1000))).sort((a, b) => a - b);
}

describe('forwarding to Prometheus', () => {
  it('a sample written with a center-A token is queryable with center="center-a", never "center-b"', async (ctx) => {
    if (!requireService(available, 'Debian prometheus binary not installed')) return ctx.skip();
    const t = Date.now();
    await pushAt('cw_forward_probe', t, 1, { center: 'center-b', province: 'elsewhere' });
    await expect.poll(async () => (await prom.query('cw_forward_probe{center="center-a"}')).length, { timeout: 20_000, interval: 250 }).toBe(1);
    const [one] = await prom.query('cw_forward_probe');
    expect(one!.metric).toEqual({ __name__: 'cw_forward_probe', agent: 'pc1', center: 'center-a', check: 'c1', province: 'p1' });
    expect(await prom.query('cw_forward_probe{center="center-b"}')).toEqual([]);
  });

  it('samples accepted while Prometheus is down, and across a server restart, all arrive with their timestamps', async (ctx) => {
    if (!requireService(available, 'Debian prometheus binary not installed')) return ctx.skip();
    await prom.stop();
    const base = Date.now() - 60_000;
    const sent: number[] = [];
    for (let i = 0; i < 15; i++) {
      sent.push(base + i * 1000);
      await pushAt('cw_outage', base + i * 1000, i);
    }
    // The server goes down and comes back on the same data dir while the upstream is still away.
    const dir = srv.dir;
    await srv.close(true);
    srv = await startTestServer(forwardCfg(), dir);
    for (let i = 15; i < 30; i++) {
      sent.push(base + i * 1000);
      await pushAt('cw_outage', base + i * 1000, i);
    }
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metricValue(metrics, 'centerwatch_forward_backlog_samples', 'upstream="prometheus"')).toBeGreaterThanOrEqual(15);
    await prom.start();
    await expect.poll(() => timestampsOf('cw_outage{center="center-a"}'), { timeout: 45_000, interval: 500 }).toEqual(sent);
    await expect
      .poll(async () => metricValue(await (await fetch(`${srv.url}/metrics`)).text(), 'centerwatch_forward_backlog_samples', 'upstream="prometheus"'), {
        timeout: 15_000,
      })
      .toBe(0);
    const after = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metricValue(after, 'centerwatch_forward_samples_total', 'upstream="prometheus",result="sent"')).toBeGreaterThanOrEqual(15);
    expect(metricValue(after, 'centerwatch_forward_last_success_timestamp_seconds', 'upstream="prometheus"')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(metricValue(after, 'centerwatch_forward_wal_dropped_samples_total', 'reason="size"')).toBe(0);
    expect(metricValue(after, 'centerwatch_forward_samples_total', 'upstream="prometheus",result="rejected"')).toBe(0);
    expect(metricValue(after, 'centerwatch_forward_wal_bytes')).toBeGreaterThanOrEqual(0);
  }, 90_000);
});
