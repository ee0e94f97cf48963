/**
 * remote_write compressed by the pure TypeScript snappy codec (the agent's fallback when the native add-on
 * cannot load) is accepted by Debian's Prometheus, whose Go decoder is the reference reader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentPush, seriesLabels } from '../../bench/simulator/fleet.js';
import { encodeWriteRequest, type TimeSeries } from '../../common/remote-write/proto.js';
import { sendWriteRequest } from '../../common/remote-write/sender.js';
import { compressBlock } from '../../common/remote-write/snappy-js.js';
import { requireService } from '../helpers/ctx.js';
import { startPrometheus, type PrometheusReceiver } from '../helpers/prometheus.js';
import { commandExists } from '../helpers/servers.js';

const marker = (run: string, value: number, timestampMs: number): TimeSeries => ({
  labels: [
    { name: '__name__', value: 'centerwatch_snappy_js_marker' },
    { name: 'center_name', value: 'Phường Sa Huỳnh' },
    { name: 'run', value: run },
  ],
  samples: [{ value, timestampMs }],
});

describe.skipIf(!requireService(commandExists('prometheus'), 'prometheus not installed (Debian package prometheus)'))('JS snappy → Prometheus', () => {
  let prom: PrometheusReceiver;
  const send = (block: Buffer) => sendWriteRequest({ name: 'prom', url: prom.writeUrl, timeoutMs: 5000, userAgent: 'centerwatch-test' }, block);

  beforeAll(async () => {
    prom = await startPrometheus();
  }, 30_000);
  afterAll(async () => {
    await prom?.close();
  });

  it('accepts a typical 150-series WriteRequest and the samples are queryable', async () => {
    const now = Date.now();
    const series = [...agentPush(seriesLabels(150), 3, now, new Set()), marker('typical', 42.5, now)];
    const body = encodeWriteRequest(series);
    const block = compressBlock(body);
    expect(block.length).toBeLessThan(body.length / 3);
    expect(await send(block)).toMatchObject({ kind: 'sent', status: 204 });
    const got = await prom.query('centerwatch_snappy_js_marker{run="typical"}');
    expect(got).toHaveLength(1);
    expect(got[0]!.metric.center_name).toBe('Phường Sa Huỳnh');
    expect(got[0]!.value[1]).toBe('42.5');
    const probes = await prom.query('count(centerwatch_probe_success)');
    expect(Number(probes[0]!.value[1])).toBe(series.filter((s) => s.labels[0]!.value === 'centerwatch_probe_success').length);
  });

  it('accepts a request of several 64 KiB blocks, every series landing', async () => {
    const now = Date.now();
    const series = Array.from({ length: 2000 }, (_, i) => ({
      labels: [
        { name: '__name__', value: 'centerwatch_snappy_js_bulk' },
        { name: 'check', value: `check-${i}` },
        { name: 'kind', value: ['icmp', 'tcp', 'http'][i % 3]! },
      ],
      samples: [{ value: i, timestampMs: now }],
    }));
    const body = encodeWriteRequest([...series, marker('bulk', 7, now)]);
    expect(body.length).toBeGreaterThan(2 * 65536);
    expect(await send(compressBlock(body))).toMatchObject({ kind: 'sent', status: 204 });
    expect(await prom.query('count(centerwatch_snappy_js_bulk)')).toMatchObject([{ value: [expect.any(Number), '2000'] }]);
    expect(await prom.query('sum(centerwatch_snappy_js_bulk)')).toMatchObject([{ value: [expect.any(Number), String((1999 * 2000) / 2)] }]);
    expect(await prom.query('centerwatch_snappy_js_marker{run="bulk"}')).toHaveLength(1);
  });

  it('refuses the same block cut short (Prometheus really decodes what it is sent)', async () => {
    const block = compressBlock(encodeWriteRequest([marker('cut', 1, Date.now())]));
    expect(await send(block.subarray(0, block.length - 4))).toMatchObject({ kind: 'rejected', status: 400 });
    expect(await prom.query('centerwatch_snappy_js_marker{run="cut"}')).toEqual([]);
  });
});
