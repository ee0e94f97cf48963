/**
 * The readiness page's routes: `/` (every center), `/centers/:id` (one center) and `/api/v1/events`
 * (server-sent events: readiness changes as they happen). Office-hours uptime over 30 days is computed
 * in the background every few minutes, so a page for the whole country answers from memory.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../../common/log.js';
import { alertWords, type EngineRuntime } from '../engine/runtime.js';
import type { Store, StoredAlert } from '../store/store.js';
import { knownShare } from '../store/uptime.js';
import type { Lang } from '../notifiers/event.js';
import { renderCenter, renderOverview, sinceText, type CenterDetail } from './page.js';
import { groupByProvince, mainReason, tileOf, type Tile } from './view.js';
import { LINE_IN_USE_KIND } from '../engine/describe.js';
import type { LineInUse } from '../lines/line-in-use.js';

const DAY_MS = 86_400_000;
const UPTIME_REFRESH_MS = 5 * 60_000;
/** Open event streams at most; more get 503 (each holds a socket). */
const MAX_STREAMS = 2000;

export interface WebDeps {
  engine: EngineRuntime;
  store: Store;
  log: Logger;
  now: () => number;
  /** Which line each center is on: a center on a backup line says so. */
  lines?: LineInUse | undefined;
}

const langOf = (req: Request): Lang => (req.query.lang === 'en' ? 'en' : 'vi');

export class ReadinessWeb {
  private uptime = new Map<string, number | undefined>();
  private uptimeAt = 0;
  private streams = new Set<Response>();
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly d: WebDeps) {}

  router(): Router {
    const r = express.Router();
    r.get('/', (req, res) => {
      const lang = langOf(req);
      const tiles = this.tiles();
      res
        .type('html')
        .set('cache-control', 'no-store')
        .send(renderOverview(tiles, groupByProvince(tiles), lang, this.d.now()));
    });
    r.get('/centers/:center', (req, res) => {
      const detail = this.detail(req.params.center);
      if (!detail) return void res.status(404).type('text/plain').send('unknown center\n');
      res
        .type('html')
        .set('cache-control', 'no-store')
        .send(renderCenter(detail, langOf(req), this.d.now()));
    });
    r.get('/api/v1/events', (req, res) => this.stream(req, res));
    return r;
  }

  /** Starts the uptime refresh and the event feed. */
  start(): void {
    this.unsubscribe = this.d.engine.onReadiness((change) => {
      const c = this.d.engine.state.centers.get(change.center);
      if (!c) return;
      const reason = change.to === 'ready' ? undefined : mainReason(change.reasons, this.d.engine.centerChecks(change.center));
      // The time shown is the reason's own (the tile's), not the moment the state changed.
      const sinceMs = reason?.sinceMs ?? change.atMs;
      const now = this.d.now();
      this.broadcast('readiness', {
        center: change.center,
        state: change.to,
        sinceMs,
        reason: reason?.text ?? null,
        since: { vi: sinceText(sinceMs, now, 'vi'), en: sinceText(sinceMs, now, 'en') },
      });
    });
    // Proxies close idle connections; a comment line every 25 s keeps the stream open.
    this.heartbeat = setInterval(() => this.broadcastRaw(': ping\n\n'), 25_000);
    this.heartbeat.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    clearInterval(this.heartbeat);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private tiles(): Tile[] {
    this.refreshUptime();
    const e = this.d.engine;
    const lines = this.d.lines?.read();
    return [...e.state.centers].map(([center, c]) =>
      tileOf(
        { province: c.province, center, name: e.centerName(center), state: c.settled.state, sinceMs: c.sinceMs, reasons: c.reasons },
        c.settled.state === 'ready' ? [] : e.centerChecks(center),
        this.uptime.get(center),
        lines?.get(center),
      ),
    );
  }

  private refreshUptime(): void {
    const now = this.d.now();
    if (now - this.uptimeAt < UPTIME_REFRESH_MS && this.uptime.size >= this.d.engine.state.centers.size) return;
    this.uptimeAt = now;
    const started = performance.now();
    for (const [center, c] of this.d.engine.state.centers)
      this.uptime.set(center, knownShare(this.d.store.uptimeShare(center, now - 30 * DAY_MS, now, this.d.engine.calendarOf(c.province))));
    this.d.log.debug('uptime refreshed', { centers: this.uptime.size, ms: Math.round(performance.now() - started) });
  }

  private detail(center: string): CenterDetail | undefined {
    const e = this.d.engine;
    const c = e.state.centers.get(center);
    if (!c) return undefined;
    this.refreshUptime();
    const now = this.d.now();
    const checks = e.centerChecks(center);
    const cal = e.calendarOf(c.province);
    // Local days, today last.
    const today = Math.floor((now + 7 * 3600_000) / DAY_MS) * DAY_MS - 7 * 3600_000;
    const days = Array.from({ length: 30 }, (_, i) => {
      const from = today - (29 - i) * DAY_MS;
      return {
        date: new Date(from + 7 * 3600_000).toISOString().slice(0, 10),
        share: knownShare(this.d.store.uptimeShare(center, from, Math.min(from + DAY_MS, now), cal)),
      };
    });
    const words = (a: StoredAlert) => alertWords(this.d.store, a);
    return {
      tile: tileOf(
        { province: c.province, center, name: e.centerName(center), state: c.settled.state, sinceMs: c.sinceMs, reasons: c.reasons },
        checks,
        this.uptime.get(center),
        this.d.lines?.read().get(center),
      ),
      // The line in use is said under the state, not as a row of the tables.
      checks: checks.filter((x) => x.kind !== LINE_IN_USE_KIND),
      agents: e.agents().filter((a) => a.center === center),
      alerts: this.d.store
        .firingAlerts(center)
        .filter((a) => this.shown(a))
        .map((a) => ({ summary: words(a), severity: a.severity, sinceMs: a.sinceMs })),
      incidents: this.d.store
        .alertsBetween(now - 30 * DAY_MS, now)
        .filter((a) => a.center === center && this.shown(a))
        .slice(-50)
        .reverse()
        .map((a) => ({ summary: words(a), sinceMs: a.sinceMs, resolvedAtMs: a.resolvedAtMs })),
      days,
    };
  }

  /** Leaders see the problems that were announced, or would have been: not info, not explained by another. */
  private shown(a: StoredAlert): boolean {
    if (a.severity === 'info') return false;
    return this.d.store.lastHistory(a.id, 'announced') !== undefined || this.d.store.lastHistory(a.id, 'suppressed') === undefined;
  }

  private stream(req: Request, res: Response): void {
    if (this.streams.size >= MAX_STREAMS) return void res.status(503).set('retry-after', '30').type('text/plain').send('too many live pages\n');
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }

  private broadcast(event: string, data: unknown): void {
    this.broadcastRaw(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcastRaw(text: string): void {
    for (const res of this.streams) res.write(text);
  }
}
