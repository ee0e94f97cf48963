import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../common/log.js';
import { encodeWriteRequest, type TimeSeries } from '../../common/remote-write/proto.js';
import { snappyCompress } from '../../common/remote-write/snappy.js';
import { serverConfigSchema } from '../../server/config/schema.js';
import { CenterwatchServer } from '../../server/server.js';

/** Tokens every server test enrols: a per-agent token of center A and a per-center token of center B. */
export const TOKEN_A = 'center-a-agent-pc1-token-0123456789';
export const TOKEN_B = 'center-b-any-agent-token-0123456789';

export interface TestServer {
  server: CenterwatchServer;
  url: string;
  port: number;
  dir: string;
  logs: string[];
  /** Stops the server; the data dir is removed unless `keepData` (a restart on the same dir follows). */
  close(keepData?: boolean): Promise<void>;
}

/** A real server on a loopback port, in this process, with a temp data dir. `config` overrides the YAML's fields. */
export async function startTestServer(config: Record<string, unknown> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'cw-server-'));
  const cfg = serverConfigSchema.parse({
    listen: '127.0.0.1:0',
    data_dir: dir,
    tokens: [
      { id: 'a', token: TOKEN_A, province: 'p1', center: 'center-a', agent: 'pc1' },
      { id: 'b', token: TOKEN_B, province: 'p1', center: 'center-b' },
    ],
    ...config,
  });
  const logs: string[] = [];
  const log: Logger = createLogger('debug', {}, (l) => void logs.push(l));
  const server = new CenterwatchServer(cfg, log);
  const port = await server.start();
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    logs,
    async close(keepData = false) {
      await server.stop();
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function body(series: TimeSeries[]): Buffer {
  return snappyCompress(encodeWriteRequest(series));
}

export function series(labels: Record<string, string>, samples: Array<[number, number]> = [[Date.now(), 1]]): TimeSeries {
  return { labels: Object.entries(labels).map(([name, value]) => ({ name, value })), samples: samples.map(([timestampMs, value]) => ({ timestampMs, value })) };
}

export interface RawResponse {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

/**
 * POSTs a body with node:http (fetch would hide a dropped connection behind a generic error): resolves
 * with the status, rejects if the server drops the connection without answering.
 */
export function post(url: string, payload: Buffer, headers: Record<string, string> = {}, path = '/api/v1/write'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method: 'POST',
        headers: {
          'Content-Encoding': 'snappy',
          'Content-Type': 'application/x-protobuf',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
          'Content-Length': String(payload.length),
          ...headers,
        },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const auth = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** Reads one sample value of a metric (with exactly these labels) from a /metrics text. */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
