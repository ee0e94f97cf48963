/**
 * The JSON API: readiness of centers, open alerts, history, silences and acknowledgements. Reads are
 * open (the same facts the readiness page shows); writes need a bearer token from `engine.api_tokens`
 * (only its SHA-256 is kept). Every bad request is a 4xx with a one-line reason; the process keeps serving.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { matcher, type EngineConfig } from './config/engine-schema.js';
import { reasonWords } from './engine/describe.js';
import type { TimedReason } from './engine/readiness.js';
import type { CenterReadiness } from './engine/evaluate.js';
import type { EngineRuntime } from './engine/runtime.js';
import { parseRecurrence, validateMatchers } from './engine/silences.js';
import type { Store } from './store/store.js';
import { knownShare } from './store/uptime.js';
import type { LineInUse } from './lines/line-in-use.js';

const DAY_MS = 86_400_000;
const MAX_HISTORY = 1000;

const matcherSchema = z.union([z.object({ label: z.string(), op: z.enum(['=', '!=', '=~', '!~']), value: z.string().max(1024) }).strict(), matcher]);

const silenceBody = z
  .object({
    matchers: z.array(matcherSchema).min(1).max(20),
    starts: z.iso.datetime({ offset: true }).optional(),
    ends: z.iso.datetime({ offset: true }).optional(),
    /** `weekly sat 07:00-09:00`, `daily 12:00-13:00`, `monthly 1 22:00-02:00` (UTC+7). */
    recurring: z.string().max(100).optional(),
    comment: z.string().max(500).default(''),
  })
  .strict();

const ackBody = z.object({ comment: z.string().max(500).default('') }).strict();

/** The author of an API write: the id of its `engine.api_tokens` bearer token, or undefined after answering 401/403. */
export type ApiWriter = (req: Request, res: Response) => string | undefined;

export function apiWriter(cfg: Pick<EngineConfig, 'api_tokens'>): ApiWriter {
  const tokens = cfg.api_tokens.map((t) => ({ id: t.id, hash: Buffer.from(t.sha256, 'hex') }));
  return (req, res) => {
    if (tokens.length === 0) {
      res.status(403).json({ error: 'writes are disabled: no engine.api_tokens configured' });
      return undefined;
    }
    const m = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    const hash = m ? createHash('sha256').update(m[1]!).digest() : undefined;
    const found = hash && tokens.find((t) => timingSafeEqual(t.hash, hash));
    if (!found) {
      res.status(401).set('www-authenticate', 'Bearer').json({ error: 'a valid bearer token is required' });
      return undefined;
    }
    return found.id;
  };
}

export interface ApiDeps {
  cfg: EngineConfig;
  engine: EngineRuntime;
  store: Store;
  now: () => number;
  /** Which line each center is on; absent: no `line` in a center's view. */
  lines?: LineInUse | undefined;
}

export function apiRouter(d: ApiDeps): Router {
  const r = express.Router();
  r.use(express.json({ limit: '16kb' }));
  const writer = apiWriter(d.cfg);

  /** Each reason with its own time (`sinceMs`) and its words, naming checks as the messages do. */
  const reasonsOf = (center: string, reasons: readonly TimedReason[]) => {
    const checks = d.engine.centerChecks(center);
    return reasons.map((x) => ({ ...x, text: reasonWords(x, checks) }));
  };

  /** What the list and a center's own view both say of a center. */
  const summaryOf = (center: string, c: CenterReadiness) => ({
    province: c.province,
    center,
    name: d.engine.centerName(center),
    state: c.settled.state,
    sinceMs: c.sinceMs,
    reasons: reasonsOf(center, c.reasons),
  });

  const centerView = (center: string) => {
    const c = d.engine.state.centers.get(center);
    if (!c) return undefined;
    const now = d.now();
    const uptime = d.store.uptimeShare(center, now - 30 * DAY_MS, now, d.engine.calendarOf(c.province));
    const line = d.lines?.read().get(center);
    return {
      ...summaryOf(center, c),
      uptime30d: knownShare(uptime) ?? null,
      // The source address stays out: reads are open and it names the center's network.
      line: line ? { name: line.name, kind: line.kind ?? null, isp: line.isp ?? null, main: line.main, sinceMs: line.sinceMs } : null,
      agents: d.engine
        .agents()
        .filter((a) => a.center === center)
        .map((a) => ({ agent: a.agent, lastHeardMs: a.lastHeardMs })),
    };
  };

  r.get('/centers', (req, res) => {
    const province = typeof req.query.province === 'string' ? req.query.province : undefined;
    const list = [...d.engine.state.centers.entries()]
      .filter(([, c]) => province === undefined || c.province === province)
      .map(([center, c]) => summaryOf(center, c));
    res.json({ centers: list });
  });

  r.get('/centers/:center', (req, res) => {
    const view = centerView(req.params.center);
    if (!view) return void res.status(404).json({ error: 'unknown center' });
    const now = d.now();
    res.json({
      ...view,
      checks: d.engine.centerChecks(req.params.center),
      alerts: d.store.firingAlerts(req.params.center),
      incidents: d.store
        .alertsBetween(now - 30 * DAY_MS, now)
        .filter((a) => a.center === req.params.center && a.severity !== 'info')
        .slice(-100),
    });
  });

  r.get('/alerts', (req, res) => {
    const center = typeof req.query.center === 'string' ? req.query.center : undefined;
    res.json({ alerts: d.store.firingAlerts(center) });
  });

  r.get('/alerts/:id', (req, res) => {
    const alert = d.store.getAlert(req.params.id);
    if (!alert) return void res.status(404).json({ error: 'unknown alert' });
    res.json({ alert, history: d.store.alertHistory(alert.id), acknowledgements: d.store.acknowledgements(alert.id) });
  });

  r.get('/history', (req, res) => {
    const now = d.now();
    const from = instant(req.query.from, now - DAY_MS);
    const to = instant(req.query.to, now);
    if (from === undefined || to === undefined || from > to)
      return void res.status(400).json({ error: 'from and to must be ISO 8601 instants or epoch milliseconds, from <= to' });
    const alerts = d.store.alertsBetween(from, to);
    res.json({ alerts: alerts.slice(-MAX_HISTORY), truncated: alerts.length > MAX_HISTORY });
  });

  r.get('/silences', (_req, res) => {
    res.json({ silences: d.store.activeSilences(d.now(), () => true), configured: d.cfg.silences });
  });

  r.post('/silences', (req, res) => {
    const by = writer(req, res);
    if (by === undefined) return;
    const parsed = silenceBody.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: firstIssue(parsed.error) });
    const b = parsed.data;
    const bad = validateMatchers(b.matchers);
    if (bad) return void res.status(400).json({ error: bad });
    if (b.recurring !== undefined) {
      const rule = parseRecurrence(b.recurring);
      if (!rule.ok) return void res.status(400).json({ error: rule.error });
    }
    const startsMs = b.starts ? Date.parse(b.starts) : d.now();
    const endsMs = b.ends ? Date.parse(b.ends) : b.recurring ? Number.MAX_SAFE_INTEGER : NaN;
    if (!Number.isFinite(endsMs) || endsMs <= startsMs)
      return void res.status(400).json({ error: 'ends is required (after starts) unless the silence is recurring' });
    const id = d.store.addSilence({
      matchers: b.matchers,
      startsMs,
      endsMs,
      ...(b.recurring ? { recurring: b.recurring } : {}),
      createdBy: by,
      comment: b.comment,
    });
    res.status(201).json({ id });
  });

  r.delete('/silences/:id', (req, res) => {
    const by = writer(req, res);
    if (by === undefined) return;
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || !d.store.expireSilence(id, d.now())) return void res.status(404).json({ error: 'no such silence in force' });
    res.json({ id, expiredBy: by });
  });

  r.post('/alerts/:id/ack', (req, res) => {
    const by = writer(req, res);
    if (by === undefined) return;
    const parsed = ackBody.safeParse(req.body ?? {});
    if (!parsed.success) return void res.status(400).json({ error: firstIssue(parsed.error) });
    if (!d.engine.acknowledge(req.params.id, by, parsed.data.comment)) return void res.status(404).json({ error: 'no such firing alert' });
    res.json({ id: req.params.id, acknowledgedBy: by });
  });

  r.use((_req: Request, res: Response) => void res.status(404).json({ error: 'not found' }));
  return r;
}

function instant(v: unknown, fallback: number): number | undefined {
  if (v === undefined) return fallback;
  if (typeof v !== 'string') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : undefined;
}

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0]!;
  return `${i.path.join('.') || 'body'}: ${i.message}`;
}
