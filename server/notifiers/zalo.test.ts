import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttp } from '../../test/helpers/servers.js';
import { FIRING, RESOLVED } from '../../test/support/notifiers/fixtures.js';
import { truncate, zalo, ZALO_MAX_TEXT, type ZaloOptions } from './zalo.js';
import { resetTokenCache } from './zalo-token.js';

const APP_ID = '4318760955283920281';
const SECRET = 'app-secret-key-never-shown';
const INITIAL_RT = 'RT-0-secret';

interface Req {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Plays both openapi.zalo.me and oauth.zaloapp.com: issues rotating token pairs, accepts only the
 * newest refresh token once, and rejects unknown access tokens with -216, as Zalo does.
 */
class FakeZalo {
  requests: Req[] = [];
  issued = 0;
  validRefresh = INITIAL_RT;
  validAccess = new Set<string>();
  expiresIn = '90000';
  refreshDelayMs = 0;
  /** Overrides the answer of the message endpoint (after the token check). */
  cs?: () => { status: number; body: unknown } | undefined;
  /** Rejects every access token, even fresh ones. */
  rejectAll = false;

  handle(req: Req): { status: number; body: unknown } {
    if (req.path === '/v4/oa/access_token') {
      const f = new URLSearchParams(req.body);
      if (req.headers['secret_key'] !== SECRET || f.get('app_id') !== APP_ID) return { status: 200, body: { error: -14002, error_name: 'Invalid app' } };
      if (f.get('grant_type') !== 'refresh_token' || f.get('refresh_token') !== this.validRefresh) {
        return { status: 200, body: { error: -14014, error_name: 'Invalid parameter', error_description: 'Invalid refresh token' } };
      }
      const n = ++this.issued;
      this.validRefresh = `RT-${n}-secret`;
      this.validAccess.add(`AT-${n}-secret`);
      return { status: 200, body: { access_token: `AT-${n}-secret`, refresh_token: this.validRefresh, expires_in: this.expiresIn } };
    }
    if (req.path === '/v3.0/oa/message/cs') {
      const tok = String(req.headers['access_token']);
      if (this.rejectAll || !this.validAccess.has(tok)) return { status: 200, body: { error: -216, message: 'Access token is invalid' } };
      return this.cs?.() ?? { status: 200, body: { error: 0, message: 'Success', data: { message_id: 'm1', user_id: 'u' } } };
    }
    return { status: 404, body: {} };
  }
  paths(): string[] {
    return this.requests.map((r) => r.path);
  }
}

let fake: FakeZalo;
let base: string;
let close: () => Promise<void>;
let dir: string;
let o: ZaloOptions;

beforeAll(async () => {
  const http = await startHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Req = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      fake.requests.push(r);
      const a = fake.handle(r);
      const delay = r.path === '/v4/oa/access_token' ? fake.refreshDelayMs : 0;
      setTimeout(() => res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body)), delay);
    });
  });
  base = `http://127.0.0.1:${http.port}`;
  close = http.close;
});
afterAll(() => close());

beforeEach(async () => {
  fake = new FakeZalo();
  resetTokenCache();
  dir = await mkdtemp(join(tmpdir(), 'cw-zalo-'));
  o = {
    appId: APP_ID,
    secretKey: SECRET,
    refreshToken: INITIAL_RT,
    userIds: ['8130961249283', '5526129380122'],
    tokenFile: join(dir, 'zalo-token.json'),
    baseUrl: `${base}/`,
    oauthBaseUrl: base,
  };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const send = (opts: ZaloOptions = o, signal = AbortSignal.timeout(5000)) => zalo.send(zalo.format(FIRING, opts, 'vi'), opts, signal);
const readTokenFile = async () => JSON.parse(await readFile(o.tokenFile, 'utf8')) as Record<string, unknown>;

describe('zalo.format (message/cs, plain text)', () => {
  it('one exact message per recipient, Vietnamese', () => {
    const text =
      '🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến\n' +
      'Cách xử lý: gọi nhà mạng, kiểm tra router\n' +
      'Chi tiết: https://ready.example.vn/c/qng-sahuynh';
    expect(zalo.format(FIRING, o, 'vi')).toEqual([
      { recipient: { user_id: '8130961249283' }, message: { text } },
      { recipient: { user_id: '5526129380122' }, message: { text } },
    ]);
  });

  it('resolved, English', () => {
    expect(zalo.format(RESOLVED, { ...o, userIds: ['1'] }, 'en')).toEqual([
      {
        recipient: { user_id: '1' },
        message: { text: '✅ Phường Sa Huỳnh: both links are down — recovered at 08:40 (down for 28 min)\nDetails: https://ready.example.vn/c/qng-sahuynh' },
      },
    ]);
  });

  it('cuts text to 2000 characters with an ellipsis, and no secret reaches the payload', () => {
    const long = { ...FIRING, runbook: { vi: 'x'.repeat(3000), en: '' } };
    const [m] = zalo.format(long, o, 'vi');
    expect(m!.message.text).toHaveLength(ZALO_MAX_TEXT);
    expect(m!.message.text.endsWith('x…')).toBe(true);
    expect(m!.message.text.startsWith('🔴 Phường Sa Huỳnh:')).toBe(true);
    expect(JSON.stringify(zalo.format(FIRING, o, 'vi'))).not.toMatch(/secret/);
  });

  it('never splits an emoji (surrogate pair) at the cut', () => {
    expect(truncate('ab🔴cd', 4)).toBe('ab…');
    expect(truncate('abc🔴d', 4)).toBe('abc…');
    expect(truncate('abcd', 4)).toBe('abcd');
  });
});

describe('zalo.send against a loopback Zalo', () => {
  it('no token file: refreshes with the configured token, then POSTs each message with the new access token', async () => {
    const r = await send();
    expect(r).toEqual({ ok: true });
    expect(fake.paths()).toEqual(['/v4/oa/access_token', '/v3.0/oa/message/cs', '/v3.0/oa/message/cs']);
    const [oauth, cs1, cs2] = fake.requests;
    expect(oauth!.method).toBe('POST');
    expect(oauth!.headers['secret_key']).toBe(SECRET);
    expect(oauth!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(oauth!.body))).toEqual({ refresh_token: INITIAL_RT, app_id: APP_ID, grant_type: 'refresh_token' });
    for (const [req, user] of [
      [cs1!, '8130961249283'],
      [cs2!, '5526129380122'],
    ] as const) {
      expect(req.method).toBe('POST');
      expect(req.headers['access_token']).toBe('AT-1-secret');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['secret_key']).toBeUndefined();
      expect(JSON.parse(req.body)).toEqual({ recipient: { user_id: user }, message: { text: zalo.format(FIRING, o, 'vi')[0]!.message.text } });
    }
  });

  it('persists the rotated pair in a 0600 file; the result holds no secret', async () => {
    const t0 = Date.now();
    const r = await send();
    expect(JSON.stringify(r)).not.toMatch(/secret/);
    expect((await stat(o.tokenFile)).mode & 0o777).toBe(0o600);
    const f = await readTokenFile();
    expect(f).toMatchObject({ accessToken: 'AT-1-secret', refreshToken: 'RT-1-secret' });
    expect(f.expiresAtMs).toBeGreaterThanOrEqual(t0 + 90_000_000);
    expect(f.expiresAtMs).toBeLessThanOrEqual(Date.now() + 90_000_000);
  });

  it('a valid token is reused; the next refresh (after a restart) uses the NEW refresh token, not the configured one', async () => {
    expect(await send()).toEqual({ ok: true });
    expect(await send()).toEqual({ ok: true });
    expect(fake.paths().filter((p) => p.includes('access_token'))).toHaveLength(1);
    // Restart, and the token is about to expire (within the 5-minute margin).
    resetTokenCache();
    await writeFile(o.tokenFile, JSON.stringify({ ...(await readTokenFile()), expiresAtMs: Date.now() + 60_000 }));
    fake.requests = [];
    expect(await send()).toEqual({ ok: true });
    expect(fake.paths()[0]).toBe('/v4/oa/access_token');
    expect(new URLSearchParams(fake.requests[0]!.body).get('refresh_token')).toBe('RT-1-secret');
    expect(await readTokenFile()).toMatchObject({ accessToken: 'AT-2-secret', refreshToken: 'RT-2-secret' });
  });

  it('token error -216: refresh, then one retry with the new token', async () => {
    fake.validRefresh = 'RT-7-secret';
    await writeFile(o.tokenFile, JSON.stringify({ accessToken: 'AT-revoked', refreshToken: 'RT-7-secret', expiresAtMs: Date.now() + 3_600_000 }), {
      mode: 0o600,
    });
    const r = await send({ ...o, userIds: ['1'] });
    expect(r).toEqual({ ok: true });
    expect(fake.paths()).toEqual(['/v3.0/oa/message/cs', '/v4/oa/access_token', '/v3.0/oa/message/cs']);
    expect(fake.requests[0]!.headers['access_token']).toBe('AT-revoked');
    expect(fake.requests[2]!.headers['access_token']).toBe('AT-1-secret');
  });

  it('a fresh token refused again: one retry only, then a final failure', async () => {
    fake.rejectAll = true;
    const r = await send({ ...o, userIds: ['1'] });
    expect(r).toEqual({ ok: false, retryable: false, reason: 'http_status' });
    expect(fake.paths()).toEqual(['/v4/oa/access_token', '/v3.0/oa/message/cs', '/v4/oa/access_token', '/v3.0/oa/message/cs']);
  });

  it('other Zalo errors (user not following) are final and trigger no refresh', async () => {
    await send({ ...o, userIds: ['1'] });
    fake.requests = [];
    fake.cs = () => ({ status: 200, body: { error: -213, message: 'User has not followed OA' } });
    const r = await send({ ...o, userIds: ['1'] });
    expect(r).toEqual({ ok: false, retryable: false, reason: 'http_status' });
    expect(fake.paths()).toEqual(['/v3.0/oa/message/cs']);
  });

  it.each([
    [503, { ok: false, retryable: true, status: 503, reason: 'http_status' }],
    [429, { ok: false, retryable: true, status: 429, reason: 'http_status' }],
    [400, { ok: false, retryable: false, status: 400, reason: 'http_status' }],
  ])('HTTP %i from the message endpoint → %j', async (status, want) => {
    fake.cs = () => ({ status, body: { error: -1 } });
    expect(await send({ ...o, userIds: ['1'] })).toEqual(want);
  });

  it('one failing recipient does not stop the others; a retryable failure wins over a final one', async () => {
    let n = 0;
    fake.cs = () => (++n === 1 ? { status: 200, body: { error: -213, message: 'not following' } } : n === 2 ? { status: 502, body: {} } : undefined);
    const r = await send({ ...o, userIds: ['a', 'b', 'c'] });
    expect(r).toEqual({ ok: false, retryable: true, status: 502, reason: 'http_status' });
    expect(fake.paths().filter((p) => p.endsWith('/cs'))).toHaveLength(3);
  });

  it('a refused refresh token is final and nothing is sent', async () => {
    fake.validRefresh = 'RT-other';
    const r = await send();
    expect(r).toEqual({ ok: false, retryable: false, reason: 'http_status' });
    expect(fake.paths()).toEqual(['/v4/oa/access_token']);
  });

  it('concurrent sends share one refresh', async () => {
    const rs = await Promise.all([send(), send(), send()]);
    expect(rs).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(fake.paths().filter((p) => p.includes('access_token'))).toHaveLength(1);
  });

  it('a caller giving up mid-refresh does not lose the rotated token', async () => {
    fake.refreshDelayMs = 400;
    const t0 = performance.now();
    const r = await send(o, AbortSignal.timeout(100));
    expect(r).toEqual({ ok: false, retryable: true, reason: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(350);
    await new Promise((res) => setTimeout(res, 600));
    expect(await readTokenFile()).toMatchObject({ refreshToken: 'RT-1-secret' });
    fake.refreshDelayMs = 0;
    expect(await send()).toEqual({ ok: true });
    expect(fake.paths().filter((p) => p.includes('access_token'))).toHaveLength(1);
  });

  it('refresh answered 404 → final, 5xx → retryable; nothing sent either way', async () => {
    const r = await send({ ...o, oauthBaseUrl: `${base}/down` });
    expect(r).toEqual({ ok: false, retryable: false, status: 404, reason: 'http_status' });
    fake.requests = [];
    const orig = fake.handle.bind(fake);
    fake.handle = (req) => (req.path.includes('access_token') ? { status: 503, body: {} } : orig(req));
    expect(await send()).toEqual({ ok: false, retryable: true, status: 503, reason: 'http_status' });
    expect(fake.paths()).toEqual(['/v4/oa/access_token']);
  });
});
