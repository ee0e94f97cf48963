import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../common/log.js';
import { METRIC } from '../../common/metrics.js';
import { encodeWriteRequest } from '../../common/remote-write/proto.js';
import { startShippers, type Shipper } from '../../common/remote-write/shipper.js';
import { snappyCodec, snappyCompress } from '../../common/remote-write/snappy.js';
import { DROP_REASONS, Wal } from '../../common/wal/wal.js';
import { toSeries } from './collect.js';
import type { PushConfig } from './schema.js';

/** Longest wait between two attempts at a target that is down. */
export const PUSH_MAX_BACKOFF_MS = 5_000;

/**
 * The agent's push side: every interval the registry is collected into one batch, appended to the WAL
 * (so it survives an outage and a restart), then offered to each target's shipper. The WAL has one
 * cursor per target: a Prometheus that is down does not hold back the province server.
 */
export class PushClient {
  private timer: NodeJS.Timeout | undefined;
  private collecting: Promise<void> | undefined;

  private constructor(
    readonly config: PushConfig,
    readonly wal: Wal,
    readonly shippers: ReadonlyMap<string, Shipper>,
    private readonly registry: () => Registry,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  static async start(config: PushConfig, registry: () => Registry, userAgent: string, log: Logger, now: () => number = Date.now): Promise<PushClient> {
    const wal = await Wal.open({
      dir: config.wal.dir,
      consumers: config.targets.map((t) => t.name),
      maxBytes: config.wal.max_size,
      maxAgeMs: config.wal.max_age,
      fsync: config.wal.fsync,
      log,
    });
    // Back off at most 5 s (Prometheus's own remote_write default), not the shipper's 30 s: when a
    // center's line comes back the province should hear from it within seconds; one small request per
    // 5 s per agent is nothing for the server even with the whole province retrying.
    const shippers = startShippers(wal, config.targets, { userAgent, log, maxBackoffMs: PUSH_MAX_BACKOFF_MS });
    const client = new PushClient(config, wal, shippers, registry, log, now);
    const backlog = wal.stats().backlog;
    log.info('push started', {
      targets: config.targets.map((t) => t.name),
      interval_ms: config.interval,
      backlog_records: Object.values(backlog).reduce((n, b) => n + b.records, 0),
      // 'js' when the native add-on could not load (e.g. under Wine): pushes go on, compressed a few times slower.
      snappy: snappyCodec(),
    });
    client.timer = setInterval(() => void client.collectOnce(), config.interval);
    return client;
  }

  /** Collects the registry now and queues the batch; resolves once it is in the WAL. */
  collectOnce(): Promise<void> {
    // A slow disk must not stack collections on top of each other.
    this.collecting ??= this.collect().finally(() => (this.collecting = undefined));
    return this.collecting;
  }

  private async collect(): Promise<void> {
    const ts = this.now();
    try {
      const series = toSeries(await this.registry().getMetricsAsJSON(), ts);
      if (series.length === 0) return;
      const payload = snappyCompress(encodeWriteRequest(series));
      const meta = { samples: series.length, minTimestampMs: ts, maxTimestampMs: ts };
      // A record the WAL cannot write is counted there (centerwatch_agent_wal_dropped_samples_total).
      const seq = await this.wal.append(payload, meta);
      for (const s of this.shippers.values()) s.offer({ seq, payload, ...meta });
    } catch (err) {
      this.log.error('push: collecting into the WAL failed; this interval is lost', { error: (err as Error).message });
    }
  }

  /** Registers the push and WAL metrics on a registry (the agent's, rebuilt on reload). */
  register(registry: Registry): void {
    const registers = [registry];
    const wal = this.wal;
    const shippers = this.shippers;
    const now = this.now;
    new Gauge({
      name: METRIC.agentWalBytes,
      help: 'Bytes of the push WAL on disk.',
      registers,
      collect() {
        this.set(wal.stats().bytes);
      },
    });
    new Counter({
      name: METRIC.agentWalDroppedSamplesTotal,
      help: 'Samples dropped unsent from the WAL, by reason: size or age bound, disk full, write failed.',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        const dropped = wal.stats().dropped;
        for (const reason of DROP_REASONS) this.inc({ reason }, dropped[reason].samples);
      },
    });
    new Gauge({
      name: METRIC.agentWalOldestSampleAgeSeconds,
      help: 'Age of the oldest sample not yet delivered to every target; 0 when none waits.',
      registers,
      collect() {
        const oldest = wal.stats().oldestTimestampMs;
        this.set(oldest === undefined ? 0 : Math.max(0, (now() - oldest) / 1000));
      },
    });
    new Gauge({
      name: METRIC.agentPushBacklogSamples,
      help: 'Samples in the WAL not yet accepted by a target.',
      labelNames: ['target'],
      registers,
      collect() {
        for (const [target, b] of Object.entries(wal.stats().backlog)) this.set({ target }, b.samples);
      },
    });
    new Gauge({
      name: METRIC.agentPushLastSuccessTimestampSeconds,
      help: 'Last time a target accepted a push (0: never since start).',
      labelNames: ['target'],
      registers,
      collect() {
        for (const [target, s] of shippers) this.set({ target }, s.stats.lastSuccessMs / 1000);
      },
    });
    new Counter({
      name: METRIC.agentPushSamplesTotal,
      help: 'Samples delivered to a target (sent), refused by it for good (rejected), or dropped by the server for their timestamps (refused_by_server).',
      labelNames: ['target', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [target, s] of shippers) {
          this.inc({ target, result: 'sent' }, s.stats.sentSamples);
          this.inc({ target, result: 'rejected' }, s.stats.rejectedSamples);
          // Accepted in a 2xx but dropped by the server: timestamps outside its window (this machine's clock).
          this.inc({ target, result: 'refused_by_server' }, s.stats.serverRefusedSamples);
        }
      },
    });
    new Counter({
      name: METRIC.agentPushResentSamplesTotal,
      help: 'Samples sent again after an attempt that may have reached the target (timeout, reset, 5xx).',
      labelNames: ['target'],
      registers,
      collect() {
        this.reset();
        for (const [target, s] of shippers) this.inc({ target }, s.stats.resentSamples);
      },
    });
    new Counter({
      name: METRIC.agentPushFailuresTotal,
      help: 'Push attempts that failed and will be retried (network, timeout, 5xx, 429).',
      labelNames: ['target'],
      registers,
      collect() {
        this.reset();
        for (const [target, s] of shippers) this.inc({ target }, s.stats.failedAttempts);
      },
    });
  }

  /** Stops collecting and sending; what was not delivered stays in the WAL for the next start. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.collecting;
    await Promise.all([...this.shippers.values()].map((s) => s.stop()));
    await this.wal.close();
  }
}
