/**
 * The outbox delivery loop: takes due messages from the store, formats each for its route's channel,
 * sends it, and records the outcome (sent, retry later, given up).
 *
 * Order: a route's messages go one at a time in id order, and a message that failed (retryable) holds
 * the later messages of its route (the store's `due` leaves them out), so a resolved message never
 * arrives before its firing message. Routes are independent: one that is down delays no other.
 * Delivery is at least once: a crash between a send and its `markSent` sends the message again with the
 * same idempotency key.
 *
 * What to do after an attempt (`decide`, `backoffMs`) is pure; the class only does the I/O.
 */
import type { Logger } from '../../common/log.js';
import type { OutboxEntry, Store } from '../store/store.js';
import { DEFINITIONS, type AlertEvent, type Channel, type ChannelOptions, type Lang, type SendResult } from './index.js';

/** A notifier instance messages are addressed to (by `name`, the outbox entry's `route`). */
export interface RouteOf<C extends Channel> {
  name: string;
  channel: C;
  options: ChannelOptions[C];
  lang: Lang;
}

/** Any route: `options` always matches `channel`. */
export type Route = { [C in Channel]: RouteOf<C> }[Channel];

/** Payload the engine enqueues: the event, formatted at delivery time with the route's current options. */
export interface OutboxPayload {
  event: AlertEvent;
}

export type DeliveryOutcome = 'sent' | 'retry' | 'failed';

export interface DeliveryOptions {
  store: Store;
  routes: readonly Route[];
  log: Logger;
  /** Clock (epoch ms). Default `Date.now`. */
  now?: () => number;
  /** Called once per attempt with a known route (e.g. to count it in a metric). */
  onResult?: (channel: Channel, result: DeliveryOutcome) => void;
  /** Deadline of one send (ms). Default 10 000. */
  timeoutMs?: number;
  /** Failed attempts after which a message is given up. Default 20 (about 1.5 hours at the backoff cap). */
  maxAttempts?: number;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** How often the loop looks for due messages without a `kick` (ms). */
export const POLL_MS = 500;
const BATCH = 100;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 5 * 60_000;
const JITTER = 0.2;

/**
 * Wait before the next attempt after `attempts` earlier failures: min(1 s × 2^attempts, 5 min) ± 20 %.
 * Jitter keeps many messages failed at once by the same outage from retrying in lockstep.
 * `random` is in [0, 1): 0 gives −20 %, 0.5 the base, towards 1 up to +20 %.
 */
export function backoffMs(attempts: number, random: number): number {
  const base = Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts), BACKOFF_CAP_MS);
  return Math.round(base * (1 + JITTER * (2 * random - 1)));
}

/** What to do with a message after one attempt. `reason` is a code, never error text. */
export type Decision = { kind: 'sent' } | { kind: 'retry'; atMs: number; reason: string } | { kind: 'give_up'; reason: string };

/** `attempts`: failures before this attempt. */
export function decide(result: SendResult, attempts: number, nowMs: number, maxAttempts: number, random: number): Decision {
  if (result.ok) return { kind: 'sent' };
  const reason = result.status === undefined ? result.reason : `${result.reason}:${result.status}`;
  if (!result.retryable) return { kind: 'give_up', reason };
  if (attempts + 1 >= maxAttempts) return { kind: 'give_up', reason: `max_attempts:${reason}` };
  return { kind: 'retry', atMs: nowMs + backoffMs(attempts, random), reason };
}

function eventOf(payload: unknown): AlertEvent | undefined {
  const e = (payload as Partial<OutboxPayload> | null)?.event;
  return e && typeof e === 'object' && typeof e.key === 'string' && typeof e.status === 'string' ? e : undefined;
}

/** Formats now (may throw on a malformed event) and returns the send, to run under a deadline. */
function prepare<C extends Channel>(route: RouteOf<C>, event: AlertEvent): (signal: AbortSignal) => Promise<SendResult> {
  const notifier = DEFINITIONS[route.channel];
  const payload = notifier.format(event, route.options, route.lang);
  return async (signal) => notifier.send(payload, route.options, signal, `${route.name}:${event.key}`);
}

export class Delivery {
  private readonly store: Store;
  private readonly routes: Map<string, Route>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly onResult: (channel: Channel, result: DeliveryOutcome) => void;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;

  private running = false;
  private loop: Promise<void> | undefined;
  private kicked = false;
  private wake: (() => void) | undefined;
  /** Routes with a drain in progress: never two at once for one route (that would break its order). */
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(o: DeliveryOptions) {
    this.store = o.store;
    this.routes = new Map(o.routes.map((r) => [r.name, r]));
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.onResult = o.onResult ?? (() => undefined);
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.maxAttempts = o.maxAttempts ?? 20;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Look for due messages now (the engine calls this after enqueueing). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** No more ticks; waits for the sends in flight, each bounded by the send timeout. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.tick();
      await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    if (this.kicked || !this.running) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.kicked = false;
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      this.wake = done;
    });
  }

  private tick(): void {
    let due: OutboxEntry[];
    try {
      due = this.store.due(this.now(), BATCH);
    } catch (err) {
      this.log.error('outbox read failed', { error: (err as { code?: string }).code ?? 'store' });
      return;
    }
    const byRoute = new Map<string, OutboxEntry[]>();
    for (const e of due) {
      if (this.busy.has(e.route)) continue;
      const list = byRoute.get(e.route) ?? [];
      list.push(e);
      byRoute.set(e.route, list);
    }
    for (const [route, entries] of byRoute) {
      entries.sort((a, b) => a.id - b.id);
      this.busy.add(route);
      const p = this.drain(entries).finally(() => {
        this.busy.delete(route);
        this.inFlight.delete(p);
      });
      this.inFlight.add(p);
    }
  }

  /** One route's batch, in id order; stops at the first message that will be retried. */
  private async drain(entries: OutboxEntry[]): Promise<void> {
    let settled = 0;
    for (const entry of entries) {
      if (!this.running) break;
      const decision = await this.attempt(entry);
      if (!this.record(entry, decision)) break;
      if (decision.kind === 'retry') break;
      settled++;
    }
    // More may be due (a full batch, or messages that waited behind the ones just settled).
    if (settled > 0) this.kick();
  }

  private async attempt(entry: OutboxEntry): Promise<Decision> {
    const route = this.routes.get(entry.route);
    if (!route) return { kind: 'give_up', reason: 'unknown_route' };
    const event = eventOf(entry.payload);
    if (!event) return { kind: 'give_up', reason: 'bad_payload' };
    let send: (signal: AbortSignal) => Promise<SendResult>;
    try {
      send = prepare(route, event);
    } catch {
      return { kind: 'give_up', reason: 'bad_payload' }; // formatting is pure: a retry would fail the same way
    }
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The notifier honours the signal; the race only guards against one that does not, so stop() stays bounded.
    const deadline = new Promise<SendResult>((resolve) => {
      timer = setTimeout(() => {
        ac.abort();
        setTimeout(() => resolve({ ok: false, retryable: true, reason: 'timeout' }), 100).unref();
      }, this.timeoutMs);
    });
    let result: SendResult;
    try {
      result = await Promise.race([send(ac.signal), deadline]);
    } catch {
      result = { ok: false, retryable: true, reason: 'network' };
    } finally {
      clearTimeout(timer);
    }
    return decide(result, entry.attempts, this.now(), this.maxAttempts, this.random());
  }

  /** Writes the outcome; false when the store refused it (the message stays pending and is sent again). */
  private record(entry: OutboxEntry, d: Decision): boolean {
    const route = this.routes.get(entry.route);
    const fields = { route: entry.route, key: entry.key };
    try {
      if (d.kind === 'sent') {
        this.store.markSent(entry.id, this.now());
        this.log.debug('notification sent', fields);
      } else if (d.kind === 'retry') {
        this.store.markFailed(entry.id, d.atMs, d.reason);
        this.log.info('notification failed, will retry', { ...fields, reason: d.reason, attempts: entry.attempts + 1, retryInMs: d.atMs - this.now() });
      } else {
        this.store.markGivenUp(entry.id, this.now(), d.reason);
        this.log.warn('notification given up', { ...fields, reason: d.reason, attempts: entry.attempts });
      }
    } catch (err) {
      this.log.error('outbox write failed', { ...fields, error: (err as { code?: string }).code ?? 'store' });
      return false;
    }
    if (route) this.onResult(route.channel, d.kind === 'give_up' ? 'failed' : d.kind);
    return true;
  }
}
