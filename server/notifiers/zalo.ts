/**
 * Zalo Official Account API v3, customer-service message (`POST /v3.0/oa/message/cs`), plain text,
 * one message per recipient. Zalo answers HTTP 200 even for failures and puts the outcome in
 * `{"error": <code>, "message": …}`: 0 is success, a token error means refresh and try once more,
 * any other code is final. The access token travels only in the `access_token` header; it never
 * enters the payload, a result or a log line. Token handling lives in zalo-token.ts.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { AlertEvent, Lang } from './event.js';
import type { NotifierDefinition, SendResult } from './notifier.js';
import { httpUrl, ifSet } from './options.js';
import { plainText } from './text.js';
import { accessToken, type Failure, type TokenConfig } from './zalo-token.js';

const options = z
  .object({
    /** App id from developers.zalo.me. */
    app_id: z.string().min(1),
    /** App secret key (a secret: `secret_key_file` or `${ENV}`). */
    secret_key: z.string().min(1),
    /** Initial refresh token, used until the server keeps its own rotating pair in `data_dir`. */
    refresh_token: z.string().min(1),
    /** Zalo user ids (per OA) that receive the message, one message each. */
    user_ids: z.array(z.string().min(1)).min(1),
    /** API base URL. Default `https://openapi.zalo.me`. */
    base_url: httpUrl.optional(),
    /** OAuth base URL. Default `https://oauth.zaloapp.com`. */
    oauth_base_url: httpUrl.optional(),
  })
  .strict();

export interface ZaloOptions extends TokenConfig {
  /** App id from developers.zalo.me. */
  appId: string;
  /** App secret key (a secret: read it from a file or the environment). */
  secretKey: string;
  /** Initial refresh token; used only while `tokenFile` does not exist (it rotates on every refresh). */
  refreshToken: string;
  /** Zalo user ids (per OA) that receive the message, one message each. */
  userIds: string[];
  /** Where the rotating token pair is kept (JSON, mode 0600). Must be writable by the server. */
  tokenFile: string;
  /** API base URL. Default `https://openapi.zalo.me`. */
  baseUrl?: string;
  /** OAuth base URL. Default `https://oauth.zaloapp.com`. */
  oauthBaseUrl?: string;
}

/** One customer-service message, exactly the JSON body Zalo takes. */
export interface ZaloMessage {
  recipient: { user_id: string };
  message: { text: string };
}

export type ZaloPayload = ZaloMessage[];

/** Zalo's limit for a text message. */
export const ZALO_MAX_TEXT = 2000;

/**
 * Error codes meaning "this access token is not valid (any more)": refresh, then retry once.
 * -216 invalid access token, -124 expired access token, -14014 as listed for v4 OA tokens.
 */
const TOKEN_ERRORS = new Set([-216, -124, -14014]);

/** Cuts to `max` UTF-16 units, never inside a surrogate pair (an emoji), marking the cut with "…". */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max - 1;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut -= 1; // high surrogate would be left alone
  return `${s.slice(0, cut)}…`;
}

export function zaloText(e: AlertEvent, lang: Lang): string {
  return truncate(plainText(e, lang), ZALO_MAX_TEXT);
}

type Attempt = { ok: true } | { ok: false; token: true } | { ok: false; token: false; result: Failure };

async function postCs(base: string, token: string, msg: ZaloMessage, signal: AbortSignal): Promise<Attempt> {
  let res: Response;
  try {
    res = await fetch(`${base}/v3.0/oa/message/cs`, {
      method: 'POST',
      headers: { access_token: token, 'content-type': 'application/json' },
      body: JSON.stringify(msg),
      signal,
      redirect: 'manual', // a redirect could carry the token elsewhere
    });
  } catch {
    return { ok: false, token: false, result: { ok: false, retryable: true, reason: signal.aborted ? 'timeout' : 'network' } };
  }
  if (!res.ok) {
    await res.arrayBuffer().catch(() => undefined);
    const retryable = res.status === 429 || res.status >= 500;
    return { ok: false, token: false, result: { ok: false, retryable, status: res.status, reason: 'http_status' } };
  }
  let body: { error?: unknown };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // A 2xx whose body is cut short or unreadable: the message may well be delivered, and a retry
    // would send it twice (the same rule as http.ts).
    return { ok: true };
  }
  const code = body?.error;
  if (typeof code !== 'number' || code === 0) return { ok: true };
  if (TOKEN_ERRORS.has(code)) return { ok: false, token: true };
  // Any other Zalo error (user not following, outside the reply window, quota…) will not change on
  // retry. No HTTP status to report: it was 200.
  return { ok: false, token: false, result: { ok: false, retryable: false, reason: 'http_status' } };
}

/**
 * One recipient. `stop` says no access token could be had: nobody else can be reached either, and
 * one refresh attempt per send is enough.
 */
async function sendOne(o: ZaloOptions, base: string, msg: ZaloMessage, signal: AbortSignal): Promise<{ result: SendResult; stop: boolean }> {
  let tok = await accessToken(o, signal);
  if (!tok.ok) return { result: tok, stop: true };
  const first = await postCs(base, tok.accessToken, msg, signal);
  if (first.ok) return { result: first, stop: false };
  if (!first.token) return { result: first.result, stop: false };
  tok = await accessToken(o, signal, tok.accessToken);
  if (!tok.ok) return { result: tok, stop: true };
  const second = await postCs(base, tok.accessToken, msg, signal);
  if (second.ok) return { result: second, stop: false };
  // A fresh token refused again: something is wrong with the app or the OA, not with time.
  return { result: second.token ? { ok: false, retryable: false, reason: 'http_status' } : second.result, stop: true };
}

export const zalo: NotifierDefinition<typeof options, ZaloOptions, ZaloPayload> = {
  channel: 'zalo',
  options,
  secretKeys: ['secret_key', 'refresh_token'],
  toOptions: (o, ctx) => ({
    appId: o.app_id,
    secretKey: o.secret_key,
    refreshToken: o.refresh_token,
    userIds: o.user_ids,
    tokenFile: join(ctx.dataDir, `zalo-${ctx.name}.token.json`),
    ...ifSet('baseUrl', o.base_url),
    ...ifSet('oauthBaseUrl', o.oauth_base_url),
  }),
  format: (e, o, lang) => {
    const text = zaloText(e, lang);
    return o.userIds.map((id) => ({ recipient: { user_id: id }, message: { text } }));
  },
  send: async (payload, o, signal) => {
    const base = (o.baseUrl ?? 'https://openapi.zalo.me').replace(/\/+$/, '');
    // Every recipient is tried even after a failure, so one blocked user does not silence the rest.
    // The outbox retries the whole payload, so a retry may repeat the message to those who got it.
    let failure: Failure | undefined;
    for (const msg of payload) {
      const { result: r, stop } = await sendOne(o, base, msg, signal);
      if (!r.ok) {
        // Report a retryable failure over a final one: someone still has not got the message.
        if (!failure || (r.retryable && !failure.retryable)) failure = r;
      }
      if (stop || signal.aborted) break;
    }
    return failure ?? { ok: true };
  },
};
