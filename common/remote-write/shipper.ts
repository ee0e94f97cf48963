import { readFileSync } from 'node:fs';
import { registerSecret, type Logger } from '../log.js';
import { withDefaults } from '../options.js';
import { retryDelayMs, sendWriteRequest, type RemoteWriteTarget, type SendOutcome, type ServerRefused } from './sender.js';
import { decodeRecord, deliverSplit, splittable } from './split.js';
import { mergeRecords } from './merge.js';

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
  /**
   * Backlog records sent together in one request, at most (default 32) and at most this many bytes
   * uncompressed (default 1 MiB): a backlog drains in a few large requests instead of one round trip
   * per record, so a forwarder keeps up with a province and catches up after an upstream outage.
   */
  maxBatchRecords?: number;
  maxBatchBytes?: number;
  now?: () => number;
}

export interface ShipperStats {
  /** Requests the target accepted in full or in part (a request may carry several backlog records). */
  sentRecords: number;
  sentSamples: number;
  /**
   * Records the target refused for good as a whole (a 4xx other than 429; after splitting for a 400/413).
   * Samples count every sample dropped for good, refused series of a partly delivered record included.
   */
  rejectedRecords: number;
  rejectedSamples: number;
  /** Samples the receiver accepted the request with but dropped (its refused-samples header: a wrong clock here). */
  serverRefusedSamples: number;
  /**
   * Samples sent again after an attempt that may have reached the target (a timeout, a reset, a 5xx):
   * the target may now hold them twice (Prometheus drops an identical duplicate).
   */
  resentSamples: number;
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
    serverRefusedSamples: 0,
    resentSamples: 0,
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
  /** The receiver's refused-samples reason last warned about: one warning per change, not one per push. */
  private refusedReason: string | undefined;
  /** Records whose last attempt may have reached the target; their next send is a resend. */
  private readonly maybeDelivered = new Set<number>();

  constructor(options: ShipperOptions) {
    this.opts = withDefaults(
      { minBackoffMs: 500, maxBackoffMs: 30_000, idlePollMs: 5000, maxBatchRecords: 32, maxBatchBytes: 2 ** 20, now: Date.now },
      options,
    );
    const { minBackoffMs: min, maxBackoffMs: max, idlePollMs: idle } = this.opts;
    for (const [name, ms] of Object.entries({ minBackoffMs: min, maxBackoffMs: max, idlePollMs: idle })) {
      if (!(Number.isFinite(ms) && ms > 0)) throw new Error(`shipper ${name} must be a positive number of ms (got ${ms})`);
    }
    if (min > max) throw new Error(`shipper minBackoffMs (${min}) is above maxBackoffMs (${max})`);
    // An upstream may echo the Authorization header in an error body that ends up in a log line.
    if (options.target.bearerToken) registerSecret(options.target.bearerToken);
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
      const first = await this.next();
      if (!first) {
        // A record offered while the queue was being read has no sleep to wake: look again at once.
        if (!this.live) await this.sleep(this.opts.idlePollMs, true);
        continue;
      }
      const batch = this.withFollowing(first);
      const record = batch.length === 1 ? first : mergeRecords(batch, this.opts.maxBatchBytes);
      if (!record) {
        // A record that cannot be read goes alone, so the one at fault is handled as usual.
        this.backlog.unshift(...batch.splice(1));
        continue;
      }
      for (const r of batch) if (this.maybeDelivered.has(r.seq)) this.stats.resentSamples += r.samples;
      const retry = await this.deliver(record);
      for (const r of batch) {
        if (retry && mayHaveArrived(retry)) this.maybeDelivered.add(r.seq);
        else this.maybeDelivered.delete(r.seq);
      }
      if (retry && !this.running) break;
      if (retry) {
        attempt++;
        this.noteFailure(retry, attempt);
        // The records stay unacked; the backlog lane will pick them up in order.
        if (this.live && batch.some((r) => r.seq === this.live!.seq)) this.live = undefined;
        this.backlog = [];
        await this.sleep(retryDelayMs(retry.retryAfterMs, attempt, this.opts.minBackoffMs, this.opts.maxBackoffMs), false);
        continue;
      }
      if (attempt > 0 || this.stats.failing)
        this.opts.log.info('remote_write target reachable again', { target: this.opts.target.name, after_attempts: attempt });
      attempt = 0;
      this.stats.failing = undefined;
      for (const r of batch) await this.opts.queue.ack(this.opts.consumer, r.seq);
    }
  }

  /**
   * `first` and the backlog records already read that follow it, within the batch bounds (a live record
   * goes alone: it is the newest, and a backlog drain alternates with it).
   */
  private withFollowing(first: QueuedRecord): QueuedRecord[] {
    const batch = [first];
    let bytes = first.payload.byteLength;
    while (this.backlog.length > 0 && batch.length < this.opts.maxBatchRecords) {
      const r = this.backlog[0]!;
      if (r.seq < first.seq) break;
      // Uncompressed size is up to ~4× the snappy block for these bodies: a cheap bound before inflating.
      if ((bytes + r.payload.byteLength) * 4 > this.opts.maxBatchBytes) break;
      this.backlog.shift();
      if (this.ackedLive.delete(r.seq)) continue;
      if (this.live?.seq === r.seq) this.live = undefined;
      batch.push(r);
      bytes += r.payload.byteLength;
    }
    return batch;
  }

  /** Sends one record (in parts if the target refuses it whole with 400/413); a retry outcome leaves it queued. */
  private async deliver(record: QueuedRecord): Promise<Extract<SendOutcome, { kind: 'retry' }> | undefined> {
    const outcome = await this.send(record.payload);
    if (outcome.kind === 'retry') return outcome;
    if (outcome.kind === 'sent') return void this.noteSent(record.samples, record.maxTimestampMs);
    const series = splittable(outcome.status) ? decodeRecord(record.payload) : undefined;
    if (!series || series.length < 2) {
      this.stats.rejectedRecords++;
      this.stats.rejectedSamples += record.samples;
      this.opts.log.warn('remote_write target refused a batch; it is dropped', {
        target: this.opts.target.name,
        status: outcome.status,
        samples: record.samples,
        detail: outcome.detail,
      });
      return undefined;
    }
    const r = await deliverSplit(series, outcome.detail, (body) => this.send(body));
    if (r.kind === 'retry') return r.outcome;
    if (r.sentSeries > 0) this.noteSent(r.sentSamples, r.sentMaxTimestampMs);
    else this.stats.rejectedRecords++;
    this.stats.rejectedSamples += r.refusedSamples;
    this.opts.log.warn('remote_write target refused some series of a batch; they are dropped, the others delivered', {
      target: this.opts.target.name,
      status: outcome.status,
      dropped_series: r.refusedSeries,
      dropped_samples: r.refusedSamples,
      delivered_series: r.sentSeries,
      requests: r.requests + 1,
      detail: r.reasons.join(' | '),
    });
    return undefined;
  }

  private async send(body: Uint8Array): Promise<SendOutcome> {
    const outcome = await sendWriteRequest(this.opts.target, body, this.abort.signal);
    if (outcome.kind === 'sent' && outcome.refused) this.noteServerRefused(outcome.refused);
    return outcome;
  }

  private noteSent(samples: number, maxTimestampMs: number): void {
    this.stats.sentRecords++;
    this.stats.sentSamples += samples;
    this.stats.lastSuccessMs = this.opts.now();
    this.stats.lastSentSampleMs = Math.max(this.stats.lastSentSampleMs, maxTimestampMs);
  }

  private noteServerRefused(refused: ServerRefused): void {
    this.stats.serverRefusedSamples += refused.samples;
    const reason = refused.reasons.join(',') || 'unspecified';
    if (reason === this.refusedReason) return;
    this.refusedReason = reason;
    this.opts.log.warn("the receiver dropped samples whose timestamps are outside its window: this machine's clock looks wrong", {
      target: this.opts.target.name,
      refused_samples: refused.samples,
      reason,
    });
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
        try {
          this.backlog = await this.opts.queue.readOldest(this.opts.consumer, 32);
        } catch (err) {
          // A read error (a disk gone bad) must not end the loop: the next look may succeed.
          this.opts.log.error('reading the push queue failed; retrying', { target: this.opts.target.name, error: (err as Error).message });
          await this.sleep(this.opts.maxBackoffMs, false);
          return undefined;
        }
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
    const target = {
      name: t.name,
      url: t.url,
      bearerToken: t.bearer_token,
      ca: t.ca_file ? readFileSync(t.ca_file, 'utf8') : undefined,
      timeoutMs: t.timeout,
      userAgent: opts.userAgent,
    };
    const shipper = new Shipper({ queue, consumer: t.name, target, log: opts.log, maxBackoffMs: opts.maxBackoffMs });
    shipper.start();
    shippers.set(t.name, shipper);
  }
  return shippers;
}

/** Whether a failed attempt may still have been received: only a refused or unresolved connection never was. */
function mayHaveArrived(retry: Extract<SendOutcome, { kind: 'retry' }>): boolean {
  return retry.status !== undefined || !['refused', 'dns', 'unreachable', 'aborted'].includes(retry.reason);
}
