/** Test-only: a loopback HTTP server that records requests and answers with a chosen status. */
import type { IncomingHttpHeaders } from 'node:http';
import { startHttp } from '../../helpers/servers.js';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CaptureServer {
  base: string;
  requests: Recorded[];
  /** Status of the next answers (default 200) and their body. */
  respond(status: number, body?: string): void;
  close(): Promise<void>;
}

export async function startCapture(): Promise<CaptureServer> {
  const requests: Recorded[] = [];
  let status = 200;
  let answer = '{"ok":true}';
  const http = await startHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'content-type': 'application/json' }).end(answer);
    });
  });
  return {
    base: `http://127.0.0.1:${http.port}`,
    requests,
    respond(s, b = '{"ok":false}') {
      status = s;
      answer = b;
    },
    close: http.close,
  };
}
