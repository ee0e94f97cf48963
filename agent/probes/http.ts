import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { defineProbe, failure, success, type Observation, type ProbeResult, type Reason } from './types.js';
import { bindAddress } from './binding.js';
import { describeError, reasonFromError } from './errors.js';
import { familyOf, webUrlProblem } from './target.js';
import { evaluateAssertions, MAX_JSON_DEPTH } from './http-assertions.js';
import { bodyCheckWorker } from './http-body-worker.js';
import { httpOptions, type HttpOptions } from './http-options.js';
import { parseTokenResponse, tokenRequest, TokenCache } from './http-oauth2.js';
import { redirectStep } from './http-redirects.js';
import { exchange, type ExchangeResult } from './http-request.js';
import { agentVersion } from '../../common/version.js';
import { METRIC } from '../../common/metrics.js';
import { CERT_METRICS, certObservations } from './tls-cert.js';

const USER_AGENT = `centerwatch/${agentVersion()}`;
/** Request headers never carried to another origin on a redirect (as browsers and curl do). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
/** A token endpoint's answer is small; more is not a token. */
const TOKEN_BODY_BYTES = 64 * 1024;

/** A failure decided by the probe itself (as opposed to a Node error mapped by its code). */
class HttpFailure extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
  }
}

type Phases = NonNullable<ProbeResult['phases']>;

export const httpProbe = defineProbe({
  kind: 'http',
  targetHelp: 'http:// or https:// URL (no credentials in it: use options.basic_auth)',
  targetRequired: true,
  targetProblem: (target) => webUrlProblem(target, 'options.basic_auth'),
  options: httpOptions,
  metrics: {
    status_code: { name: METRIC.httpStatusCode, help: 'Status code of the final response.', type: 'gauge' },
    redirects: { name: METRIC.httpRedirects, help: 'Redirects followed to the final response.', type: 'gauge' },
    content_length: {
      name: METRIC.httpContentLengthBytes,
      help: 'Body length of the final response: its Content-Length, else the bytes received.',
      type: 'gauge',
      threshold: true,
    },
    ...CERT_METRICS,
  },
  async run(target, o, ctx): Promise<ProbeResult> {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return failure('config', 'target is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return failure('config', `URL scheme must be http or https, not ${url.protocol.replace(':', '')}`);
    if (url.username || url.password) return failure('config', 'credentials in the URL are not allowed; use options.basic_auth');
    url.hash = '';
    let ca: Buffer | undefined;
    if (o.ca_file) {
      try {
        ca = await readFile(o.ca_file);
      } catch (err) {
        return failure('config', `cannot read ca_file (${describeError(err)})`);
      }
    }
    const phases: Phases = {};
    const send: Send = (hop, method, headers, body, keepBody, maxBodyBytes) => {
      const bind = bindAddress(ctx.line, familyOf(hop.hostname.replace(/^\[(.*)\]$/, '$1')));
      if (!bind.ok) throw new HttpFailure('unreachable', bind.message);
      return exchange({
        url: hop,
        method,
        headers,
        body,
        localAddress: bind.address,
        // Bound to a source address, a name must resolve in that address's family to be reachable from it.
        family: bind.address ? (isIP(bind.address) as 4 | 6) : undefined,
        ca,
        rejectUnauthorized: !o.insecure_skip_verify,
        servername: hop.host === url.host ? o.server_name : undefined,
        maxBodyBytes,
        keepBody,
        signal: ctx.signal,
      });
    };
    try {
      const tokens = o.oauth2 ? ctx.session(() => new TokenCache()) : undefined;
      const token = async (): Promise<{ token: string; fromCache: boolean }> => {
        const grant = await tokens!.get(o.oauth2!, () => fetchToken(o, send, ctx.signal));
        if (!grant.ok) throw new HttpFailure(grant.reason, grant.message);
        return grant;
      };
      const grant = tokens ? await token() : undefined;
      let chain = await follow(url, o, authorization(o, grant?.token), send, phases);
      if (chain.final.status === 401 && grant?.fromCache) {
        // The cached token was revoked or expired early: one fresh token, one more try.
        tokens!.invalidate();
        const fresh = await token();
        chain = await follow(url, o, authorization(o, fresh.token), send, phases);
      }
      return await verdict(chain.final, chain.redirects, chain.credentialsSent, o, phases, ctx.signal);
    } catch (err) {
      if (err instanceof HttpFailure) return failure(err.reason, err.message, { phases });
      return failure(reasonFromError(err, ctx.signal), describeError(err, ctx.signal), { phases });
    }
  },
});

type Send = (
  hop: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  keepBody: boolean,
  maxBodyBytes: number,
) => Promise<ExchangeResult>;

/** Sends the request, following redirects as configured, adding every hop's phases. */
async function follow(start: URL, o: HttpOptions, auth: string | undefined, send: Send, phases: Phases) {
  const keepBody = o.assertions.some((a) => a.source === 'body' || a.source === 'json');
  let url = start;
  let method: string = o.method;
  let body = o.body;
  for (let redirects = 0; ; redirects++) {
    const sameOrigin = url.origin === start.origin;
    const res = await send(url, method, requestHeaders(o.headers, auth, sameOrigin), body, keepBody, o.max_body_bytes);
    addPhases(phases, res.phases);
    const credentialsSent = sameOrigin && auth !== undefined;
    if (!o.follow_redirects) return { final: res, redirects, credentialsSent };
    const step = redirectStep(res.status, firstHeader(res.headers.location), url, method);
    if (step.kind === 'final') return { final: res, redirects, credentialsSent };
    if (step.kind === 'error') throw new HttpFailure('protocol', step.message);
    if (redirects >= o.max_redirects) throw new HttpFailure('protocol', `more than ${o.max_redirects} redirects`);
    url = step.url;
    method = step.method;
    if (!step.keepBody) body = undefined;
  }
}

/** Turns the final response into the result: status first, then the assertions. */
async function verdict(
  res: ExchangeResult,
  redirects: number,
  credentialsSent: boolean,
  o: HttpOptions,
  phases: Phases,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const observations: Observation[] = [
    { metric: 'status_code', value: res.status },
    { metric: 'redirects', value: redirects },
  ];
  const declared = firstHeader(res.headers['content-length']);
  if (declared !== undefined && /^\d+$/.test(declared)) observations.push({ metric: 'content_length', value: Number(declared) });
  else if (!res.truncated) observations.push({ metric: 'content_length', value: res.bodyBytes });
  if (res.certExpiry !== undefined) {
    observations.push(...certObservations(res.certExpiry));
  }
  const extra = { phases, observations };
  const note = res.truncated ? `; body cut at ${o.max_body_bytes} bytes` : '';
  const statusOk = o.valid_status_codes ? o.valid_status_codes.includes(res.status) : res.status >= 200 && res.status <= 299;
  if (!statusOk) {
    // With credentials sent, a 401 says they were refused: an auth problem, not the service's.
    return failure(res.status === 401 && credentialsSent ? 'auth' : 'http_status', `HTTP ${res.status}`, extra);
  }
  const readsBody = o.assertions.some((a) => a.source === 'body' || a.source === 'json');
  // A cut body would be checked on a part: JSON that never parses, a not_contains that misses the rest.
  if (readsBody && res.truncated) return failure('body_too_large', `HTTP ${res.status}: body over max_body_bytes (${o.max_body_bytes})`, extra);
  const checked = readsBody
    ? await bodyCheckWorker.check({ assertions: o.assertions, status: res.status, headers: res.headers, body: res.body, maxDepth: MAX_JSON_DEPTH }, signal)
    : evaluateAssertions(o.assertions, { status: res.status, headers: res.headers, body: '' });
  if ('aborted' in checked) return failure('timeout', `HTTP ${res.status}: body checks did not finish by the deadline`, extra);
  if ('refused' in checked) return failure('body_too_large', `HTTP ${res.status}: ${checked.refused}`, extra);
  const failed = checked.failures;
  if (failed.length > 0) {
    const more = failed.length > 3 ? `; and ${failed.length - 3} more` : '';
    return failure('assertion', `HTTP ${res.status}: ${failed.slice(0, 3).join('; ')}${more}`, extra);
  }
  const via = redirects > 0 ? ` after ${redirects} redirect${redirects > 1 ? 's' : ''}` : '';
  return success({ message: `HTTP ${res.status}${via}${note}`, ...extra });
}

/** Fetches a token with the RFC 6749 §4.4 form POST, through the same line and trust settings. */
async function fetchToken(o: HttpOptions, send: Send, signal: AbortSignal) {
  const req = tokenRequest(o.oauth2!);
  try {
    const res = await send(new URL(o.oauth2!.token_url), 'POST', { 'user-agent': USER_AGENT, ...req.headers }, req.body, true, TOKEN_BODY_BYTES);
    if (res.truncated) return { ok: false as const, reason: 'body_too_large' as const, message: `token endpoint answer over ${TOKEN_BODY_BYTES} bytes` };
    return parseTokenResponse(res.status, res.body.toString('utf8'));
  } catch (err) {
    if (err instanceof HttpFailure) throw err;
    return { ok: false as const, reason: reasonFromError(err, signal), message: `token endpoint: ${describeError(err, signal)}` };
  }
}

function authorization(o: HttpOptions, token: string | undefined): string | undefined {
  if (token !== undefined) return `Bearer ${token}`;
  if (o.bearer_token !== undefined) return `Bearer ${o.bearer_token}`;
  if (o.basic_auth) return `Basic ${Buffer.from(`${o.basic_auth.username}:${o.basic_auth.password}`, 'utf8').toString('base64')}`;
  return undefined;
}

function requestHeaders(user: Record<string, string>, auth: string | undefined, sameOrigin: boolean): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*' };
  for (const [name, value] of Object.entries(user)) {
    const lower = name.toLowerCase();
    if (!sameOrigin && CREDENTIAL_HEADERS.has(lower)) continue;
    headers[lower] = value;
  }
  if (auth !== undefined && sameOrigin) headers.authorization = auth;
  return headers;
}

function addPhases(total: Phases, hop: ExchangeResult['phases']): void {
  for (const [k, v] of Object.entries(hop) as Array<[keyof Phases, number]>) total[k] = (total[k] ?? 0) + v;
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
