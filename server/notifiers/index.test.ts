/**
 * Transport behaviour of every HTTP channel, through the exhaustive map: the same loopback servers,
 * the same classification (5xx/429/network/timeout retryable, other 4xx and 3xx not). E-mail speaks
 * SMTP and has its own tests against a real SMTP server (email.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRING } from '../../test/support/notifiers/fixtures.js';
import { DEFINITIONS, NOTIFIERS, type Channel, type ChannelOptions } from './index.js';
import { startCapture, type CaptureServer } from '../../test/support/notifiers/test-server.js';

const TOKEN = '123456:AAE-secret-token-never-shown';

// A valid Zalo access token already on file, so its sends go straight to the message endpoint.
const zaloDir = mkdtempSync(join(tmpdir(), 'cw-notifiers-'));
const zaloTokenFile = join(zaloDir, 'zalo-token.json');
writeFileSync(zaloTokenFile, JSON.stringify({ accessToken: `AT-${TOKEN}`, refreshToken: `RT-${TOKEN}`, expiresAtMs: Date.now() + 86_400_000 }), {
  mode: 0o600,
});

function optionsFor<C extends Channel>(channel: C, base: string): ChannelOptions[C] {
  const all: ChannelOptions = {
    webhook: { url: `${base}/hook` },
    telegram: { token: TOKEN, chatId: -1001, baseUrl: base },
    slack: { url: `${base}/services/T/B/X` },
    alertmanager: { url: base },
    zalo: { appId: '1', secretKey: TOKEN, refreshToken: TOKEN, userIds: ['42'], tokenFile: zaloTokenFile, baseUrl: base, oauthBaseUrl: base },
    email: { host: '127.0.0.1', port: 1, from: 'a@example.vn', to: ['b@example.vn'] },
  };
  return all[channel];
}

async function sendVia(channel: Channel, base: string, signal: AbortSignal) {
  const n = DEFINITIONS[channel];
  const o = optionsFor(channel, base);
  return n.send(n.format(FIRING, o as never, 'vi'), o as never, signal);
}

const CHANNELS = Object.keys(NOTIFIERS) as Channel[];
const HTTP_CHANNELS = CHANNELS.filter((c) => c !== 'email');

let cap: CaptureServer;
let silent: Server;
let silentBase: string;
let closedBase: string;

beforeAll(async () => {
  cap = await startCapture();
  // Accepts connections and reads requests but never answers.
  silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentBase = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  // A port that was just free: nothing listens there, so the connection is refused.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedBase = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  await new Promise<void>((r) => s.close(() => r()));
});

afterAll(async () => {
  await cap.close();
  silent.closeAllConnections();
  await new Promise<void>((r) => silent.close(() => r()));
  rmSync(zaloDir, { recursive: true, force: true });
});

describe('NOTIFIERS', () => {
  it('has every channel, in the documented order', () => {
    expect(CHANNELS).toEqual(['webhook', 'telegram', 'slack', 'alertmanager', 'zalo', 'email']);
  });
});

describe.each(HTTP_CHANNELS)('%s transport', (channel) => {
  it.each([
    [200, { ok: true }],
    [204, { ok: true }],
    [500, { ok: false, retryable: true, status: 500, reason: 'http_status' }],
    [502, { ok: false, retryable: true, status: 502, reason: 'http_status' }],
    [503, { ok: false, retryable: true, status: 503, reason: 'http_status' }],
    [429, { ok: false, retryable: true, status: 429, reason: 'http_status' }],
    [400, { ok: false, retryable: false, status: 400, reason: 'http_status' }],
    [401, { ok: false, retryable: false, status: 401, reason: 'http_status' }],
    [403, { ok: false, retryable: false, status: 403, reason: 'http_status' }],
    [404, { ok: false, retryable: false, status: 404, reason: 'http_status' }],
    [410, { ok: false, retryable: false, status: 410, reason: 'http_status' }],
    // Redirects are not followed (one could carry a token elsewhere) and retrying will not help.
    [302, { ok: false, retryable: false, status: 302, reason: 'http_status' }],
  ])('answer %i → %j', async (status, want) => {
    cap.respond(status, status === 204 ? '' : '{"ok":false,"description":"x"}');
    const r = await sendVia(channel, cap.base, AbortSignal.timeout(5000));
    cap.respond(200);
    expect(r).toEqual(want);
    expect(JSON.stringify(r)).not.toContain('secret-token');
  });

  it('connection refused → retryable network failure', async () => {
    const r = await sendVia(channel, closedBase, AbortSignal.timeout(5000));
    expect(r).toEqual({ ok: false, retryable: true, reason: 'network' });
  });

  it('a silent server → retryable timeout within the deadline + 1 s', async () => {
    const t0 = performance.now();
    const r = await sendVia(channel, silentBase, AbortSignal.timeout(500));
    const took = performance.now() - t0;
    expect(r).toEqual({ ok: false, retryable: true, reason: 'timeout' });
    expect(took).toBeLessThan(1500);
  });
});
