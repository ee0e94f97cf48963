import { request } from 'node:http';
import { get as httpsGet } from 'node:https';
import { describe, expect, it } from 'vitest';
import { sendWriteRequest } from '../../common/remote-write/sender.js';
import { requireService } from '../helpers/ctx.js';
import { makeCert, opensslAvailable } from '../helpers/tls.js';
import { auth, body, post, series, startTestServer, TOKEN_A } from './server-harness.js';

/** HTTPS with a given certificate, and a stop that lets a request in flight finish. */
describe('server lifecycle', () => {
  it('serves HTTPS with tls.cert_file/key_file; the remote_write sender trusting that CA gets its 204', async (ctx) => {
    if (!requireService(opensslAvailable(), 'openssl CLI not installed')) return ctx.skip();
    const cert = makeCert({ notAfter: new Date(Date.now() + 86_400_000), names: ['127.0.0.1'] });
    const srv = await startTestServer({ tls: { cert_file: cert.certFile, key_file: cert.keyFile } });
    try {
      const target = {
        name: 't',
        url: `https://127.0.0.1:${srv.port}/api/v1/write`,
        bearerToken: TOKEN_A,
        ca: cert.cert.toString(),
        timeoutMs: 5000,
        userAgent: 'test',
      };
      expect(await sendWriteRequest(target, body([series({ __name__: 'tls_up' })]), new AbortController().signal)).toMatchObject({ kind: 'sent', status: 204 });
      expect(srv.server.state.latest({ __name__: 'tls_up' })).toHaveLength(1);
      // Browsers are told to use HTTPS only (Strict-Transport-Security), with the other security headers.
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) =>
        httpsGet(`https://127.0.0.1:${srv.port}/healthz`, { ca: cert.cert.toString() }, (res) => (res.resume(), resolve(res.headers))).on('error', reject),
      );
      expect(headers['strict-transport-security']).toBe('max-age=31536000');
      expect(headers['x-frame-options']).toBe('DENY');
      // plain HTTP to the HTTPS port is not served
      await expect(post(`http://127.0.0.1:${srv.port}`, body([]), auth(TOKEN_A))).rejects.toThrow(/hang up|ECONNRESET/);
    } finally {
      await srv.close();
      cert.cleanup();
    }
  });

  it('stop() lets a request in flight finish with 204, then refuses new connections', async () => {
    const srv = await startTestServer();
    const payload = body([series({ __name__: 'in_flight' })]);
    let stopped = false;
    const status = new Promise<number>((resolve, reject) => {
      const req = request(
        `${srv.url}/api/v1/write`,
        { method: 'POST', agent: false, headers: { ...auth(TOKEN_A), 'Content-Encoding': 'snappy', 'Content-Length': payload.length } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.write(payload.subarray(0, 5));
      setTimeout(() => {
        const stopping = srv.close().then(() => (stopped = true));
        setTimeout(() => {
          expect(stopped).toBe(false); // still waiting for our request
          req.end(payload.subarray(5));
          void stopping;
        }, 300);
      }, 100);
    });
    expect(await status).toBe(204);
    await expect.poll(() => stopped, { timeout: 10_000 }).toBe(true);
    expect(srv.server.state.latest({ __name__: 'in_flight' })).toHaveLength(1);
    await expect(fetch(`${srv.url}/healthz`)).rejects.toThrow();
  });
});
