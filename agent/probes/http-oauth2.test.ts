import { describe, expect, it } from 'vitest';
import { oauth2Schema, parseTokenResponse, TokenCache, tokenExpiresAt, tokenRequest, type TokenOutcome } from './http-oauth2.js';

const opts = oauth2Schema.parse({
  token_url: 'https://id.example.vn/token',
  client_id: 'agent 1',
  client_secret: 'p@ss:w rd+',
  scopes: ['status:read', 'monitor'],
});

describe('tokenRequest', () => {
  it('authenticates with HTTP Basic over the form-encoded id and secret (RFC 6749 §2.3.1)', () => {
    const { headers, body } = tokenRequest(opts);
    expect(body).toBe('grant_type=client_credentials&scope=status%3Aread+monitor');
    expect(headers).toEqual({
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      authorization: `Basic ${Buffer.from('agent+1:p%40ss%3Aw+rd%2B').toString('base64')}`,
    });
  });

  it('can send the client credentials in the body instead, and omits an empty scope', () => {
    const { headers, body } = tokenRequest({ ...opts, scopes: [], client_auth: 'body' });
    expect(headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({ grant_type: 'client_credentials', client_id: 'agent 1', client_secret: 'p@ss:w rd+' });
  });

  it('refuses a token URL with credentials and scopes with spaces', () => {
    expect(oauth2Schema.safeParse({ ...opts, token_url: 'https://a:b@id.example.vn/token' }).success).toBe(false);
    expect(oauth2Schema.safeParse({ ...opts, scopes: ['two words'] }).success).toBe(false);
  });
});

describe('parseTokenResponse', () => {
  it('reads access_token and expires_in (number or numeric text)', () => {
    expect(parseTokenResponse(200, '{"access_token":"abc","token_type":"Bearer","expires_in":3600}')).toEqual({
      ok: true,
      token: 'abc',
      lifetimeSeconds: 3600,
    });
    expect(parseTokenResponse(200, '{"access_token":"abc","token_type":"bearer","expires_in":"60"}')).toEqual({ ok: true, token: 'abc', lifetimeSeconds: 60 });
    expect(parseTokenResponse(200, '{"access_token":"abc"}')).toEqual({ ok: true, token: 'abc' });
  });

  it('quotes only RFC 6749 error codes from a refusal', () => {
    expect(parseTokenResponse(401, '{"error":"invalid_client","error_description":"secret hunter2 is wrong"}')).toEqual({
      ok: false,
      reason: 'auth',
      message: 'token endpoint answered HTTP 401 (invalid_client)',
    });
    expect(parseTokenResponse(400, '{"error":"hunter2"}')).toEqual({ ok: false, reason: 'auth', message: 'token endpoint answered HTTP 400' });
    expect(parseTokenResponse(502, '<html>')).toEqual({ ok: false, reason: 'auth', message: 'token endpoint answered HTTP 502' });
  });

  it('refuses answers without a usable bearer token', () => {
    expect(parseTokenResponse(200, '{"token_type":"Bearer"}')).toMatchObject({ ok: false, reason: 'protocol' });
    expect(parseTokenResponse(200, 'not json')).toMatchObject({ ok: false, reason: 'protocol' });
    expect(parseTokenResponse(200, '{"access_token":"abc","token_type":"mac"}')).toEqual({
      ok: false,
      reason: 'protocol',
      message: 'token endpoint issued an unsupported token_type "mac"',
    });
  });
});

describe('tokenExpiresAt', () => {
  it('stops reuse 10 % of the lifetime early, at most 30 s, and never without expires_in', () => {
    expect(tokenExpiresAt(1_000_000, 3600)).toBe(1_000_000 + 3_570_000);
    expect(tokenExpiresAt(1_000_000, 60)).toBe(1_000_000 + 54_000);
    expect(tokenExpiresAt(1_000_000, undefined)).toBe(Infinity);
  });
});

describe('TokenCache', () => {
  it('reuses a token until shortly before it expires, then fetches again', async () => {
    let now = 0;
    let fetches = 0;
    const fetch = async (): Promise<TokenOutcome> => ({ ok: true, token: `t${++fetches}`, lifetimeSeconds: 100 });
    const cache = new TokenCache();
    expect(await cache.get(opts, fetch, () => now)).toEqual({ ok: true, token: 't1', fromCache: false });
    now = 89_999;
    expect(await cache.get(opts, fetch, () => now)).toEqual({ ok: true, token: 't1', fromCache: true });
    now = 90_000;
    expect(await cache.get(opts, fetch, () => now)).toEqual({ ok: true, token: 't2', fromCache: false });
    cache.invalidate();
    expect(await cache.get(opts, fetch, () => now)).toMatchObject({ token: 't3', fromCache: false });
    expect(await cache.get({ ...opts, client_secret: 'rotated' }, fetch, () => now)).toMatchObject({ token: 't4', fromCache: false });
  });

  it('caches nothing when the fetch fails', async () => {
    const cache = new TokenCache();
    const refused = async (): Promise<TokenOutcome> => ({ ok: false, reason: 'auth', message: 'token endpoint answered HTTP 401' });
    expect(await cache.get(opts, refused)).toEqual({ ok: false, reason: 'auth', message: 'token endpoint answered HTTP 401' });
    expect(await cache.get(opts, async () => ({ ok: true, token: 'x' }))).toEqual({ ok: true, token: 'x', fromCache: false });
  });
});
