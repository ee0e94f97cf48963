import { join } from 'node:path';
import type { Logger } from '../common/log.js';
import { encodeWriteRequest, type TimeSeries } from '../common/remote-write/proto.js';
import { startShippers, type Shipper } from '../common/remote-write/shipper.js';
import { snappyCompress } from '../common/remote-write/snappy.js';
import { Wal } from '../common/wal/wal.js';
import type { ServerConfig } from './config/schema.js';

/**
 * Forwarding to remote_write upstreams (Prometheus, VictoriaMetrics, Mimir) through one durable queue:
 * every accepted request is appended once and each upstream drains it at its own pace, so an upstream
 * outage delays its data and loses none (within the WAL's bounds).
 */
export class Forwarder {
  private constructor(
    readonly wal: Wal,
    readonly shippers: ReadonlyMap<string, Shipper>,
    private readonly log: Logger,
  ) {}

  /** undefined when no upstream is configured: nothing is written to disk then. */
  static async open(cfg: ServerConfig, userAgent: string, log: Logger): Promise<Forwarder | undefined> {
    if (cfg.forward.length === 0) return undefined;
    const wal = await Wal.open({
      dir: join(cfg.data_dir, 'forward-wal'),
      consumers: cfg.forward.map((f) => f.name),
      maxBytes: cfg.forward_wal.max_size,
      maxAgeMs: cfg.forward_wal.max_age,
      fsync: cfg.forward_wal.fsync,
      log,
    });
    const shippers = startShippers(wal, cfg.forward, { userAgent, log });
    return new Forwarder(wal, shippers, log);
  }

  /** Appends not yet resolved: close() waits for them so no accepted request is cut off mid-append. */
  private readonly pending = new Set<Promise<void>>();

  /** Queues one accepted request's series for every upstream. Never rejects. */
  enqueue(series: TimeSeries[], samples: number): Promise<void> {
    if (series.length === 0) return Promise.resolve();
    const p = this.append(series, samples).finally(() => this.pending.delete(p));
    this.pending.add(p);
    return p;
  }

  private async append(series: TimeSeries[], samples: number): Promise<void> {
    let min = Infinity;
    let max = -Infinity;
    for (const ts of series)
      for (const s of ts.samples) {
        if (s.timestampMs < min) min = s.timestampMs;
        if (s.timestampMs > max) max = s.timestampMs;
      }
    const payload = snappyCompress(encodeWriteRequest(series));
    const meta = { samples, minTimestampMs: min, maxTimestampMs: max };
    try {
      const seq = await this.wal.append(payload, meta);
      for (const s of this.shippers.values()) s.offer({ seq, payload, ...meta });
    } catch (err) {
      // The sender already has its 204; a full disk here must not take the receiver down.
      this.log.error('forward queue append failed; this request will not be forwarded', { error: (err as Error).message });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.pending);
    await Promise.all([...this.shippers.values()].map((s) => s.stop()));
    await this.wal.close();
  }
}
