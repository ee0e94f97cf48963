import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWriteRequest, type TimeSeries } from '../../common/remote-write/proto.js';
import { snappyUncompress } from '../../common/remote-write/snappy.js';

/** A free loopback port (bound and released: good enough for a child process started right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Whether Debian's prometheus binary is installed. */
export function prometheusInstalled(): boolean {
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PromSample {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export interface PrometheusReceiver {
  port: number;
  writeUrl: string;
  /** Instant query: the vector's series and values. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Every raw sample of a range selector such as `up{job="x"}[1h]`, with its timestamp (s). */
  rawSamples(selector: string, atSeconds?: number): Promise<PromSample[]>;
  /** Every value of a label (e.g. `__name__`: every metric name held). */
  labelValues(label: string): Promise<string[]>;
  /** Stops Prometheus; `start()` again on the same port and data (an outage of the upstream). */
  stop(): Promise<void>;
  /** A restart replays Prometheus's own WAL first: after a long run under load, give it longer. */
  start(readyTimeoutMs?: number): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

/**
 * Debian's Prometheus as a remote_write receiver on a loopback port, with an out-of-order window so
 * backfilled samples (a WAL replay after an outage) land.
 */
export async function startPrometheus(): Promise<PrometheusReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\nstorage:\n  tsdb:\n    out_of_order_time_window: 6h\n');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const base = `http://127.0.0.1:${port}`;
  const start = async (readyTimeoutMs = 20_000): Promise<void> => {
    child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()).slice(-4000));
    try {
      await waitForHttp(`${base}/-/ready`, readyTimeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`);
    const body = (await res.json()) as { status: string; data: { result: T }; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data.result;
  };
  await start();
  return {
    port,
    writeUrl: `${base}/api/v1/write`,
    query: (promql) => api(`/api/v1/query?query=${encodeURIComponent(promql)}`),
    labelValues: async (label) => {
      const res = (await (await fetch(`${base}/api/v1/label/${encodeURIComponent(label)}/values`)).json()) as { data: string[] };
      return res.data;
    },
    rawSamples: (selector, at) => api(`/api/v1/query?query=${encodeURIComponent(selector)}${at ? `&time=${at}` : ''}`),
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RemoteWriteRecorder {
  writeUrl: string;
  /** Every series of every accepted request, in arrival order. */
  received: TimeSeries[][];
  /** Request headers of the last request (to check what a sender sends). */
  lastHeaders: Record<string, string | string[] | undefined>;
  /** Timestamps (ms) of the samples of series whose labels include all of `match`. */
  timestamps(match: Record<string, string>): Set<number>;
  close(): Promise<void>;
}

/**
 * A minimal remote_write receiver on a loopback port that keeps what it was sent: a second, always-up
 * target next to Prometheus counts every push tick. Answers 400 to a body it cannot decode, 204 otherwise.
 */
export async function startRecorder(): Promise<RemoteWriteRecorder> {
  const received: TimeSeries[][] = [];
  let lastHeaders: Record<string, string | string[] | undefined> = {};
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      lastHeaders = req.headers;
      const raw = snappyUncompress(Buffer.concat(chunks), 64 << 20);
      const limits = { maxSeries: 1e5, maxLabelsPerSeries: 100, maxSamplesPerSeries: 1e4, maxLabelNameBytes: 1024, maxLabelValueBytes: 4096 };
      const decoded = raw.ok ? decodeWriteRequest(raw.body, limits) : undefined;
      if (!decoded?.ok) return void res.writeHead(400).end();
      received.push(decoded.series);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    writeUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`,
    received,
    get lastHeaders() {
      return lastHeaders;
    },
    timestamps(match) {
      const out = new Set<number>();
      for (const series of received.flat()) {
        if (Object.entries(match).every(([k, v]) => series.labels.some((l) => l.name === k && l.value === v)))
          for (const s of series.samples) out.add(s.timestampMs);
      }
      return out;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
