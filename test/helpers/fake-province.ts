/**
 * A loopback stand-in for the province server's enrolment and config API, following common/enrolment.ts
 * to the letter, for the agent's unit tests (the integration tests use the real server bin). Each test
 * sets what it answers; every request is recorded with its headers and body.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  AGENT_CONFIG_PATH,
  AGENT_HEADERS,
  AGENT_REPORT_PATH,
  ENROLL_PATH,
  normalizeCode,
  type ConfigReport,
  type EnrolResponse,
} from '../../common/enrolment.js';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeProfile {
  name: string;
  revision: string;
  yaml: string;
}

export interface FakeProvince {
  url: string;
  port: number;
  requests: Recorded[];
  reports: ConfigReport[];
  /** Valid codes (normalized), each spent by one enrolment. */
  codes: Set<string>;
  /** Tokens the server knows; a removed one is revoked. */
  tokens: Set<string>;
  /** What GET /api/v1/agent/config serves; undefined: 404 (no profile applies). */
  profile: FakeProfile | undefined;
  /** Answer every request with this status instead (a 5xx, a 429 with `retryAfter`). */
  failWith: { status: number; retryAfter?: string } | undefined;
  fetchIntervalMs: number | undefined;
  close(): Promise<void>;
}

const IDENTITY = { province: 'quang-ngai', center: '21478', centerName: 'Phường Trương Quang Trọng' };

/** On `port` (a free one by default); over https with `tls`. */
export async function startFakeProvince(port = 0, tls?: { cert: Buffer; key: Buffer }): Promise<FakeProvince> {
  let n = 0;
  const state: Omit<FakeProvince, 'url' | 'port' | 'close'> = {
    requests: [],
    reports: [],
    codes: new Set(),
    tokens: new Set(),
    profile: undefined,
    failWith: undefined,
    fetchIntervalMs: undefined,
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      state.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
      };
      if (state.failWith) {
        const { status, retryAfter } = state.failWith;
        json(status, { error: status === 429 ? 'too many wrong codes from this address' : 'server trouble' }, retryAfter ? { 'retry-after': retryAfter } : {});
        return;
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (req.method === 'POST' && path === ENROLL_PATH) {
        const r = JSON.parse(body) as { code: string; name: string };
        const code = normalizeCode(r.code);
        if (!state.codes.has(code)) return json(401, { error: 'unknown code' });
        if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(r.name)) return json(400, { error: `bad name ${JSON.stringify(r.name)}` });
        state.codes.delete(code);
        const token = `tok-${++n}-0123456789abcdef0123456789`;
        state.tokens.add(token);
        const answer: EnrolResponse = { token, ...IDENTITY, agent: r.name, id: `${IDENTITY.center}/${r.name}` };
        return json(201, answer);
      }
      if (!bearer || !state.tokens.has(bearer)) return json(401, { error: 'token revoked or unknown' });
      if (req.method === 'GET' && path === AGENT_CONFIG_PATH) {
        const p = state.profile;
        if (!p) return json(404, { error: 'no profile applies to this agent' });
        const extra: Record<string, string> = state.fetchIntervalMs ? { [AGENT_HEADERS.fetchInterval]: String(state.fetchIntervalMs) } : {};
        if (req.headers['if-none-match'] === `"${p.revision}"`) {
          res.writeHead(304, { etag: `"${p.revision}"`, ...extra }).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/yaml', etag: `"${p.revision}"`, 'x-centerwatch-profile': p.name, ...extra }).end(p.yaml);
        return;
      }
      if (req.method === 'POST' && path === AGENT_REPORT_PATH) {
        state.reports.push(JSON.parse(body) as ConfigReport);
        res.writeHead(204).end();
        return;
      }
      json(404, { error: 'not found' });
    });
  };
  const server: Server = tls ? createHttpsServer(tls, handle) : createServer(handle);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as { port: number }).port;
  return Object.assign(state, {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

/** A rendered profile as the server sends it: no push targets, no central section. */
export function renderedYaml(checks: string, agent = 'counter-3'): string {
  return `center: { id: "${IDENTITY.center}", name: "${IDENTITY.centerName}", province: ${IDENTITY.province} }\nagent: { id: ${agent}, listen: "127.0.0.1:0" }\n${checks ? `checks:\n${checks}` : 'checks: []\n'}`;
}
