import { createServer, type Server } from 'node:http';
import type { Logger } from '../common/log.js';
import type { AgentConfig, CheckConfig } from './config/schema.js';
import { AgentMetrics } from './exposition.js';
import { registerProcessMetrics } from './process-metrics.js';
import { PROBES } from './probes/index.js';
import type { ProbeDefinition, Session } from './probes/types.js';
import { runCheck, type RunOutcome } from './runner.js';
import { Scheduler } from './scheduler.js';
import { agentVersion } from '../common/version.js';
import { PushClient } from './push/push.js';
import { CENTRAL_TARGET } from './central/compose.js';
import { dropStartupPages } from './platform/linux/startup-pages.js';

/** How long a stop waits for in-flight runs before aborting them. */
export const DRAIN_MS = 5000;

/** The agent: config → scheduler → runner → metrics, with `/metrics` and `/healthz` over HTTP. */
/**
 * When the agent gives back the pages only its start needed (platform/linux/startup-pages.ts): by
 * then every check of the default intervals (30 s) has run once, and a push has gone out.
 */
const SETTLE_MS = 30_000;

export class Agent {
  metrics!: AgentMetrics;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly sessions = new Map<string, Session>();
  private stopController = new AbortController();
  private scheduler!: Scheduler<CheckConfig>;
  private server: Server | undefined;
  private readonly lastOutcome = new Map<string, RunOutcome>();
  private push: PushClient | undefined;
  /** Whether the last attempt to load the config (at start or on reload) succeeded. */
  private configLoaded = true;

  constructor(
    private config: AgentConfig,
    private readonly log: Logger,
  ) {
    this.build(config);
  }

  /** Metrics and schedule for a config; a reload builds them anew (counters restart, as after a restart). */
  private build(config: AgentConfig): void {
    this.config = config;
    const lineDescription = (line: string | undefined) => config.lines.find((l) => l.name === line)?.description;
    this.metrics = new AgentMetrics(
      config.checks.map((c) => ({ ...c, lineDescription: lineDescription(c.line) })),
      PROBES,
    );
    registerProcessMetrics(this.metrics.registry, agentVersion(), () => this.configLoaded, config.center.name ?? config.center.id, config.central?.revision);
    this.push?.register(this.metrics.registry);
    this.scheduler = new Scheduler({
      checks: config.checks,
      concurrency: config.agent.concurrency,
      run: async (check) => {
        await this.runOnce(check);
      },
      onSkip: (check) => {
        this.metrics.skip(check);
        this.log.warn('run skipped: previous run still in flight', { check: check.id });
      },
    });
  }

  /**
   * Switches to a new config without dropping the endpoint: drains the runs in flight, closes the
   * long-lived sessions (a line's ping may now be bound elsewhere) and starts the new schedule.
   */
  async reload(config: AgentConfig): Promise<void> {
    if (config.agent.listen !== this.config.agent.listen) {
      this.log.warn('agent.listen changed: restart the agent to move the endpoint', { listen: this.config.agent.listen });
    }
    await this.drain();
    this.stopController = new AbortController();
    this.lastOutcome.clear();
    this.configLoaded = true;
    const pushChanged = JSON.stringify(config.push) !== JSON.stringify(this.config.push);
    if (pushChanged) await this.stopPush();
    this.build(config);
    // A push that cannot start (WAL dir not writable, CA file missing) must not stop the probing.
    if (pushChanged)
      await this.startPush().catch((err: unknown) =>
        this.log.error('push not started; probing goes on without it', { error: err instanceof Error ? err.message : String(err) }),
      );
    this.scheduler.start();
    this.log.info('config reloaded', { checks: config.checks.length });
  }

  /** Records that a new config was refused: the agent goes on with the last good one. */
  configRejected(): void {
    this.configLoaded = false;
  }

  /**
   * Samples in the WAL not yet accepted by the province target (by the slowest target when none is
   * named so); undefined when the agent does not push.
   */
  walBacklogSamples(): number | undefined {
    const backlog = this.push?.wal.stats().backlog;
    if (!backlog) return undefined;
    const province = backlog[CENTRAL_TARGET];
    return province ? province.samples : Math.max(0, ...Object.values(backlog).map((b) => b.samples));
  }

  /** Runs one check now, records its metrics and returns the outcome. */
  async runOnce(check: CheckConfig): Promise<RunOutcome> {
    const def = PROBES[check.kind] as ProbeDefinition;
    const line = check.line ? this.config.lines.find((l) => l.name === check.line) : undefined;
    const outcome = await runCheck(check, def, {
      log: this.log,
      line,
      sessions: this.sessions,
      stop: this.stopController.signal,
    });
    if (outcome.abandoned) {
      this.metrics.abandon(check);
      this.log.warn('probe abandoned at its deadline', { check: check.id, kind: check.kind });
    }
    this.metrics.record(check, outcome.result, outcome.durationSeconds);
    const before = this.lastOutcome.get(check.id);
    if (!before || before.result.up !== outcome.result.up || before.result.reason !== outcome.result.reason) {
      const fields = { check: check.id, kind: check.kind, up: outcome.result.up, reason: outcome.result.reason, message: outcome.result.message };
      if (outcome.result.up) this.log.info('check state', fields);
      else this.log.warn('check state', fields);
    }
    // A check turning down or up is pushed at once, not at the next interval: the province server
    // alerts within seconds of a cut while the regular push stays every 15 s.
    if (before ? before.result.up !== outcome.result.up : !outcome.result.up) void this.push?.collectOnce();
    this.lastOutcome.set(check.id, outcome);
    return outcome;
  }

  /** Starts the schedule and the HTTP endpoint; resolves with the bound address once listening. */
  async start(): Promise<{ host: string; port: number }> {
    const address = await this.listen();
    await this.startPush();
    this.scheduler.start();
    this.log.info('agent started', { checks: this.config.checks.length, listen: `${address.host}:${address.port}` });
    this.settleTimer = setTimeout(() => this.giveBackStartupPages(), SETTLE_MS);
    this.settleTimer.unref();
    return address;
  }

  /** Once settled (every check run at least once at the default intervals): start-up's pages given back. */
  private giveBackStartupPages(): void {
    try {
      const dropped = dropStartupPages();
      if (dropped) this.log.info('start-up pages given back', { mib: Math.round(dropped.kib / 1024), mappings: dropped.mappings });
    } catch (err) {
      this.log.warn('start-up pages not given back', { error: (err as Error).message });
    }
  }

  /** Drains in-flight runs (aborting them after DRAIN_MS), closes long-lived sessions and the endpoint. */
  async stop(): Promise<void> {
    clearTimeout(this.settleTimer);
    await this.drain();
    // One last collection, so the final results of the drained runs are kept for the province too.
    await this.push?.collectOnce();
    await this.stopPush();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    this.log.info('agent stopped');
  }

  private async startPush(): Promise<void> {
    if (!this.config.push) return;
    this.push = await PushClient.start(this.config.push, () => this.metrics.registry, `centerwatch-agent/${agentVersion()}`, this.log);
    this.push.register(this.metrics.registry);
  }

  private async stopPush(): Promise<void> {
    await this.push?.stop();
    this.push = undefined;
  }

  /** Stops the schedule, lets runs in flight finish (aborting them after DRAIN_MS) and closes sessions. */
  private async drain(): Promise<void> {
    const drainTimer = setTimeout(() => this.stopController.abort(new DOMException('agent stopping', 'AbortError')), DRAIN_MS);
    await this.scheduler.stop();
    clearTimeout(drainTimer);
    this.stopController.abort(new DOMException('agent stopping', 'AbortError'));
    await Promise.allSettled([...this.sessions.values()].map(async (s) => s.close()));
    this.sessions.clear();
  }

  /** Serves /metrics and /healthz; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }> {
    const { host, port } = splitListen(this.config.agent.listen);
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        this.metrics.registry.metrics().then(
          (body) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(body),
          () => res.writeHead(500).end('metrics collection failed\n'),
        );
      } else if (path === '/healthz') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'ok', checks: this.config.checks.length, running: this.scheduler.running }));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
      }
    });
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? { host: a.address, port: a.port } : { host, port });
      });
    });
  }
}

/** `host:port` or `[v6]:port`. */
export function splitListen(listen: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]*):(\d+)$/.exec(listen);
  if (!m) throw new Error(`listen address "${listen}" is not host:port`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}
