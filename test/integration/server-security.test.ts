import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWriteRequest, type TimeSeries } from '../../common/remote-write/proto.js';
import { snappyCompress, snappyUncompress } from '../../common/remote-write/snappy.js';
import { sha256Hex } from '../../server/tokens.js';
import { auth, body, metricValue, post, series, startTestServer, TOKEN_A, TOKEN_B, type TestServer } from './server-harness.js';

/**
 * The receiver against hostile and careless writers, over real loopback HTTP: every refusal is the
 * right 4xx, counted, and the next good request is still accepted. A real HTTP upstream records what
 * the server forwards, so "center A can never write center B" is checked on the wire too.
 */
let srv: TestServer;
let upstream: Server;
const forwarded: TimeSeries[] = [];

const LIMITS = {
  max_compressed_bytes: 64 * 1024,
  max_uncompressed_bytes: 256 * 1024,
  max_series_per_request: 500,
  max_series_per_agent: 50,
  max_label_value_bytes: 200,
};

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = snappyUncompress(Buffer.concat(chunks), 1 << 24);
      const decoded = raw.ok
        ? decodeWriteRequest(raw.body, { maxSeries: 1e6, maxLabelsPerSeries: 100, maxSamplesPerSeries: 1e6, maxLabelNameBytes: 1e3, maxLabelValueBytes: 1e4 })
        : undefined;
      if (decoded?.ok) forwarded.push(...decoded.series);
      res.writeHead(decoded?.ok ? 204 : 400).end();
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api/v1/write`;
  srv = await startTestServer({ limits: LIMITS, forward: [{ name: 'capture', url: upstreamUrl, timeout: '2s' }] });
});
afterAll(async () => {
  await srv?.close();
  await new Promise((r) => upstream?.close(r));
});

const good = (): Buffer => body([series({ __name__: 'centerwatch_probe_success', check: 'ok-check' })]);

async function expectStillServing(): Promise<void> {
  expect((await post(srv.url, good(), auth(TOKEN_A))).status).toBe(204);
}

async function refused(reason: string): Promise<number> {
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  return metricValue(text, 'centerwatch_ingest_refused_total', `reason="${reason}"`) ?? 0;
}

describe('POST /api/v1/write: authentication', () => {
  it('no token → 401, counted', async () => {
    const before = await refused('unauthorized');
    const res = await post(srv.url, good());
    expect(res.status).toBe(401);
    expect(await refused('unauthorized')).toBe(before + 1);
    await expectStillServing();
  });

  it('wrong token, another scheme, or the token hash itself → 401', async () => {
    for (const h of [auth('not-a-token-0123456789abcdef'), auth(`${TOKEN_A}x`), auth(sha256Hex(TOKEN_A)), { Authorization: `Basic ${TOKEN_A}` }]) {
      expect((await post(srv.url, good(), h)).status).toBe(401);
    }
    await expectStillServing();
  });
});

describe('enforced labels', () => {
  it('a center-A token writing center="center-b" produces center A series only, in state and upstream', async () => {
    const res = await post(
      srv.url,
      body([series({ __name__: 'spoof_metric', center: 'center-b', province: 'p9', agent: 'someone', check: 'x' }, [[Date.now(), 42]])]),
      auth(TOKEN_A),
    );
    expect(res.status).toBe(204);
    const held = srv.server.state.latest({ __name__: 'spoof_metric' });
    expect(held).toHaveLength(1);
    expect(held[0]!.labels).toEqual([
      { name: '__name__', value: 'spoof_metric' },
      { name: 'agent', value: 'pc1' },
      { name: 'center', value: 'center-a' },
      { name: 'check', value: 'x' },
      { name: 'province', value: 'p1' },
    ]);
    expect(srv.server.state.latest({ center: 'center-b' })).toEqual([]);
    await expect.poll(() => forwarded.filter((s) => s.labels.some((l) => l.value === 'spoof_metric')).length, { timeout: 10_000 }).toBeGreaterThan(0);
    const spoofs = forwarded.filter((s) => s.labels.some((l) => l.value === 'spoof_metric'));
    for (const s of spoofs) {
      expect(s.labels.filter((l) => l.name === 'center')).toEqual([{ name: 'center', value: 'center-a' }]);
      expect(s.labels.filter((l) => l.name === 'agent')).toEqual([{ name: 'agent', value: 'pc1' }]);
      expect(s.samples).toEqual([{ timestampMs: expect.any(Number), value: 42 }]);
    }
  });

  it('a per-center token: the agent label names the agent; a missing or invalid one → 400', async () => {
    expect((await post(srv.url, body([series({ __name__: 'per_center', agent: 'pc-9', center: 'center-a' })]), auth(TOKEN_B))).status).toBe(204);
    expect(srv.server.state.latest({ __name__: 'per_center' })[0]!.labels).toContainEqual({ name: 'center', value: 'center-b' });
    expect(srv.server.state.agents()).toContainEqual(expect.objectContaining({ center: 'center-b', agent: 'pc-9', province: 'p1' }));
    expect((await post(srv.url, body([series({ __name__: 'per_center' })]), auth(TOKEN_B))).status).toBe(400);
    expect((await post(srv.url, body([series({ __name__: 'per_center', agent: 'Not An Id' })]), auth(TOKEN_B))).status).toBe(400);
    await expectStillServing();
  });
});

describe('limits', () => {
  it('a body over max_compressed_bytes → 413 (declared length)', async () => {
    const before = await refused('too_large');
    const res = await post(srv.url, Buffer.alloc(LIMITS.max_compressed_bytes + 1, 7), auth(TOKEN_A));
    expect(res.status).toBe(413);
    expect(await refused('too_large')).toBe(before + 1);
    await expectStillServing();
  });

  it('a chunked body growing past the limit → 413 without reading it into memory', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${srv.url}/api/v1/write`, { method: 'POST', headers: { ...auth(TOKEN_A), 'Content-Encoding': 'snappy' }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      // 4 × the limit in 16 KiB chunks, without a Content-Length.
      let sent = 0;
      const chunk = Buffer.alloc(16 * 1024, 1);
      const pump = (): void => {
        while (sent < 4 * LIMITS.max_compressed_bytes) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    await expectStillServing();
  });

  it('a snappy block declaring more than max_uncompressed_bytes → 413 before inflating', async () => {
    // varint preamble of 512 MiB, then a literal of a few bytes
    const block = Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x02]), Buffer.from([0x0c, 1, 2, 3, 4])]);
    const res = await post(srv.url, block, auth(TOKEN_A));
    expect(res.status).toBe(413);
    expect(res.text).toMatch(/exceeds/);
    await expectStillServing();
  });

  it('malformed snappy → 400', async () => {
    const before = await refused('malformed');
    for (const bad of [Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x20, 0xfe, 0xfe, 0xfe]), Buffer.alloc(0)]) {
      expect((await post(srv.url, bad, auth(TOKEN_A))).status).toBe(400);
    }
    expect(await refused('malformed')).toBe(before + 3);
    await expectStillServing();
  });

  it('valid snappy around a malformed protobuf → 400', async () => {
    for (const bad of [Buffer.from('this is not a protobuf'), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x0a, 0x05, 0x0a, 0x10, 0x00])]) {
      expect((await post(srv.url, snappyCompress(bad), auth(TOKEN_A))).status).toBe(400);
    }
    await expectStillServing();
  });

  it('label limits → 400 (too long a value, an invalid name)', async () => {
    expect((await post(srv.url, body([series({ __name__: 'x', v: 'x'.repeat(LIMITS.max_label_value_bytes + 1) })]), auth(TOKEN_A))).status).toBe(400);
    expect((await post(srv.url, body([series({ __name__: 'x', 'bad-name': '1' })]), auth(TOKEN_A))).status).toBe(400);
    await expectStillServing();
  });

  it('more series in one request than max_series_per_request → 413', async () => {
    const many = Array.from({ length: LIMITS.max_series_per_request + 1 }, (_, i) => series({ __name__: 'many', i: String(i) }));
    expect((await post(srv.url, body(many), auth(TOKEN_A))).status).toBe(413);
    await expectStillServing();
  });

  it('an agent past max_series_per_agent → 429, its known series still accepted, other agents unaffected', async () => {
    const before = await refused('series_limit');
    const held = srv.server.state.agents().find((a) => a.center === 'center-a')!.series;
    const tooMany = Array.from({ length: LIMITS.max_series_per_agent - held + 1 }, (_, i) => series({ __name__: 'per_agent', i: String(i) }));
    const res = await post(srv.url, body(tooMany), auth(TOKEN_A));
    expect(res.status).toBe(429);
    expect(await refused('series_limit')).toBe(before + 1);
    expect(srv.server.state.latest({ __name__: 'per_agent' })).toEqual([]);
    await expectStillServing();
    expect((await post(srv.url, body([series({ __name__: 'per_center', agent: 'pc-10' })]), auth(TOKEN_B))).status).toBe(204);
  });
});

describe('clients that misbehave at the socket level', () => {
  it('a client that goes away mid-body, or sends a Content-Length it never fills, leaves the server serving', async () => {
    const payload = good();
    await new Promise<void>((resolve) => {
      const req = request(`${srv.url}/api/v1/write`, { method: 'POST', agent: false, headers: { ...auth(TOKEN_A), 'Content-Length': payload.length * 10 } });
      req.on('error', () => resolve());
      req.write(payload, () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    expect((await post(srv.url, payload, { ...auth(TOKEN_A), 'Content-Length': String(payload.length - 3) })).status).toBe(400);
    await expectStillServing();
    expect(await (await fetch(`${srv.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
  });

  it('50 writers at once, good and bad mixed: every answer is the right one', async () => {
    const bad = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => post(srv.url, i % 2 ? bad : good(), auth(TOKEN_A))));
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 50 }, (_, i) => (i % 2 ? 400 : 204)));
  });
});

describe('the rest of the surface', () => {
  it('/healthz answers JSON, /metrics carries the ingest counters, unknown paths 404, GET write 404', async () => {
    expect(await (await fetch(`${srv.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    expect(metricValue(text, 'centerwatch_ingest_requests_total', 'result="accepted"')).toBeGreaterThan(5);
    expect(metricValue(text, 'centerwatch_ingest_samples_total')).toBeGreaterThan(5);
    expect(metricValue(text, 'centerwatch_server_agents')).toBe(3);
    expect(text).not.toContain(TOKEN_A);
    expect((await fetch(`${srv.url}/nope`)).status).toBe(404);
    expect((await fetch(`${srv.url}/api/v1/write`)).status).toBe(404);
  });

  it('a Content-Encoding other than snappy → 415', async () => {
    expect((await post(srv.url, good(), { ...auth(TOKEN_A), 'Content-Encoding': 'gzip' })).status).toBe(415);
    await expectStillServing();
  });
});

describe('without forwarding: the fast path for series the agent has sent before', () => {
  it("keeps enforcing the token's labels and moving values forward on repeated writes", async () => {
    const local = await startTestServer();
    try {
      const spoof = (value: number, ts: number) => body([series({ __name__: 'fast_metric', center: 'center-b', agent: 'someone', check: 'x' }, [[ts, value]])]);
      const t0 = Date.now();
      expect((await post(local.url, spoof(1, t0), auth(TOKEN_A))).status).toBe(204); // full path: registers the sent bytes
      expect((await post(local.url, spoof(2, t0 + 1000), auth(TOKEN_A))).status).toBe(204); // fast path
      expect((await post(local.url, spoof(3, t0 - 5000), auth(TOKEN_A))).status).toBe(204); // a replayed older sample
      const held = local.server.state.latest({ __name__: 'fast_metric' });
      expect(held).toHaveLength(1);
      expect(held[0]!.value).toBe(2);
      expect(held[0]!.timestampMs).toBe(t0 + 1000);
      expect(held[0]!.labels).toContainEqual({ name: 'center', value: 'center-a' });
      expect(local.server.state.latest({ center: 'center-b' })).toEqual([]);
      // Another token sending the very same bytes lands in its own center, never in A's series.
      const perCenter = body([series({ __name__: 'fast_metric', agent: 'pc-9', check: 'x' }, [[t0 + 2000, 7]])]);
      expect((await post(local.url, perCenter, auth(TOKEN_B))).status).toBe(204);
      expect(local.server.state.latest({ __name__: 'fast_metric', center: 'center-a' })[0]!.value).toBe(2);
      const text = await (await fetch(`${local.url.replace('/api/v1/write', '')}/metrics`)).text();
      expect(metricValue(text, 'centerwatch_ingest_samples_total')).toBe(4);
    } finally {
      await local.close();
    }
  });
});
