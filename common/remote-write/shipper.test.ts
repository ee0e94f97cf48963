import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { encodeWriteRequest, type TimeSeries } from './proto.js';
import { Shipper, type DurableQueue, type QueuedRecord, type ShipperOptions } from './shipper.js';
import { snappyCompress } from './snappy.js';
import { decodeRecord } from './split.js';

/** The WAL's contract in memory: records in order, per-consumer acks. */
function memoryQueue(records: QueuedRecord[]): DurableQueue & { acked: number[] } {
  const acked: number[] = [];
  return {
    acked,
    readOldest: async (_c, max) => records.filter((r) => !acked.includes(r.seq)).slice(0, max),
    ack: async (_c, seq) => void acked.push(seq),
  };
}

function record(seq: number, series: TimeSeries[]): QueuedRecord {
  const stamps = series.flatMap((s) => s.samples.map((x) => x.timestampMs));
  return {
    seq,
    payload: snappyCompress(encodeWriteRequest(series)),
    samples: stamps.length,
    minTimestampMs: Math.min(...stamps),
    maxTimestampMs: Math.max(...stamps),
  };
}

const ts = (name: string, bad = false): TimeSeries => ({
  labels: [{ name: '__name__', value: name }, ...(bad ? [{ name: 'bad', value: '1' }] : [])],
  samples: [{ timestampMs: 5000, value: 1 }],
});

type Handler = (series: TimeSeries[], req: IncomingMessage, res: ServerResponse) => void;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A loopback remote_write target; `handle` answers each decoded request. */
async function target(handle: Handler): Promise<{ url: string; requests: number }> {
  const t = { url: '', requests: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      t.requests++;
      handle(decodeRecord(Buffer.concat(chunks)) ?? [], req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`;
  closers.push(() => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))));
  return t;
}

function start(
  url: string,
  queue: DurableQueue,
  bearerToken?: string,
  more: Partial<ShipperOptions> = {},
): { shipper: Shipper; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', {}, (l) => void lines.push(JSON.parse(l) as Record<string, unknown>));
  const shipper = new Shipper({
    queue,
    consumer: 'c',
    target: { name: 't', url, bearerToken, timeoutMs: 2000, userAgent: 'test' },
    log,
    idlePollMs: 50,
    ...more,
  });
  shipper.start();
  closers.unshift(() => shipper.stop());
  return { shipper, lines };
}

describe('Shipper: a batch refused whole (400/413) is split', () => {
  for (const status of [400, 413]) {
    it(`${status}: the good series are delivered, the bad one is dropped and counted, the record is acked, one log line says so`, async () => {
      const delivered: string[] = [];
      const t = await target((series, req, res) => {
        if (series.some((s) => s.labels.some((l) => l.name === 'bad')))
          return void res.writeHead(status).end(`out of order sample; you sent ${req.headers.authorization}`);
        delivered.push(...series.map((s) => s.labels[0]!.value));
        res.writeHead(204).end();
      });
      const series = Array.from({ length: 32 }, (_, i) => ts(`m${i}`, i === 9));
      const queue = memoryQueue([record(1, series)]);
      const { shipper, lines } = start(t.url, queue, 'shipper-test-bearer-0123456789');
      await expect.poll(() => queue.acked, { timeout: 5000 }).toEqual([1]);
      expect(delivered.sort()).toEqual(
        series
          .filter((_, i) => i !== 9)
          .map((s) => s.labels[0]!.value)
          .sort(),
      );
      expect(shipper.stats).toMatchObject({
        sentRecords: 1,
        sentSamples: 31,
        rejectedRecords: 0,
        rejectedSamples: 1,
        failedAttempts: 0,
        lastSentSampleMs: 5000,
      });
      // 1 whole + at most 2 per level of a 32-series batch.
      expect(t.requests).toBeLessThanOrEqual(1 + 2 * 5);
      const warn = lines.filter((l) => l.level === 'warn');
      expect(warn).toEqual([
        expect.objectContaining({
          target: 't',
          status,
          dropped_series: 1,
          dropped_samples: 1,
          delivered_series: 31,
          requests: t.requests,
          detail: 'out of order sample; you sent Bearer [REDACTED]',
        }),
      ]);
      expect(JSON.stringify(lines)).not.toContain('shipper-test-bearer-0123456789');
    });
  }

  it('a single-series batch refused with 400 is dropped as before', async () => {
    const t = await target((_s, _req, res) => void res.writeHead(400).end('duplicate sample for timestamp'));
    const queue = memoryQueue([record(1, [ts('only', true)])]);
    const { shipper, lines } = start(t.url, queue);
    await expect.poll(() => queue.acked, { timeout: 5000 }).toEqual([1]);
    expect(t.requests).toBe(1);
    expect(shipper.stats).toMatchObject({ sentRecords: 0, rejectedRecords: 1, rejectedSamples: 1 });
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ msg: 'remote_write target refused a batch; it is dropped', status: 400, detail: 'duplicate sample for timestamp' }),
    ]);
  });
});

describe('Shipper: samples the receiver accepted but dropped (its clock window)', () => {
  it('counts X-Centerwatch-Refused-Samples and warns once per change of reason', async () => {
    let reason = 'too_far_in_future';
    const t = await target((_s, _req, res) => void res.writeHead(204, { 'X-Centerwatch-Refused-Samples': '2', 'X-Centerwatch-Refused-Reason': reason }).end());
    const records = [1, 2, 3].map((seq) => record(seq, [ts('a'), ts('b')]));
    const queue = memoryQueue(records);
    // One record per request: the header's count is per request.
    const { shipper, lines } = start(t.url, queue, undefined, { maxBatchRecords: 1 });
    await expect.poll(() => queue.acked.length, { timeout: 5000 }).toBe(3);
    expect(shipper.stats).toMatchObject({ sentSamples: 6, serverRefusedSamples: 6 });
    reason = 'too_old,too_far_in_future';
    shipper.offer(record(4, [ts('c')]));
    await expect.poll(() => shipper.stats.serverRefusedSamples, { timeout: 5000 }).toBe(8);
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).toEqual([
      expect.objectContaining({ msg: expect.stringContaining('clock looks wrong'), target: 't', refused_samples: 2, reason: 'too_far_in_future' }),
      expect.objectContaining({ reason: 'too_old,too_far_in_future' }),
    ]);
  });
});

describe('Shipper options', () => {
  const base = {
    queue: memoryQueue([]),
    consumer: 'c',
    target: { name: 't', url: 'http://127.0.0.1:1/', timeoutMs: 1000, userAgent: 'x' },
    log: createLogger('error', {}, () => undefined),
  };
  it('an option given as undefined keeps its default; a nonsense delay is an error at construction', () => {
    expect(() => new Shipper({ ...base, maxBackoffMs: undefined, minBackoffMs: undefined, idlePollMs: undefined })).not.toThrow();
    expect(() => new Shipper({ ...base, maxBackoffMs: Number.NaN })).toThrow('shipper maxBackoffMs must be a positive number of ms (got NaN)');
    expect(() => new Shipper({ ...base, minBackoffMs: 0 })).toThrow('shipper minBackoffMs must be a positive number of ms (got 0)');
    expect(() => new Shipper({ ...base, minBackoffMs: 10_000, maxBackoffMs: 5000 })).toThrow('shipper minBackoffMs (10000) is above maxBackoffMs (5000)');
  });
});

describe('Shipper: resends and a failing queue', () => {
  it('a record sent again after a 503 (which may have been stored) counts as resent; a first delivery does not', async () => {
    let answered = 0;
    const t = await target((_series, _req, res) => void res.writeHead(answered++ === 0 ? 503 : 204).end());
    const queue = memoryQueue([record(1, [ts('a'), ts('b')]), record(2, [ts('c')])]);
    const { shipper } = start(t.url, queue, undefined, { maxBatchRecords: 1 });
    await expect.poll(() => queue.acked, { timeout: 5000 }).toEqual([1, 2]);
    expect(shipper.stats).toMatchObject({ sentSamples: 3, resentSamples: 2, failedAttempts: 1 });
  });

  it('a record whose connection was refused (never arrived) is not counted as resent', async () => {
    const t = await target((_series, _req, res) => void res.writeHead(204).end());
    const queue = memoryQueue([record(1, [ts('a')])]);
    const closed = 'http://127.0.0.1:9/api/v1/write';
    const log = createLogger('error', {}, () => undefined);
    const shipper = new Shipper({
      queue,
      consumer: 'c',
      target: { name: 't', url: closed, timeoutMs: 2000, userAgent: 'test' },
      log,
      minBackoffMs: 20,
      maxBackoffMs: 50,
    });
    shipper.start();
    await expect.poll(() => shipper.stats.failedAttempts, { timeout: 5000 }).toBeGreaterThan(1);
    await shipper.stop();
    // Same record, now to a target that answers: the earlier attempts never reached anyone.
    const again = new Shipper({ queue, consumer: 'c', target: { name: 't', url: t.url, timeoutMs: 2000, userAgent: 'test' }, log, idlePollMs: 50 });
    again.start();
    closers.unshift(() => again.stop());
    await expect.poll(() => queue.acked, { timeout: 5000 }).toEqual([1]);
    expect(shipper.stats.resentSamples + again.stats.resentSamples).toBe(0);
  });

  it('a queue read that fails (a disk gone bad) does not end the loop: the next read delivers', async () => {
    const t = await target((_series, _req, res) => void res.writeHead(204).end());
    const inner = memoryQueue([record(1, [ts('a')])]);
    let reads = 0;
    const queue: DurableQueue = {
      readOldest: async (c, max) => {
        if (reads++ === 0) throw new Error('EIO: i/o error, read');
        return inner.readOldest(c, max);
      },
      ack: (c, seq) => inner.ack(c, seq),
    };
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger('info', {}, (l) => void lines.push(JSON.parse(l) as Record<string, unknown>));
    const shipper = new Shipper({
      queue,
      consumer: 'c',
      target: { name: 't', url: t.url, timeoutMs: 2000, userAgent: 'test' },
      log,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      idlePollMs: 50,
    });
    shipper.start();
    closers.unshift(() => shipper.stop());
    await expect.poll(() => inner.acked, { timeout: 5000 }).toEqual([1]);
    expect(lines.some((l) => l.level === 'error' && String(l.msg).includes('reading the push queue failed'))).toBe(true);
  });
});

describe('Shipper: a backlog drains in batches', () => {
  it('100 queued records go out in a few requests, every series in queue order, every record acked once', async () => {
    const seen: string[] = [];
    const t = await target((series, _req, res) => {
      seen.push(...series.map((x) => x.labels[0]!.value));
      res.writeHead(204).end();
    });
    const records = Array.from({ length: 100 }, (_, i) => record(i + 1, [ts(`m${String(i).padStart(3, '0')}`)]));
    const queue = memoryQueue(records);
    const { shipper } = start(t.url, queue);
    await expect.poll(() => queue.acked.length, { timeout: 5000 }).toBe(100);
    expect(queue.acked).toEqual(records.map((r) => r.seq));
    expect(seen).toEqual(records.map((_, i) => `m${String(i).padStart(3, '0')}`));
    expect(t.requests).toBeLessThanOrEqual(Math.ceil(100 / 32) + 1);
    expect(shipper.stats.sentSamples).toBe(100);
  });

  it('a batch refused whole is split: only the bad series is dropped, the other records delivered', async () => {
    const delivered: string[] = [];
    const t = await target((series, _req, res) => {
      if (series.some((x) => x.labels.some((l) => l.name === 'bad'))) return void res.writeHead(400).end('out of bounds');
      delivered.push(...series.map((x) => x.labels[0]!.value));
      res.writeHead(204).end();
    });
    const records = Array.from({ length: 20 }, (_, i) => record(i + 1, [ts(`m${i}`, i === 7)]));
    const queue = memoryQueue(records);
    const { shipper } = start(t.url, queue);
    await expect.poll(() => queue.acked.length, { timeout: 5000 }).toBe(20);
    expect(delivered.sort()).toEqual(records.flatMap((_, i) => (i === 7 ? [] : [`m${i}`])).sort());
    expect(shipper.stats).toMatchObject({ sentSamples: 19, rejectedSamples: 1 });
  });
});
