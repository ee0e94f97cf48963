/**
 * The agent-facing fleet endpoints: enrolment with a one-time code, the agent's config fetch and its
 * report of a config it refused. Codes are never logged (only their row id); a wrong code costs the
 * address one of a few tries per window, after which it gets 429 without the code even being looked at.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import {
  AGENT_CONFIG_PATH,
  AGENT_HEADERS,
  AGENT_REPORT_PATH,
  agentNameProblem,
  ENROLL_PATH,
  formatCode,
  isCodeShape,
  normalizeCode,
  PLATFORMS,
  REPORT_HEADERS,
  type EnrolResponse,
} from '../../common/enrolment.js';
import { FailureCounter } from '../web/login.js';
import { isLoopback } from './web.js';
import { newToken } from '../tokens.js';
import type { FleetDeps } from './deps.js';
import type { AgentRecord, AgentSighting, CodeRefusal } from './types.js';

/** Wrong codes allowed per address (an IPv6 /64) per window; the next are refused with 429 until it ends. */
export const ENROL_FAILURES_ALLOWED = 10;
export const ENROL_FAILURE_WINDOW_MS = 15 * 60_000;

export const codeHash = (typed: string): string => createHash('sha256').update(normalizeCode(typed)).digest('hex');

/** A new code, shown once; the store keeps its hash. */
export function newCode(): { code: string; hash: string } {
  const code = formatCode(randomBytes(9));
  return { code, hash: codeHash(code) };
}

const enrolBody = z
  .object({
    code: z.string().min(1).max(64),
    name: z.string().min(1).max(63),
    platform: z.enum(PLATFORMS),
    version: z.string().max(64).default(''),
    hostname: z.string().max(255).optional(),
  })
  .strict();

const reportBody = z
  .object({
    revision: z.string().regex(/^[0-9a-f]{1,64}$/),
    problems: z.array(z.string().max(1000)).max(100),
  })
  .strict();

const REFUSAL_WORDS: Record<CodeRefusal, string> = {
  unknown: 'unknown enrolment code (check it, or ask the province IT staff for a new one)',
  used: 'this enrolment code has been used as many times as it allows: ask the province IT staff for a new one',
  expired: 'this enrolment code has expired: ask the province IT staff for a new one',
};

/** Who is counted for wrong codes: the address, or its /64 for IPv6 (one host has many of those). */
function addressKey(address: string | undefined): string {
  const a = (address ?? '').replace(/^::ffff:/, '');
  if (isIP(a) !== 6) return a;
  const groups = a.split('::')[0]!.split(':');
  return `${groups.slice(0, 4).join(':')}::/64`;
}

export function agentEndpoints(d: FleetDeps): Router {
  const r = express.Router();
  const failures = new FailureCounter(ENROL_FAILURES_ALLOWED, ENROL_FAILURE_WINDOW_MS);
  const json = express.json({ limit: '16kb' });
  const plainHttpRefused = (req: Request): boolean => !d.cfg.tls && !d.cfg.fleet.behind_tls_proxy && !isLoopback(req.socket.remoteAddress);

  r.post(ENROLL_PATH, (req, res, next) => {
    if (plainHttpRefused(req)) {
      req.resume();
      return void res
        .status(403)
        .json({ error: 'enrolment needs HTTPS (the server has no tls: and is not behind_tls_proxy): a code and a token must not cross the network in clear' });
    }
    const key = addressKey(req.socket.remoteAddress);
    const waitMs = failures.waitMs(key, d.now());
    if (waitMs > 0) {
      req.resume();
      return void res
        .status(429)
        .set('retry-after', String(Math.ceil(waitMs / 1000)))
        .json({ error: `too many wrong enrolment codes from this address: try again in ${Math.ceil(waitMs / 60_000)} min` });
    }
    json(req, res, (err?: unknown) => (err ? next(err) : enrol(req, res, key)));
  });

  const enrol = (req: Request, res: Response, key: string): void => {
    const parsed = enrolBody.safeParse(req.body);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      return void res.status(400).json({ error: `${i.path.join('.') || 'body'}: ${i.message}` });
    }
    const b = parsed.data;
    const nameProblem = agentNameProblem(b.name);
    if (nameProblem) return void res.status(400).json({ error: nameProblem });
    const normalized = normalizeCode(b.code);
    const now = d.now();
    const refuse = (why: CodeRefusal): void => {
      failures.add(key, now);
      d.log.warn('enrolment refused', { reason: why, address: req.socket.remoteAddress, name: b.name });
      res.status(401).json({ error: REFUSAL_WORDS[why] });
    };
    if (!isCodeShape(normalized)) return refuse('unknown');
    const { token, sha256 } = newToken();
    const result = d.store.fleet.enrol(codeHash(normalized), now, {
      name: b.name,
      tokenHash: sha256,
      platform: b.platform,
      version: b.version,
      hostname: b.hostname ?? '',
    });
    if (!result.ok) return refuse(result.why);
    d.tokens.added(result.agent);
    const center = d.store.fleet.center(result.agent.center);
    d.log.info('agent enrolled', {
      agent: result.agent.id,
      code_id: result.code.id,
      code_uses_left: result.code.usesLeft,
      platform: b.platform,
      version: b.version,
      address: req.socket.remoteAddress,
    });
    const body: EnrolResponse = {
      token,
      province: result.agent.province,
      center: result.agent.center,
      centerName: center?.name ?? result.agent.center,
      agent: result.agent.name,
      id: result.agent.id,
    };
    res.status(201).set('cache-control', 'no-store').json(body);
  };

  /** The enrolled agent behind the request, after noting what it says of itself; undefined after a 401. */
  const enrolled = (req: Request, res: Response): AgentRecord | undefined => {
    const who = d.tokens.enrolledIdentity(req.get('authorization'));
    const agent = who && d.store.fleet.agent(who.tokenId);
    if (!agent || agent.revokedAtMs !== undefined) {
      req.resume();
      res.status(401).set('www-authenticate', 'Bearer realm="centerwatch"').json({ error: 'unknown or revoked agent token: enrol again with a new code' });
      return undefined;
    }
    const seen = sighting(req, d.now());
    if (worthWriting(agent, seen)) d.store.fleet.sighted(agent.id, seen);
    return agent;
  };

  r.get(AGENT_CONFIG_PATH, (req, res) => {
    const agent = enrolled(req, res);
    if (!agent) return;
    const outcome = d.configs.forAgent(agent);
    res.set('cache-control', 'no-store').set(AGENT_HEADERS.fetchInterval, String(d.cfg.fleet.fetch_interval));
    if (!outcome.ok) {
      if (outcome.profile === undefined) return void res.status(404).json({ error: outcome.problems[0] });
      return void res.status(409).json({ error: `profile ${outcome.profile} does not render for this agent`, problems: outcome.problems });
    }
    const etag = `"${outcome.config.revision}"`;
    res.set('etag', etag).set('x-centerwatch-profile', outcome.config.profile);
    if (req.get('if-none-match') === etag) return void res.status(304).end();
    res.type('application/yaml').send(outcome.config.text);
  });

  r.post(AGENT_REPORT_PATH, (req, res, next) => {
    const agent = enrolled(req, res);
    if (!agent) return;
    express.json({ limit: '128kb' })(req, res, (err?: unknown) => {
      if (err) return next(err);
      const parsed = reportBody.safeParse(req.body);
      if (!parsed.success) return void res.status(400).json({ error: parsed.error.issues[0]!.message });
      d.store.fleet.refused(agent.id, parsed.data.revision, parsed.data.problems, d.now());
      d.log.warn('agent refused its config; it keeps running the previous one', {
        agent: agent.id,
        revision: parsed.data.revision,
        problems: parsed.data.problems.slice(0, 5),
      });
      res.status(204).end();
    });
  });

  return r;
}

/** How stale the stored "last seen" of an agent may get before an unchanged fetch writes it again. */
const SEEN_WRITE_EVERY_MS = 30_000;

/**
 * Whether a sighting changes what the store says: a new version, platform, revision or backlog, or a
 * last-seen older than SEEN_WRITE_EVERY_MS. Most fetches are 304s that change nothing; not writing
 * them keeps a fetch cheaper than a push.
 */
export function worthWriting(a: AgentRecord, s: AgentSighting): boolean {
  return (
    (s.version !== undefined && s.version !== a.version) ||
    (s.platform !== undefined && s.platform !== a.platform) ||
    (s.runningRevision !== undefined && s.runningRevision !== a.runningRevision) ||
    (s.backlog !== undefined && s.backlog !== a.backlog) ||
    a.lastSeenAtMs === undefined ||
    s.atMs - a.lastSeenAtMs >= SEEN_WRITE_EVERY_MS
  );
}

/** What an agent's request headers say about it (bounded, so a header cannot grow a row). */
function sighting(req: Request, atMs: number): AgentSighting {
  const h = (name: string): string | undefined => {
    const v = req.get(name);
    return v === undefined ? undefined : v.slice(0, 64);
  };
  const platform = h(REPORT_HEADERS.platform);
  const backlog = Number(h(REPORT_HEADERS.backlog));
  const revision = h(REPORT_HEADERS.revision);
  return {
    atMs,
    ...(h(REPORT_HEADERS.version) !== undefined ? { version: h(REPORT_HEADERS.version)! } : {}),
    ...(platform === 'linux' || platform === 'win32' ? { platform } : {}),
    ...(revision !== undefined && /^[0-9a-f]{0,64}$/.test(revision) ? { runningRevision: revision } : {}),
    ...(Number.isSafeInteger(backlog) && backlog >= 0 ? { backlog } : {}),
  };
}
