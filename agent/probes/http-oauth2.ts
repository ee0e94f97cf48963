import { z } from 'zod';
import type { Reason, Session } from './types.js';
import { bodyChecks, MAX_JSON_DEPTH } from './http-body-checks.js';

const { jsonDepthExceeds } = bodyChecks();

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4): the probe gets its own bearer token. */
export const oauth2Schema = z
  .object({
    /** Token endpoint, http or https. Reached through the check's line, with the check's `ca_file` / `insecure_skip_verify`. */
    token_url: z.string().refine(isPlainHttpUrl, 'must be an http(s) URL without credentials'),
    client_id: z.string().min(1),
    /** Secret; give `client_secret_file` or `${ENV}` rather than the value itself. */
    client_secret: z.string().min(1),
    /** Scopes requested (sent space-separated as `scope`). Default none. */
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an RFC 6749 scope token')).default([]),
    /**
     * How the client authenticates (RFC 6749 §2.3.1): `basic` sends HTTP Basic with the
     * form-encoded id and secret (every server must accept it); `body` sends them as form fields.
     * Default `basic`.
     */
    client_auth: z.enum(['basic', 'body']).default('basic'),
  })
  .strict();

export type OAuth2Options = z.output<typeof oauth2Schema>;

function isPlainHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** application/x-www-form-urlencoded encoding of one value (spaces as `+`). */
function formEncode(text: string): string {
  return new URLSearchParams([['', text]]).toString().slice(1);
}

/** The token request's headers and body, exactly as RFC 6749 §4.4.2 and §2.3.1 describe them. */
export function tokenRequest(o: OAuth2Options): { headers: Record<string, string>; body: string } {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (o.scopes.length > 0) form.set('scope', o.scopes.join(' '));
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (o.client_auth === 'body') {
    form.set('client_id', o.client_id);
    form.set('client_secret', o.client_secret);
  } else {
    const pair = `${formEncode(o.client_id)}:${formEncode(o.client_secret)}`;
    headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
  }
  return { headers, body: form.toString() };
}

/** The error codes of RFC 6749 §5.2: the only server text a message may quote. */
const TOKEN_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);

export type TokenOutcome = { ok: true; token: string; lifetimeSeconds?: number } | { ok: false; reason: Reason; message: string };

/** Reads a token endpoint's answer (RFC 6749 §5.1 / §5.2). */
export function parseTokenResponse(status: number, body: string): TokenOutcome {
  // A token answer is a flat object: anything nested this deep is not one, and is not parsed.
  if (jsonDepthExceeds(Buffer.from(body, 'utf8'), MAX_JSON_DEPTH)) {
    return { ok: false, reason: 'body_too_large', message: `token endpoint answer nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  let doc: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) doc = parsed as Record<string, unknown>;
  } catch {
    doc = undefined;
  }
  if (status !== 200) {
    const code = typeof doc?.error === 'string' && TOKEN_ERRORS.has(doc.error) ? ` (${doc.error})` : '';
    return { ok: false, reason: 'auth', message: `token endpoint answered HTTP ${status}${code}` };
  }
  if (!doc || typeof doc.access_token !== 'string' || doc.access_token === '') {
    return { ok: false, reason: 'protocol', message: 'token endpoint answer has no access_token' };
  }
  const type = doc.token_type;
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
    const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 20)) : 'that is not a string';
    return { ok: false, reason: 'protocol', message: `token endpoint issued an unsupported token_type ${shown}` };
  }
  const lifetime = Number(doc.expires_in);
  return {
    ok: true,
    token: doc.access_token,
    ...(doc.expires_in !== undefined && Number.isFinite(lifetime) && lifetime > 0 ? { lifetimeSeconds: lifetime } : {}),
  };
}

/**
 * When a token stops being reused: `expires_in` minus a margin (10 % of the lifetime, at most
 * 30 s), so a probe never presents a token that expires in flight. Without `expires_in` the
 * token is kept until the server answers 401.
 */
export function tokenExpiresAt(fetchedAtMs: number, lifetimeSeconds: number | undefined): number {
  if (lifetimeSeconds === undefined) return Infinity;
  return fetchedAtMs + lifetimeSeconds * 1000 - Math.min(30_000, lifetimeSeconds * 100);
}

export type TokenGrant = { ok: true; token: string; fromCache: boolean } | { ok: false; reason: Reason; message: string };

/** A check's token, kept between runs as the check's session. */
export class TokenCache implements Session {
  private entry: { key: string; token: string; expiresAt: number } | undefined;

  /** The cached token when still fresh for these options, else one fetched now. */
  async get(o: OAuth2Options, fetch: () => Promise<TokenOutcome>, now: () => number = Date.now): Promise<TokenGrant> {
    // The secret is part of the key so an edited config never reuses a token issued to the old client.
    const key = JSON.stringify([o.token_url, o.client_id, o.client_secret, o.scopes, o.client_auth]);
    if (this.entry && this.entry.key === key && now() < this.entry.expiresAt) return { ok: true, token: this.entry.token, fromCache: true };
    this.entry = undefined;
    const fetchedAt = now();
    const got = await fetch();
    if (!got.ok) return got;
    this.entry = { key, token: got.token, expiresAt: tokenExpiresAt(fetchedAt, got.lifetimeSeconds) };
    return { ok: true, token: got.token, fromCache: false };
  }

  /** Forgets the token (the resource server answered 401 to it). */
  invalidate(): void {
    this.entry = undefined;
  }

  close(): void {
    this.entry = undefined;
  }
}
