/**
 * One bad series must not cost the others their delivery. Debian's Prometheus refuses a whole
 * remote_write request (400) when one sample in it is a duplicate with another value: the server's
 * forwarder splits the record until only that series is left, delivers the rest and counts the one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { serverConfigSchema } from '../../server/config/schema.js';
import { Forwarder } from '../../server/forward.js';
import { requireService } from '../helpers/ctx.js';
import { startPrometheus, type PrometheusReceiver } from '../helpers/prometheus.js';
import { commandExists } from '../helpers/servers.js';
import { series } from './server-harness.js';

const available = commandExists('prometheus');

describe.skipIf(!requireService(available, 'prometheus not installed (Debian package prometheus)'))('forwarding a batch Prometheus refuses whole', () => {
  let prom: PrometheusReceiver;
  let dir: string;
  let forwarder: Forwarder;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    prom = await startPrometheus();
    dir = mkdtempSync(join(tmpdir(), 'cw-bisect-'));
    const cfg = serverConfigSchema.parse({
      listen: '127.0.0.1:0',
      data_dir: dir,
      forward: [{ name: 'prometheus', url: prom.writeUrl, timeout: '5s' }],
      forward_wal: { fsync: 'never' },
    });
    const log = createLogger('info', {}, (l) => void lines.push(JSON.parse(l) as Record<string, unknown>));
    forwarder = (await Forwarder.open(cfg, 'test', log))!;
  }, 60_000);
  afterAll(async () => {
    await forwarder?.close();
    await prom?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the good series arrive, the duplicate with another value is dropped and counted', async () => {
    const t = Date.now() - 10_000;
    const shipper = forwarder.shippers.get('prometheus')!;
    await forwarder.enqueue([series({ __name__: 'cw_bisect_dup', job: 'x' }, [[t, 1]])], 1);
    await expect.poll(() => shipper.stats.sentSamples, { timeout: 15_000 }).toBe(1);

    // Eight good series around one sample Prometheus refuses (same series, same timestamp, another value).
    const good = Array.from({ length: 8 }, (_, i) => series({ __name__: 'cw_bisect_good', i: String(i) }, [[t + 1000, i]]));
    await forwarder.enqueue([...good.slice(0, 5), series({ __name__: 'cw_bisect_dup', job: 'x' }, [[t, 2]]), ...good.slice(5)], 9);
    await expect.poll(async () => (await prom.query('cw_bisect_good')).length, { timeout: 15_000, interval: 250 }).toBe(8);
    await expect.poll(() => forwarder.wal.stats().backlog.prometheus?.records, { timeout: 15_000 }).toBe(0);
    expect(shipper.stats).toMatchObject({ sentSamples: 9, rejectedSamples: 1, rejectedRecords: 0, failedAttempts: 0 });
    // The first value stays: nothing of the refused sample reached Prometheus.
    expect((await prom.query('cw_bisect_dup')).map((r) => r.value[1])).toEqual(['1']);
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).toEqual([
      expect.objectContaining({
        target: 'prometheus',
        status: 400,
        dropped_series: 1,
        dropped_samples: 1,
        delivered_series: 8,
        detail: expect.stringContaining('duplicate sample'),
      }),
    ]);
    console.info('refused batch of 9 series delivered in', warns[0]!.requests, 'requests; reason:', warns[0]!.detail);
  }, 60_000);
});
