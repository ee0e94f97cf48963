/**
 * Zalo OA access tokens. An access token lasts about 25 h; the refresh token that renews it is
 * SINGLE-USE and comes back rotated with every refresh. Losing the newest refresh token locks the
 * OA out until someone re-authorises the app by hand, so:
 *  - the pair is persisted (JSON, mode 0600, tmp + rename so a crash never leaves half a file);
 *  - only one refresh per token file runs at a time, and callers share it;
 *  - a refresh is never aborted by a caller's deadline (the server may already have rotated the
 *    token when we hang up); it has its own timeout and the caller merely stops waiting.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SendResult } from './notifier.js';

export type Failure = Extract<SendResult, { ok: false }>;

/** What the token file holds. */
export interface TokenState {
  accessToken?: string;
  refreshToken: string;
  /** When the access token stops working (epoch ms). */
  expiresAtMs: number;
}

export interface TokenConfig {
  appId: string;
  secretKey: string;
  /** Used only when `tokenFile` does not exist yet (first start, or an operator re-authorised). */
  refreshToken: string;
  tokenFile: string;
  /** Default `https://oauth.zaloapp.com`. */
  oauthBaseUrl?: string;
}

export type TokenOutcome = { ok: true; accessToken: string } | Failure;

/** Refresh this long before expiry, so a token never dies between the check and the send. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** A refresh's own deadline, independent of any caller (see above). */
const REFRESH_TIMEOUT_MS = 30_000;
/** Zalo documents ~25 h; used only if an answer omits `expires_in`. Short on purpose. */
const DEFAULT_EXPIRES_S = 3600;

interface Store {
  state?: TokenState;
  loading?: Promise<TokenState | Failure>;
  refreshing?: Promise<TokenOutcome>;
}

/** One store per token file, so several channels or tests with their own files never share a token. */
const stores = new Map<string, Store>();

function storeFor(file: string): Store {
  const key = resolve(file);
  let s = stores.get(key);
  if (!s) stores.set(key, (s = {}));
  return s;
}

/** Non-retryable: the file is unusable and retrying will not change it. No field fits better in the closed set. */
const BAD_FILE: Failure = { ok: false, retryable: false, reason: 'http_status' };

async function load(c: TokenConfig): Promise<TokenState | Failure> {
  let text: string;
  try {
    text = await readFile(c.tokenFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { refreshToken: c.refreshToken, expiresAtMs: 0 };
    return BAD_FILE;
  }
  try {
    const j = JSON.parse(text) as Partial<TokenState>;
    if (typeof j.refreshToken !== 'string' || typeof j.expiresAtMs !== 'number') return BAD_FILE;
    if (j.accessToken !== undefined && typeof j.accessToken !== 'string') return BAD_FILE;
    return { accessToken: j.accessToken, refreshToken: j.refreshToken, expiresAtMs: j.expiresAtMs };
  } catch {
    return BAD_FILE;
  }
}

async function state(c: TokenConfig, s: Store): Promise<TokenState | Failure> {
  if (s.state) return s.state;
  s.loading ??= load(c).finally(() => (s.loading = undefined));
  const r = await s.loading;
  if (!('ok' in r)) s.state ??= r;
  return s.state ?? r;
}

/** Atomic write: readers see the old pair or the new one, never a torn file. */
export async function persist(file: string, st: TokenState): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(st)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function refresh(c: TokenConfig, s: Store, refreshToken: string, now: () => number): Promise<TokenOutcome> {
  const base = (c.oauthBaseUrl ?? 'https://oauth.zaloapp.com').replace(/\/+$/, '');
  const signal = AbortSignal.timeout(REFRESH_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(`${base}/v4/oa/access_token`, {
      method: 'POST',
      headers: { secret_key: c.secretKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ refresh_token: refreshToken, app_id: c.appId, grant_type: 'refresh_token' }).toString(),
      signal,
      redirect: 'manual', // a redirect could carry the secret elsewhere
    });
  } catch {
    return { ok: false, retryable: true, reason: signal.aborted ? 'timeout' : 'network' };
  }
  if (!res.ok) {
    await res.arrayBuffer().catch(() => undefined);
    return { ok: false, retryable: res.status === 429 || res.status >= 500, status: res.status, reason: 'http_status' };
  }
  let j: { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown };
  try {
    j = (await res.json()) as typeof j;
  } catch {
    return { ok: false, retryable: true, reason: signal.aborted ? 'timeout' : 'network' };
  }
  if (typeof j.access_token !== 'string' || typeof j.refresh_token !== 'string') {
    // Zalo answers 200 with {"error": <negative code>, ...}: the refresh token was refused (used,
    // expired or revoked). Only an operator re-authorising the app fixes that.
    return { ok: false, retryable: false, reason: 'http_status' };
  }
  // `expires_in` is documented as a string of seconds; accept a number too.
  const secs = Number(j.expires_in);
  const next: TokenState = {
    accessToken: j.access_token,
    refreshToken: j.refresh_token,
    expiresAtMs: now() + (Number.isFinite(secs) && secs > 0 ? secs : DEFAULT_EXPIRES_S) * 1000,
  };
  // Memory first: the old refresh token is dead now whatever happens to the file.
  s.state = next;
  try {
    await persist(c.tokenFile, next);
  } catch {
    // The new pair still works from memory; the message should go out. The file is retried at the
    // next refresh. (Nothing to log here: the store has no logger and the error text may hold a path.)
  }
  return { ok: true, accessToken: next.accessToken! };
}

function untilAborted(signal: AbortSignal): Promise<Failure> {
  return new Promise((res) => {
    const done = () => res({ ok: false, retryable: true, reason: 'timeout' });
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A usable access token. Refreshes when there is none, when it expires within `REFRESH_MARGIN_MS`,
 * or when `rejected` is the current token (Zalo just refused it). A token that another caller has
 * already replaced is not refreshed again: that would burn a refresh token for nothing.
 */
export async function accessToken(c: TokenConfig, signal: AbortSignal, rejected?: string, now: () => number = Date.now): Promise<TokenOutcome> {
  const s = storeFor(c.tokenFile);
  const st = await Promise.race([state(c, s), untilAborted(signal)]);
  if ('ok' in st) return st;
  const fresh = st.accessToken !== undefined && st.expiresAtMs - now() > REFRESH_MARGIN_MS;
  if (fresh && st.accessToken !== rejected) return { ok: true, accessToken: st.accessToken! };
  if (!s.refreshing) {
    const rt = st.refreshToken;
    s.refreshing = refresh(c, s, rt, now).finally(() => (s.refreshing = undefined));
  }
  return Promise.race([s.refreshing, untilAborted(signal)]);
}

/** Test-only: forget every cached token, as a process restart would. */
export function resetTokenCache(): void {
  stores.clear();
}
