import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../common/log.js';
import { agentVersion } from '../common/version.js';
import type { ServerConfig } from './config/schema.js';
import { Forwarder } from './forward.js';
import { ServerMetrics } from './metrics.js';
import { writeHandler } from './receiver.js';
import { LatestState } from './state.js';
import { AgentTokens } from './fleet/registry.js';
import { agentEndpoints } from './fleet/enroll.js';
import { fleetApiRouter } from './fleet/api.js';
import { fleetWebRouter } from './fleet/web.js';
import { registerFleetMetrics } from './fleet/metrics.js';
import { AgentConfigs } from './fleet/render.js';
import type { FleetDeps } from './fleet/deps.js';
import type { FleetStore, InventoryLine } from './fleet/types.js';
import { apiWriter } from './api.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { apiRouter } from './api.js';
import { Delivery } from './notifiers/delivery.js';
import { registerEngineMetrics } from './engine-metrics.js';
import { deliveryRoutes } from './notifiers/routes.js';
import { EngineRuntime } from './engine/runtime.js';
import { openSqliteStore, type Store } from './store/store.js';
import { ReadinessWeb } from './web/routes.js';
import { loginMiddleware } from './web/login.js';
import { securityHeaders } from './web/security-headers.js';
import { LineInUse } from './lines/line-in-use.js';
import { registerLineMetrics } from './lines/line-metrics.js';
import { OutsideIn, type OutsideInOptions } from './lines/outside-in.js';
import { registerOutsideInMetrics } from './lines/outside-in-metrics.js';
import type { OutsideInConfig } from './config/outside-in-schema.js';

/** The province server: receiver, latest state, forwarding, its own /metrics and /healthz. */
export class CenterwatchServer {
  readonly state: LatestState;
  readonly metrics: ServerMetrics;
  private forwarder: Forwarder | undefined;
  private http: HttpServer | undefined;
  store: Store | undefined;
  engine: EngineRuntime | undefined;
  private delivery: Delivery | undefined;
  private web: ReadinessWeb | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private evictTimer: NodeJS.Timeout | undefined;
  private readonly countNotification: ReturnType<typeof registerEngineMetrics>;
  /** server.yaml's tokens and the enrolled agents'. */
  agentTokens: AgentTokens | undefined;
  private fleetDeps: FleetDeps | undefined;
  /** Which line each center's pushes come from. */
  lineInUse: LineInUse | undefined;
  /** The server's own probes of each center's public addresses per line; undefined when turned off. */
  outsideIn: OutsideIn | undefined;

  constructor(
    private readonly cfg: ServerConfig,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.state = new LatestState(cfg.limits.max_series_per_agent, {
      maxSeriesPerCenter: cfg.limits.max_series_per_center,
      maxAgentsPerCenter: cfg.limits.max_agents_per_center,
      maxFutureMs: cfg.limits.sample_max_future,
    });
    this.metrics = new ServerMetrics(this.state, () => this.forwarder);
    this.countNotification = registerEngineMetrics(this.metrics.registry, () => this.engine);
    registerLineMetrics(this.metrics.registry, () => this.lineInUse);
    registerOutsideInMetrics(this.metrics.registry, () => this.outsideIn);
  }

  /** Store, outbox delivery and the engine: alerts, readiness and messages. */
  private startEngine(): void {
    const e = this.cfg.engine;
    mkdirSync(this.cfg.data_dir, { recursive: true });
    this.store = openSqliteStore(join(this.cfg.data_dir, 'engine.sqlite'));
    this.agentTokens = new AgentTokens(this.cfg.tokens, this.store.fleet);
    const agentTokens = this.agentTokens;
    const inventory = inventoryView(this.store.fleet, this.now);
    const lineInUse = new LineInUse(this.state, () => inventory().lines);
    this.lineInUse = lineInUse;
    const outsideIn = this.cfg.outside_in.enabled ? new OutsideIn(() => inventory().centers, outsideInOptions(this.cfg.outside_in), this.log) : undefined;
    this.outsideIn = outsideIn;
    this.delivery = new Delivery({
      store: this.store,
      routes: deliveryRoutes(e.routes, e.public_url, this.cfg.data_dir),
      log: this.log,
      now: this.now,
      onResult: this.countNotification,
    });
    this.engine = new EngineRuntime({
      cfg: e,
      tokens: this.cfg.tokens,
      enrolled: () => agentTokens.enrolled(),
      inventoryName: (center) => inventory().names.get(center),
      state: this.state,
      store: this.store,
      log: this.log,
      kick: () => this.delivery?.kick(),
      serverChecks: outsideIn ? () => [...lineInUse.checks(), ...outsideIn.checks()] : () => lineInUse.checks(),
      now: this.now,
    });
    this.delivery.start();
    this.engine.start();
    outsideIn?.start();
    this.fleetDeps = {
      cfg: this.cfg,
      store: this.store,
      tokens: agentTokens,
      configs: new AgentConfigs(this.store.fleet, this.cfg.fleet),
      lastPushMs: lastPushLookup(this.state, this.now),
      log: this.log,
      now: this.now,
    };
    registerFleetMetrics(this.metrics.registry, this.fleetDeps);
    this.web = new ReadinessWeb({ engine: this.engine, store: this.store, log: this.log, now: this.now, lines: lineInUse });
    this.web.start();
    const prune = (): void => {
      try {
        const n = this.store?.prune(this.now() - e.retention);
        if (n && Object.values(n).some((v) => v > 0)) this.log.info('old records pruned', { ...n });
      } catch (err) {
        this.log.error('pruning failed', { error: (err as Error).message });
      }
    };
    prune();
    this.pruneTimer = setInterval(prune, 3600_000);
    // Every minute, or a quarter of a shorter ttl (tests, small sites).
    this.evictTimer = setInterval(
      () => {
        const now = this.now();
        const n = this.state.evictStale(now - this.cfg.limits.series_ttl, now + this.cfg.limits.sample_max_future);
        if (n > 0) this.log.info('stale series forgotten', { series: n, ttl_ms: this.cfg.limits.series_ttl });
      },
      Math.min(60_000, Math.max(1000, this.cfg.limits.series_ttl / 4)),
    );
    this.evictTimer.unref();
    this.pruneTimer.unref();
  }

  /** Opens the forwarding queue and listens; resolves with the bound port. */
  async start(): Promise<number> {
    this.forwarder = await Forwarder.open(this.cfg, `centerwatch-server/${agentVersion()}`, this.log);
    this.startEngine();
    const app = this.app();
    this.http = this.cfg.tls
      ? createHttpsServer({ cert: readFileSync(this.cfg.tls.cert_file), key: readFileSync(this.cfg.tls.key_file) }, app)
      : createHttpServer(app);
    // Agents keep their connection open between pushes; a little longer than their interval.
    this.http.keepAliveTimeout = 65_000;
    this.http.headersTimeout = 66_000;
    this.http.requestTimeout = 60_000;
    const { host, port } = splitListen(this.cfg.listen);
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(port, host, () => resolve());
    });
    const bound = (this.http.address() as AddressInfo).port;
    this.log.info('server listening', {
      listen: `${host}:${bound}`,
      tls: Boolean(this.cfg.tls),
      tokens: this.agentTokens?.size ?? this.cfg.tokens.length,
      forward: this.cfg.forward.map((f) => f.name),
    });
    return bound;
  }

  app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.use(securityHeaders(Boolean(this.cfg.tls)));
    app.post(
      '/api/v1/write',
      writeHandler({
        tokens: this.agentTokens ?? new AgentTokens(this.cfg.tokens, undefined),
        limits: this.cfg.limits,
        state: this.state,
        log: this.log,
        accepted: (series, samples) => {
          this.metrics.accepted(samples);
          void this.forwarder?.enqueue(series, samples);
        },
        refused: (reason) => this.metrics.refused(reason),
        samplesRefused: (reason, samples) => this.metrics.samplesRefused(reason, samples),
        forwarding: this.cfg.forward.length > 0,
      }),
    );
    // Agents authenticate with their own tokens (and enrol with a code): never behind the IT login.
    if (this.fleetDeps) app.use(agentEndpoints(this.fleetDeps));
    if (this.cfg.web.login) app.use(loginMiddleware(this.cfg.web.login));
    if (this.web) app.use(this.web.router());
    if (this.fleetDeps) {
      app.use(fleetWebRouter(this.fleetDeps));
      app.use('/api/v1', fleetApiRouter(this.fleetDeps, apiWriter(this.cfg.engine)));
    }
    if (this.engine && this.store)
      app.use('/api/v1', apiRouter({ cfg: this.cfg.engine, engine: this.engine, store: this.store, now: this.now, lines: this.lineInUse }));
    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok', series: this.state.seriesCount, agents: this.state.agentCount });
    });
    app.get('/metrics', async (_req, res) => {
      res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
    });
    app.use((_req, res) => {
      res.status(404).type('text/plain').send('not found\n');
    });
    // Anything thrown while handling a request: the request gets an answer, the process keeps serving.
    app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
      const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
      if (status === 500) this.log.error('request failed', { error: err.message });
      if (!res.headersSent)
        res
          .status(status)
          .type('text/plain')
          .send(status === 500 ? 'internal error\n' : `${err.message}\n`);
    });
    return app;
  }

  /** Stops accepting, lets requests in flight finish, stops forwarding and closes the queue. */
  async stop(): Promise<void> {
    this.web?.stop();
    if (this.http) {
      const closed = new Promise<void>((r) => this.http!.close(() => r()));
      this.http.closeIdleConnections();
      const timer = setTimeout(() => this.http?.closeAllConnections(), 5000);
      await closed;
      clearTimeout(timer);
    }
    await this.forwarder?.close();
    await this.outsideIn?.close();
    this.engine?.stop();
    clearInterval(this.pruneTimer);
    clearInterval(this.evictTimer);
    await this.delivery?.stop();
    this.store?.close();
  }
}

/** `build()`'s value, built again at most every `everyMs`: callers ask per center or agent, thousands at a time. */
function rebuiltEvery<T>(everyMs: number, now: () => number, build: () => T): () => T {
  let builtAt = -Infinity;
  let value: T;
  return () => {
    if (now() - builtAt >= everyMs) {
      builtAt = now();
      value = build();
    }
    return value;
  };
}

interface InventoryView {
  names: Map<string, string>;
  lines: Map<string, InventoryLine[]>;
  centers: Map<string, { province: string; lines: InventoryLine[] }>;
}

/** The inventory's names and lines (the first the main one), from one read of it at most every 10 s. */
function inventoryView(fleet: FleetStore, now: () => number): () => InventoryView {
  return rebuiltEvery(10_000, now, () => {
    const centers = fleet.centers();
    return {
      names: new Map(centers.map((c) => [c.code, c.name])),
      lines: new Map(centers.map((c) => [c.code, c.lines])),
      centers: new Map(centers.map((c) => [c.code, { province: c.province, lines: c.lines }])),
    };
  });
}

function outsideInOptions(o: OutsideInConfig): OutsideInOptions {
  return { intervalMs: o.interval, timeoutMs: o.timeout, icmpCount: o.icmp ? o.icmp_count : 0, tcpPorts: o.tcp_ports, concurrency: o.concurrency };
}

/** When each agent's last push arrived, from the latest state; the map is rebuilt at most once a second. */
function lastPushLookup(state: LatestState, now: () => number): (center: string, agent: string) => number | undefined {
  const byAgent = rebuiltEvery(1000, now, () => new Map(state.agents().map((a) => [`${a.center}/${a.agent}`, a.lastHeardMs])));
  return (center, agent) => byAgent().get(`${center}/${agent}`);
}

export function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(listen.slice(i + 1)) };
}
