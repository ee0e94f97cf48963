import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import { backoffMs, sendWriteRequest, type RemoteWriteTarget, type SendOutcome } from './sender.js';

/** A record of the durable queue: one snappy-compressed WriteRequest body and what it holds. */
export interface QueuedRecord {
  seq: number;
  payload: Uint8Array;
  samples: number;
  minTimestampMs: number;
  maxTimestampMs: number;
}

/** What the shipper needs of the WAL (common/wal): ordered reads and per-consumer acks. */
export interface DurableQueue {
  readOldest(consumer: string, max: number): Promise<QueuedRecord[]>;
  ack(consumer: string, seq: number): Promise<void>;
}

export interface ShipperOptions {
  queue: DurableQueue;
  /** The WAL consumer (cursor) this shipper drains; one per target. */
  consumer: string;
  target: RemoteWriteTarget;
  log: Logger;
  /** First retry delay. Default 500 ms. */
  minBackoffMs?: number;
  /** Longest retry delay. Default 30 s. */
  maxBackoffMs?: number;
  /** How often an idle shipper looks at the queue without being notified. Default 5 s. */
  idlePollMs?: number;
  now?: () => number;
}

export interface ShipperStats {
  sentRecords: number;
  sentSamples: number;
  /** Records the target refused for good (a 4xx other than 429): dropped, logged, counted. */
  rejectedRecords: number;
  rejectedSamples: number;
  failedAttempts: number;
  /** Wall-clock ms of the last accepted request; 0 before the first. */
  lastSuccessMs: number;
  /** Newest sample timestamp (ms) the target has accepted; 0 before the first. */
  lastSentSampleMs: number;
  /** Reason of the last failed attempt while failing; undefined while healthy. */
  failing: string | undefined;
}

/**
 * Drains one consumer of the durable queue into one remote_write target, one request in flight.
 *
 * Two lanes share the connection: the live lane sends the newest record as soon as it is appended, the
 * backlog lane replays unacked records oldest first. They alternate while a backlog drains, so the
 * target's view of "now" is never hours behind and the outage still arrives in full, in order.
 * Every record stays in the WAL until acked, so a crash or a failed send loses nothing.
 */
export class Shipper {
  readonly stats: ShipperStats = {
    sentRecords: 0,
    sentSamples: 0,
    rejectedRecords: 0,
    rejectedSamples: 0,
    failedAttempts: 0,
    lastSuccessMs: 0,
    lastSentSampleMs: 0,
    failing: undefined,
  };
  private live: QueuedRecord | undefined;
  private backlog: QueuedRecord[] = [];
  private readonly ackedLive = new Set<number>();
  private preferLive = true;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly abort = new AbortController();
  private readonly opts: Required<Omit<ShipperOptions, 'queue' | 'target' | 'log' | 'consumer'>> & ShipperOptions;

  constructor(options: ShipperOptions) {
    this.opts = { minBackoffMs: 500, maxBackoffMs: 30_000, idlePollMs: 5000, now: Date.now, ...options };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** A record was appended: it goes out on the live lane (older live records fall back to the backlog). */
  offer(record: QueuedRecord): void {
    this.live = record;
    this.wake?.();
  }

  /** Stops after aborting the request in flight; unacked records stay in the queue. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      const record = await this.next();
      if (!record) {
        await this.sleep(this.opts.idlePollMs, true);
        continue;
      }
      const outcome = await sendWriteRequest(this.opts.target, record.payload, this.abort.signal);
      if (!this.running && outcome.kind === 'retry') break;
      if (outcome.kind === 'retry') {
        attempt++;
        this.noteFailure(outcome, attempt);
        // The record stays unacked; the backlog lane will pick it up in order.
        if (this.live?.seq === record.seq) this.live = undefined;
        this.backlog = [];
        const wait = Math.min(this.opts.maxBackoffMs, outcome.retryAfterMs ?? backoffMs(attempt, this.opts.minBackoffMs, this.opts.maxBackoffMs));
        await this.sleep(wait, false);
        continue;
      }
      if (attempt > 0 || this.stats.failing) this.opts.log.info('remote_write target reachable again', { target: this.opts.target.name, after_attempts: attempt });
      attempt = 0;
      this.stats.failing = undefined;
      if (outcome.kind === 'sent') {
        this.stats.sentRecords++;
        this.stats.sentSamples += record.samples;
        this.stats.lastSuccessMs = this.opts.now();
        this.stats.lastSentSampleMs = Math.max(this.stats.lastSentSampleMs, record.maxTimestampMs);
      } else {
        this.stats.rejectedRecords++;
        this.stats.rejectedSamples += record.samples;
        this.opts.log.warn('remote_write target refused a batch; it is dropped', {
          target: this.opts.target.name,
          status: outcome.status,
          samples: record.samples,
          detail: outcome.detail,
        });
      }
      await this.opts.queue.ack(this.opts.consumer, record.seq);
    }
  }

  /** The next record to send: live and backlog alternate; undefined when both are empty. */
  private async next(): Promise<QueuedRecord | undefined> {
    const fromLive = (): QueuedRecord | undefined => {
      const r = this.live;
      this.live = undefined;
      if (r) this.ackedLive.add(r.seq);
      return r;
    };
    if (this.preferLive && this.live) {
      this.preferLive = false;
      return fromLive();
    }
    this.preferLive = true;
    const old = await this.fromBacklog();
    return old ?? fromLive();
  }

  private async fromBacklog(): Promise<QueuedRecord | undefined> {
    for (;;) {
      if (this.backlog.length === 0) {
        // Fresh reads already skip records acked out of order, so the live lane's memory can go.
        this.ackedLive.clear();
        this.backlog = await this.opts.queue.readOldest(this.opts.consumer, 32);
        if (this.backlog.length === 0) return undefined;
      }
      const r = this.backlog.shift()!;
      if (this.live?.seq === r.seq) this.live = undefined;
      if (!this.ackedLive.delete(r.seq)) return r;
    }
  }

  private noteFailure(outcome: Extract<SendOutcome, { kind: 'retry' }>, attempt: number): void {
    this.stats.failedAttempts++;
    if (this.stats.failing !== outcome.reason) {
      this.opts.log.warn('remote_write target unreachable; keeping data in the WAL and retrying', {
        target: this.opts.target.name,
        reason: outcome.reason,
        attempt,
      });
    }
    this.stats.failing = outcome.reason;
  }

  private sleep(ms: number, wakeOnOffer: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = wakeOnOffer ? done : () => (this.running ? undefined : done());
    });
  }
}

/** A target as both configs write it (agent `push.targets`, server `forward`). */
export interface TargetConfig {
  name: string;
  url: string;
  bearer_token?: string;
  ca_file?: string;
  /** ms */
  timeout: number;
}

/** One started shipper per target, each draining its own consumer (named after the target) of `queue`. */
export function startShippers(
  queue: DurableQueue,
  targets: readonly TargetConfig[],
  opts: { userAgent: string; log: Logger; maxBackoffMs?: number },
): Map<string, Shipper> {
  const shippers = new Map<string, Shipper>();
  for (const t of targets) {
    const target = { name: t.name, url: t.url, bearerToken: t.bearer_token, ca: t.ca_file ? readFileSync(t.ca_file, 'utf8') : undefined, timeoutMs: t.timeout, userAgent: opts.userAgent };
    const shipper = new Shipper({ queue, consumer: t.name, target, log: opts.log, maxBackoffMs: opts.maxBackoffMs });
    shipper.start();
    shippers.set(t.name, shipper);
  }
  return shippers;
}
