/**
 * The two paths bench:notify times, each ending in a webhook receiver on loopback:
 * - centerwatch: the agent bin (its DEFAULT line check, pointed at the bench's line) pushes through a
 *   small loopback proxy that only timestamps each push, to the server bin with its default engine;
 * - Prometheus + Alertmanager (Debian's binaries): Prometheus scrapes the same agent's /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, waitForHttp } from '../test/helpers/prometheus.js';
import { WebhookReceiver } from '../test/helpers/webhook-receiver.js';
import type { BenchLine } from './notify-line.js';

export const CHECK = 'line-bench';
const AGENT_TOKEN = 'bench-notify-agent-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `check state` line of the agent's log for the bench's check. */
export interface AgentEvent {
  atMs: number;
  up: boolean;
  reason: string;
}

/** icmp options to try instead of the defaults (packet_interval 0.5 s, down_after 2 s); never set for the recorded figures. */
export interface LineOptions {
  packet_interval?: number;
  down_after?: number;
}

/**
 * The line check exactly as config/default.yaml has it (continuous icmp, 1 s interval, 1 s timeout,
 * group lines, its thresholds), with the target, line and impact of the bench. Push every 15 s (default).
 */
function agentYaml(line: BenchLine, agentPort: number, pushUrl: string, options: LineOptions): string {
  const opts = Object.entries(options).filter(([, v]) => v !== undefined);
  return (
    `center: { id: bench-center, name: "Trung tâm bench", province: quang-ngai }\n` +
    `agent: { id: pc1, listen: "127.0.0.1:${agentPort}" }\n` +
    `push:\n  interval: 15s\n  wal: { dir: wal }\n  targets:\n    - { name: province, url: "${pushUrl}", bearer_token: "${AGENT_TOKEN}" }\n` +
    `lines:\n  - { name: bench, interface: ${line.hostIf}, source: ${line.hostAddr} }\n` +
    `checks:\n  - id: ${CHECK}\n    kind: icmp\n    target: ${line.peerAddr}\n    line: bench\n    interval: 1s\n    timeout: 1s\n` +
    `    impact: blocking\n    group: lines\n    thresholds:\n      - { metric: loss_ratio, above: 0.05 }\n      - { metric: rtt_seconds, above: 0.1 }\n` +
    (opts.length ? `    options: { ${opts.map(([k, v]) => `${k}: ${v}`).join(', ')} }\n` : '')
  );
}

/** The engine's defaults (1 s evaluation; icmp for 0s, recover_for 10s), except office hours: the bench may run at night. */
function serverYaml(serverPort: number, hookUrl: string, dataDir: string): string {
  return (
    `listen: 127.0.0.1:${serverPort}\ndata_dir: ${dataDir}\n` +
    `tokens:\n  - { id: t1, token: "${AGENT_TOKEN}", province: bench, center: bench-center, agent: pc1 }\n` +
    `engine:\n  public_url: "http://127.0.0.1:${serverPort}"\n  calendar: { hold_outside_hours: false }\n` +
    `  routes:\n    - { name: oncall, channel: webhook, options: { url: "${hookUrl}" } }\n`
  );
}

/** Forwards pushes to the server unchanged and records when each arrived. */
async function pushProxy(serverPort: number, arrivals: number[]): Promise<Server> {
  const proxy = createServer((req, res) => {
    arrivals.push(Date.now());
    const up = request({ host: '127.0.0.1', port: serverPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return proxy;
}

/** A bin of the bench's own copy of dist/, its stderr kept for the log events. */
interface Bin {
  child: ChildProcess;
  stop(): Promise<void>;
}

function startBin(dir: string, bin: string, config: string): Bin {
  const child = spawn(join(dir, 'dist', `${bin}.mjs`), ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.resume();
  // A bin that cannot start must not crash the bench past its cleanup: the health wait reports it.
  child.on('error', (err) => console.error(`${bin}: ${err.message}`));
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Copies dist/ (and links node_modules beside it, for the native addons) so that a rebuild of the
 * working tree during a long run cannot pull the bins out from under it.
 */
function snapshotDist(dir: string): void {
  for (const bin of ['centerwatch-agent.mjs', 'centerwatch-server.mjs']) {
    if (!existsSync(join('dist', bin))) throw new Error(`dist/${bin} is missing: run npm run build`);
  }
  cpSync('dist', join(dir, 'dist'), { recursive: true });
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
}

export class CenterwatchStack {
  readonly receiver = new WebhookReceiver();
  readonly pushes: number[] = [];
  readonly agentEvents: AgentEvent[] = [];
  agentPort = 0;
  serverPort = 0;
  private server: Bin | undefined;
  private serverStarts = 0;
  private agent: Bin | undefined;
  private proxy: Server | undefined;

  constructor(private readonly dir: string) {}

  async start(line: BenchLine, options: LineOptions = {}): Promise<void> {
    [this.agentPort, this.serverPort] = [await freePort(), await freePort()];
    await this.receiver.start();
    this.proxy = await pushProxy(this.serverPort, this.pushes);
    const pushUrl = `http://127.0.0.1:${(this.proxy.address() as AddressInfo).port}/api/v1/write`;
    writeFileSync(join(this.dir, 'agent.yaml'), agentYaml(line, this.agentPort, pushUrl, options));
    snapshotDist(this.dir);
    await this.startServer();
    this.agent = startBin(this.dir, 'centerwatch-agent', join(this.dir, 'agent.yaml'));
    this.watchAgentLog(this.agent.child);
    await waitForHttp(`http://127.0.0.1:${this.agentPort}/healthz`);
  }

  private async startServer(): Promise<void> {
    const dataDir = `data-${++this.serverStarts}`;
    writeFileSync(join(this.dir, 'server.yaml'), serverYaml(this.serverPort, this.receiver.url, dataDir));
    this.server = startBin(this.dir, 'centerwatch-server', join(this.dir, 'server.yaml'));
    await waitForHttp(`http://127.0.0.1:${this.serverPort}/healthz`);
  }

  /**
   * A server with an empty store for each run, once the agent's 30 s loss window has forgotten the
   * last cut. Each cut is two result changes; with one server, the third run within 10 minutes would
   * meet the default flap detection (6 changes in 10 min) and be held as one flapping alert instead
   * of a new one — right for a real line, wrong for independent runs. Prometheus gets the same
   * (a fresh stack per run).
   */
  async fresh(): Promise<void> {
    const until = Date.now() + 90_000;
    while ((await this.lossRatio()) !== 0 && Date.now() < until) await sleep(500);
    await this.server?.stop();
    rmSync(join(this.dir, `data-${this.serverStarts}`), { recursive: true, force: true });
    await this.startServer();
  }

  /** The line check's loss over its 30 s window, from the agent's /metrics (NaN before the first run). */
  async lossRatio(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.agentPort}/metrics`)).text();
    return Number(new RegExp(`^centerwatch_line_loss_ratio\\{[^}]*check="${CHECK}"[^}]*\\} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  }

  private watchAgentLog(child: ChildProcess): void {
    let pending = '';
    child.stderr!.on('data', (c: Buffer) => {
      pending += c.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const text of lines) {
        try {
          const e = JSON.parse(text) as { time: string | number; msg: string; check?: string; up?: boolean; reason?: string };
          const atMs = typeof e.time === 'number' ? e.time : Date.parse(e.time);
          if (e.msg === 'check state' && e.check === CHECK) this.agentEvents.push({ atMs, up: e.up === true, reason: e.reason ?? '' });
        } catch {
          // not a log line
        }
      }
    });
  }

  api = async <T>(path: string): Promise<T> => (await fetch(`http://127.0.0.1:${this.serverPort}/api/v1${path}`)).json() as Promise<T>;

  /** The center is ready with no firing alert and the check is up: a clean start for a cut. */
  async settled(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const [centers, alerts] = await Promise.all([
        this.api<{ centers: Array<{ state: string }> }>('/centers'),
        this.api<{ alerts: unknown[] }>('/alerts'),
      ]).catch(() => [{ centers: [] }, { alerts: [1] }] as const);
      const last = this.agentEvents.at(-1);
      if (centers.centers[0]?.state === 'ready' && alerts.alerts.length === 0 && last?.up) return true;
      if (Date.now() > until) {
        console.error('not settled:', JSON.stringify({ centers, alerts, last, pushes: this.pushes.length, lastPush: this.pushes.at(-1) }));
        return false;
      }
      await sleep(250);
    }
  }

  /** When the engine fired the alerts that began at or after `fromMs` (from the server's history). */
  async firedSince(fromMs: number): Promise<Array<{ alertname: string; firedAtMs: number }>> {
    const h = await this.api<{ alerts: Array<{ labels: Record<string, string>; firedAtMs: number }> }>(`/history?from=${fromMs}`);
    return h.alerts.filter((a) => a.firedAtMs >= fromMs).map((a) => ({ alertname: a.labels.alertname ?? '', firedAtMs: a.firedAtMs }));
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    await this.server?.stop();
    await new Promise<void>((r) => (this.proxy ? this.proxy.close(() => r()) : r()));
    await this.receiver.stop();
  }

  /** Synchronous last resort for a signal handler. */
  kill(): void {
    for (const b of [this.agent, this.server]) if (b && b.child.exitCode === null) b.child.kill('SIGKILL');
  }
}

export interface PromSettings {
  name: string;
  /** undefined: Prometheus's own defaults (1m scrape, 1m evaluation). */
  interval?: string;
  intervalMs: number;
  /** undefined: Alertmanager's defaults (group_wait 30s, group_interval 5m). */
  groupWait?: string;
  groupInterval?: string;
}

export const PROM_DEFAULT: PromSettings = { name: 'prometheus+am default', intervalMs: 60_000 };
export const PROM_TUNED: PromSettings = { name: 'prometheus+am tuned', interval: '1s', intervalMs: 1000, groupWait: '0s', groupInterval: '1s' };

/** A fresh Prometheus + Alertmanager (own temp dir, loopback ports, no clustering), torn down after each run. */
export class PromStack {
  readonly receiver = new WebhookReceiver();
  private readonly children: ChildProcess[] = [];
  private promPort = 0;
  private dir = '';

  constructor(
    private readonly parent: string,
    readonly settings: PromSettings,
  ) {}

  async start(agentPort: number): Promise<void> {
    this.dir = mkdtempSync(join(this.parent, 'prom-'));
    const s = this.settings;
    const [amPort, promPort] = [await freePort(), await freePort()];
    this.promPort = promPort;
    await this.receiver.start();
    const group = [s.groupWait && `group_wait: ${s.groupWait}`, s.groupInterval && `group_interval: ${s.groupInterval}`].filter(Boolean).join(', ');
    writeFileSync(
      join(this.dir, 'alertmanager.yml'),
      `route: { receiver: hook, group_by: [alertname]${group ? `, ${group}` : ''} }\n` +
        `receivers:\n  - name: hook\n    webhook_configs: [{ url: "${this.receiver.url}", send_resolved: true }]\n`,
    );
    const global = s.interval ? `global: { scrape_interval: ${s.interval}, evaluation_interval: ${s.interval} }\n` : 'global: {}\n';
    writeFileSync(
      join(this.dir, 'prometheus.yml'),
      global +
        `rule_files: [rules.yml]\n` +
        `alerting: { alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:${amPort}"] }] }] }\n` +
        `scrape_configs:\n  - { job_name: agent, static_configs: [{ targets: ["127.0.0.1:${agentPort}"] }] }\n`,
    );
    // for: 0s, as centerwatch's default icmp rule: both fire on the first bad result they see.
    writeFileSync(
      join(this.dir, 'rules.yml'),
      `groups:\n  - name: lines\n    rules:\n      - alert: LineDown\n        expr: centerwatch_probe_success{check="${CHECK}"} == 0\n        for: 0s\n`,
    );
    mkdirSync(join(this.dir, 'am'));
    this.spawn('prometheus-alertmanager', [
      `--config.file=${join(this.dir, 'alertmanager.yml')}`,
      `--storage.path=${join(this.dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ]);
    this.spawn('prometheus', [
      `--config.file=${join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=error',
    ]);
    await waitForHttp(`http://127.0.0.1:${amPort}/-/ready`);
    await waitForHttp(`http://127.0.0.1:${promPort}/-/ready`);
  }

  private spawn(cmd: string, args: string[]): void {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', (err) => console.error(`${cmd}: ${err.message}`));
    this.children.push(child);
  }

  /** Prometheus has scraped the check up (and so evaluated the rule on an up line from then on). */
  async scrapedUp(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const q = encodeURIComponent(`centerwatch_probe_success{check="${CHECK}"}`);
    while (Date.now() < until) {
      try {
        const r = (await (await fetch(`http://127.0.0.1:${this.promPort}/api/v1/query?query=${q}`)).json()) as {
          data: { result: Array<{ value: [number, string] }> };
        };
        if (r.data.result[0]?.value[1] === '1') return;
      } catch {
        // not yet
      }
      await sleep(250);
    }
    throw new Error(`${this.settings.name}: no scrape of the check within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.splice(0).map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            c.once('exit', () => r());
            c.kill('SIGTERM');
          }),
      ),
    );
    await this.receiver.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  kill(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}
