import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../common/metrics.js';
import { buildServerBin, startServerBin, type ServerBin } from './server-bin-harness.js';
import { auth, body, metricValue, post, series, TOKEN_A, TOKEN_B } from './server-harness.js';

/**
 * A per-center token names its agents itself (issue 12): a leaked one must not create agents and series
 * without end. The server bin bounds agents per center and series per center; a bound frees up when an
 * agent's series expire (limits.series_ttl).
 */
let build: ReturnType<typeof buildServerBin>;
let srv: ServerBin | undefined;
beforeAll(() => {
  build = buildServerBin();
}, 60_000);
afterAll(async () => {
  await srv?.close();
  build?.remove();
});

const healthz = async (s: ServerBin) => (await (await fetch(`${s.url}/healthz`)).json()) as { series: number; agents: number };
const refused = async (s: ServerBin, reason: string) =>
  metricValue(await (await fetch(`${s.url}/metrics`)).text(), METRIC.ingestRefusedTotal, `reason="${reason}"`);

describe('bounds of a per-center token', () => {
  it('100 made-up agents × 5,000 series: the center stops at max_series_per_center (20,000), memory levels off', async () => {
    srv = await startServerBin(build.bin);
    const statuses: number[] = [];
    // RSS every 10 agents: refused requests are still decoded, so the heap grows to a level and stays there.
    const rss: number[] = [srv.rssBytes()];
    for (let a = 0; a < 100; a++) {
      const now = Date.now();
      const batch = Array.from({ length: 5000 }, (_, i) => series({ __name__: 'cw_flood', agent: `fake-${a}`, n: String(i) }, [[now, i]]));
      const res = await post(srv.url, body(batch), auth(TOKEN_B));
      statuses.push(res.status);
      if (res.status === 429) expect(res.text).toContain('max_series_per_center');
      if (a % 10 === 9) rss.push(srv.rssBytes());
    }
    console.log(
      `series flood: ${statuses.filter((s) => s === 204).length} of 100 accepted; RSS MiB every 10 agents: ${rss.map((r) => (r / 2 ** 20).toFixed(0)).join(' ')}`,
    );
    expect(statuses.filter((s) => s === 204)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(96);
    expect(await healthz(srv)).toEqual({ status: 'ok', series: 20_000, agents: 4 });
    expect(await refused(srv, 'series_limit')).toBe(96);
    // From the 20th agent on nothing more is kept. Before the bound: 500,000 series, RSS +110 MiB over that stretch.
    expect(rss.at(-1)! - rss[2]!).toBeLessThan(40 * 2 ** 20);
    // Another center is not touched by this one's bound.
    expect((await post(srv.url, body([series({ __name__: 'up' })]), auth(TOKEN_A))).status).toBe(204);
    await srv.close();
    srv = undefined;
  }, 120_000);

  it('the 65th agent is refused with 429 until an agent goes away (its series expire after series_ttl)', async () => {
    srv = await startServerBin(build.bin, 'limits: { series_ttl: 3s }\n');
    const push = (agent: string) => post(srv!.url, body([series({ __name__: 'up', agent, check: 'c' })]), auth(TOKEN_B));
    for (let a = 1; a <= 64; a++) expect((await push(`pc-${a}`)).status).toBe(204);
    const over = await push('pc-65');
    expect(over.status).toBe(429);
    expect(over.text).toContain('max_agents_per_center');
    expect(await refused(srv, 'agent_limit')).toBe(1);
    // Known agents go on; agents named by their own token do not count against a per-center bound.
    expect((await push('pc-1')).status).toBe(204);
    expect((await post(srv.url, body([series({ __name__: 'up' })]), auth(TOKEN_A))).status).toBe(204);
    // Everything goes quiet: once the series have expired, a new agent takes a silent one's place.
    await expect.poll(async () => (await healthz(srv!)).series, { timeout: 15_000, interval: 250 }).toBe(0);
    expect((await push('pc-65')).status).toBe(204);
    expect(await healthz(srv)).toMatchObject({ series: 1, agents: 65 });
  }, 60_000);
});
