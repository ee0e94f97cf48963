import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../common/metrics.js';
import { requireService } from '../helpers/ctx.js';
import { prometheusInstalled, startPrometheus, type PrometheusReceiver } from '../helpers/prometheus.js';
import { buildServerBin, startServerBin, type ServerBin } from './server-bin-harness.js';
import { auth, body, metricValue, post, series, TOKEN_A, TOKEN_B } from './server-harness.js';

/**
 * Samples stamped far from the server's clock (issue 12): the server bin drops them from their request and
 * accepts the rest, so one agent with a wrong clock can neither make Prometheus refuse every center's
 * current samples (a year-2100 sample moves its head past them) nor sink the good series of its own
 * request (a negative stamp makes Prometheus refuse the whole request), nor freeze the latest state.
 */
const available = prometheusInstalled();
const Y2100 = Date.UTC(2100, 0, 1);
const Y2000 = Date.UTC(2000, 0, 1);

let build: ReturnType<typeof buildServerBin>;
beforeAll(() => {
  build = buildServerBin();
}, 60_000);
afterAll(() => build?.remove());

const metrics = async (srv: ServerBin): Promise<string> => (await fetch(`${srv.url}/metrics`)).text();

describe('forwarding with a wrong clock in one center (a real Prometheus)', () => {
  let prom: PrometheusReceiver | undefined;
  let srv: ServerBin | undefined;
  afterAll(async () => {
    await srv?.close();
    await prom?.close();
  });

  /** Timestamps (ms) of `cw_tb` samples in Prometheus, by center/check. */
  async function arrived(): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const r of await prom!.rawSamples('cw_tb[2h]')) out[`${r.metric.center}/${r.metric.check}`] = r.values.map(([t]) => Math.round(t * 1000));
    return out;
  }

  it("other centers' samples and the good series of the same requests all arrive; the bad ones are counted and the agent told", async (ctx) => {
    if (!requireService(available, 'Debian prometheus binary not installed')) return ctx.skip();
    prom = await startPrometheus();
    srv = await startServerBin(build.bin, `forward: [{ name: prometheus, url: "${prom.writeUrl}", timeout: 5s }]\n`);
    const t0 = Date.now() - 10_000;
    const push = (token: string, s: ReturnType<typeof series>[]) => post(srv!.url, body(s), auth(token));

    expect((await push(TOKEN_B, [series({ __name__: 'cw_tb', agent: 'pc7', check: 'b' }, [[t0, 1]])])).status).toBe(204);
    // A year-2100 sample among good series: accepted minus that sample; the agent is told.
    const future = await push(TOKEN_A, [
      series({ __name__: 'cw_tb', check: 'good1' }, [[t0, 1]]),
      series({ __name__: 'cw_tb', check: 'future' }, [[Y2100, 1]]),
      series({ __name__: 'cw_tb', check: 'mixed' }, [
        [t0, 1],
        [Y2100, 2],
      ]),
    ]);
    expect(future.status).toBe(204);
    expect.soft(future.headers['x-centerwatch-refused-samples']).toBe('2');
    expect.soft(future.headers['x-centerwatch-refused-reason']).toBe('timestamp_future');
    await expect.poll(async () => (await arrived())['center-a/good1'], { timeout: 20_000, interval: 250 }).toEqual([t0]);
    // Negative, zero and year-2000 stamps among good series.
    const past = await push(TOKEN_A, [
      series({ __name__: 'cw_tb', check: 'good2' }, [[t0 + 1000, 1]]),
      series({ __name__: 'cw_tb', check: 'negative' }, [[-1000, 1]]),
      series({ __name__: 'cw_tb', check: 'old' }, [
        [Y2000, 1],
        [0, 1],
      ]),
    ]);
    expect(past.status).toBe(204);
    expect.soft(past.headers['x-centerwatch-refused-samples']).toBe('3');
    expect.soft(past.headers['x-centerwatch-refused-reason']).toBe('timestamp_past');
    const both = await push(TOKEN_A, [
      series({ __name__: 'cw_tb', check: 'good3' }, [
        [t0 + 2000, 1],
        [Y2100, 1],
        [-5, 1],
      ]),
    ]);
    expect.soft(both.headers['x-centerwatch-refused-reason']).toBe('timestamp_future,timestamp_past');
    // Other centers go on pushing current samples.
    for (let i = 1; i <= 3; i++)
      expect((await push(TOKEN_B, [series({ __name__: 'cw_tb', agent: 'pc7', check: 'b' }, [[t0 + i * 1000, 1]])])).status).toBe(204);

    await expect.poll(arrived, { timeout: 30_000, interval: 500 }).toEqual({
      'center-a/good1': [t0],
      'center-a/mixed': [t0],
      'center-a/good2': [t0 + 1000],
      'center-a/good3': [t0 + 2000],
      'center-b/b': [t0, t0 + 1000, t0 + 2000, t0 + 3000],
    });
    expect(await prom.rawSamples('cw_tb[1d]', Y2100 / 1000 + 60)).toEqual([]);
    const text = await metrics(srv);
    expect(metricValue(text, METRIC.ingestSamplesRefusedTotal, 'reason="timestamp_future"')).toBe(3);
    expect(metricValue(text, METRIC.ingestSamplesRefusedTotal, 'reason="timestamp_past"')).toBe(4);
    expect(metricValue(text, METRIC.ingestSamplesTotal)).toBe(8);
    // One warning per agent per minute, naming the agent and the skew.
    const warnings = srv
      .log()
      .split('\n')
      .filter((l) => l.includes('out of bounds dropped'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn', agent: 'pc1', center: 'center-a', timestamp_future: 2, skew_ms: expect.any(Number) });
    expect(JSON.parse(warnings[0]!).skew_ms).toBeGreaterThan(Y2100 - Date.now() - 60_000);
  }, 90_000);
});

describe('the latest state with a wrong clock (no forwarding: the fast path)', () => {
  let srv: ServerBin | undefined;
  afterAll(async () => srv?.close());

  it('after a year-2100 "up", the five "down" pushes that follow are what the engine sees', async () => {
    srv = await startServerBin(build.bin);
    const check = { check: 'web', kind: 'http' };
    const push = (samples: ReturnType<typeof series>[]) => post(srv!.url, body(samples), auth(TOKEN_A));
    const now = Date.now();
    expect(
      (
        await push([
          series({ __name__: METRIC.checkInfo, ...check, impact: 'blocking' }, [[now, 1]]),
          series({ __name__: METRIC.probeSuccess, ...check }, [[now, 1]]),
        ])
      ).status,
    ).toBe(204);
    const future = await push([series({ __name__: METRIC.probeSuccess, ...check }, [[Y2100, 1]])]);
    expect(future.status).toBe(204);
    expect.soft(future.headers['x-centerwatch-refused-samples']).toBe('1');
    for (let i = 1; i <= 5; i++) expect((await push([series({ __name__: METRIC.probeSuccess, ...check }, [[now + i * 100, 0]])])).status).toBe(204);
    const upOf = async (): Promise<boolean | undefined> => {
      const res = await fetch(`${srv!.url}/api/v1/centers/center-a`);
      if (res.status !== 200) return undefined;
      const view = (await res.json()) as { checks: Array<{ check: string; up: boolean }> };
      return view.checks.find((c) => c.check === 'web')?.up;
    };
    await expect.poll(upOf, { timeout: 15_000, interval: 250 }).toBe(false);
    expect(metricValue(await metrics(srv), METRIC.ingestSamplesRefusedTotal, 'reason="timestamp_future"')).toBe(1);
  }, 60_000);
});
