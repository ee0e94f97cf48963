import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { METRIC } from '../common/metrics.js';
import { DROP_REASONS } from '../common/wal/wal.js';
import type { Forwarder } from './forward.js';
import { SAMPLE_REFUSED_REASONS, type SampleRefusedReason } from './enforce.js';
import { REFUSED_REASONS, type RefusedReason } from './receiver.js';
import type { LatestState } from './state.js';

/** The server's own metrics, on a registry of its own. */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly samples: Counter;
  private readonly requests: Counter<'result'>;
  private readonly refusedTotal: Counter<'reason'>;
  private readonly samplesRefusedTotal: Counter<'reason'>;

  constructor(state: LatestState, forwarder: () => Forwarder | undefined) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
    // prom-client's nodejs_active_{handles,requests,resources}_total are gauges with a counter's suffix,
    // which Prometheus's linter refuses; their per-type gauges (nodejs_active_handles{type}) say the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.samples = new Counter({ name: METRIC.ingestSamplesTotal, help: 'Samples accepted from agents.', registers });
    this.requests = new Counter({
      name: METRIC.ingestRequestsTotal,
      help: 'remote_write requests by result (accepted, refused).',
      labelNames: ['result'],
      registers,
    });
    this.refusedTotal = new Counter({ name: METRIC.ingestRefusedTotal, help: 'Refused remote_write requests by reason.', labelNames: ['reason'], registers });
    // Every label value exists from the start, so rate() and alerts see a 0 rather than nothing.
    for (const reason of REFUSED_REASONS) this.refusedTotal.inc({ reason }, 0);
    for (const result of ['accepted', 'refused']) this.requests.inc({ result }, 0);
    this.samplesRefusedTotal = new Counter({
      name: METRIC.ingestSamplesRefusedTotal,
      help: 'Samples dropped from accepted remote_write requests by reason (timestamp out of bounds).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of SAMPLE_REFUSED_REASONS) this.samplesRefusedTotal.inc({ reason }, 0);
    new Gauge({
      name: METRIC.serverSeries,
      help: 'Series whose latest value the server holds.',
      registers,
      collect() {
        this.set(state.seriesCount);
      },
    });
    new Gauge({
      name: METRIC.serverAgents,
      help: 'Agents heard since the server started.',
      registers,
      collect() {
        this.set(state.agentCount);
      },
    });
    const walStat = (pick: (f: Forwarder) => number) =>
      function (this: Gauge) {
        const f = forwarder();
        if (f) this.set(pick(f));
      };
    new Gauge({ name: METRIC.forwardWalBytes, help: 'Bytes of the forwarding queue on disk.', registers, collect: walStat((f) => f.wal.stats().bytes) });
    new Counter({
      name: METRIC.forwardWalDroppedSamplesTotal,
      help: 'Samples dropped unsent from the forwarding queue, by reason: size or age bound, disk full, write failed.',
      labelNames: ['reason'],
      registers,
      collect() {
        const f = forwarder();
        this.reset();
        if (f) for (const reason of DROP_REASONS) this.inc({ reason }, f.wal.stats().dropped[reason].samples);
      },
    });
    // Counters kept by the shippers, exposed as they are at scrape time.
    const perUpstreamCounter = (name: string, help: string, pick: (f: Forwarder, upstream: string) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['upstream'],
        registers,
        collect() {
          const f = forwarder();
          this.reset();
          if (f) for (const upstream of f.shippers.keys()) this.inc({ upstream }, pick(f, upstream));
        },
      });
    const perUpstream = (name: string, help: string, pick: (f: Forwarder, upstream: string) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['upstream'],
        registers,
        collect() {
          const f = forwarder();
          if (f) for (const upstream of f.shippers.keys()) this.set({ upstream }, pick(f, upstream));
        },
      });
    perUpstream(METRIC.forwardBacklogSamples, 'Samples queued for an upstream.', (f, u) => f.wal.stats().backlog[u]?.samples ?? 0);
    perUpstream(
      METRIC.forwardLastSuccessTimestampSeconds,
      'Last time an upstream accepted a request.',
      (f, u) => (f.shippers.get(u)?.stats.lastSuccessMs ?? 0) / 1000,
    );
    new Counter({
      name: METRIC.forwardSamplesTotal,
      help: 'Samples an upstream accepted (sent) or refused for good (rejected: only the refused series of a split batch).',
      labelNames: ['upstream', 'result'],
      registers,
      collect() {
        const f = forwarder();
        this.reset();
        if (f)
          for (const [upstream, s] of f.shippers) {
            this.inc({ upstream, result: 'sent' }, s.stats.sentSamples);
            this.inc({ upstream, result: 'rejected' }, s.stats.rejectedSamples);
          }
      },
    });
    perUpstreamCounter(
      METRIC.forwardResentSamplesTotal,
      'Samples sent again after an attempt that may have reached the upstream (timeout, reset, 5xx).',
      (f, u) => f.shippers.get(u)?.stats.resentSamples ?? 0,
    );
    perUpstreamCounter(METRIC.forwardFailuresTotal, 'Failed forwarding attempts (retried).', (f, u) => f.shippers.get(u)?.stats.failedAttempts ?? 0);
  }

  accepted(samples: number): void {
    this.samples.inc(samples);
    this.requests.inc({ result: 'accepted' });
  }

  samplesRefused(reason: SampleRefusedReason, samples: number): void {
    this.samplesRefusedTotal.inc({ reason }, samples);
  }

  refused(reason: RefusedReason): void {
    this.requests.inc({ result: 'refused' });
    this.refusedTotal.inc({ reason });
  }
}
