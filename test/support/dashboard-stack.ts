/**
 * The real pipeline the dashboards read, on loopback, for dashboards.test.ts:
 * - Debian's Prometheus as a remote_write receiver that also scrapes the server's /metrics (readiness
 *   and alert gauges live there, not in what agents push);
 * - the server bin, which forwards what its agent pushes to that Prometheus with province/center set
 *   from the token;
 * - the agent bin with an icmp line check on 127.0.0.1, an HTTP check of a loopback server, a host
 *   check, an NTP check of a loopback SNTP responder, an eSCL scanner check of the same HTTP server and a
 *   USB check of impact info (whatever the machine has plugged in: the count is a series even when it is 0,
 *   and a machine with nothing plugged in keeps its center ready);
 * - the simulator fleet pushing straight to Prometheus (auth off: identity labels in the series).
 * The real agent shares its center with a simulated one, so one set of variable values fits every panel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFleet, type Fault } from '../../bench/simulator/fleet.js';
import { runFleet, type Running } from '../../bench/simulator/run.js';
import { buildBins, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort, waitForHttp } from '../helpers/prometheus.js';

/** The simulated fleet: three real communes (Hà Nội's, Huế's and Lai Châu's first in the national list). */
const SIM = buildFleet({ centers: 3, agentsPerCenter: 2, seed: 'dashboards' });

/** The real agent's identity: the first simulated center, a machine the simulator does not have. */
export const PROVINCE = SIM[0]!.province;
export const CENTER = SIM[0]!.center;
export const REAL_AGENT = 'pc-real';
const AGENT_TOKEN = 'dashboards-agent-token-0123456789abcdef';

/** One upstream down from one simulated center, so "which upstream fails where" has an answer. */
export const FAULTS: Fault[] = [{ center: SIM.find((a) => a.province === 'hue')!.center, checks: ['national-portal'] }];

export interface PromAnswer {
  status: string;
  error?: string;
  result: unknown[];
}

export interface Stack {
  /** Instant query; never throws for a PromQL error (the answer says it). */
  query(promql: string): Promise<PromAnswer>;
  /** What Grafana's `label_values(selector, label)` lists. */
  labelValues(label: string, selector: string): Promise<string[]>;
  log(): string;
  close(): Promise<void>;
}

/** An eSCL ScannerStatus document (Mopria eSCL 2.63), the part the scanner probe reads. */
const SCANNER_STATUS =
  '<?xml version="1.0" encoding="UTF-8"?>\n<scan:ScannerStatus xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">' +
  '<pwg:Version>2.63</pwg:Version><pwg:State>Idle</pwg:State></scan:ScannerStatus>\n';

/** NTP time of a Unix time in ms, written at `offset` (RFC 5905: seconds since 1900, 32-bit fraction). */
function writeNtpTime(buf: Buffer, offset: number, unixMs: number): void {
  buf.writeUInt32BE(Math.floor(unixMs / 1000) + 2_208_988_800, offset);
  buf.writeUInt32BE(Math.floor(((unixMs % 1000) / 1000) * 2 ** 32), offset + 4);
}

/** A stratum-1 SNTP server on loopback answering with this machine's clock: offset ≈ 0. */
async function startSntp(): Promise<{ port: number; socket: Socket }> {
  const socket = createSocket('udp4');
  socket.on('message', (req, from) => {
    if (req.length < 48) return;
    const res = Buffer.alloc(48);
    res[0] = (0 << 6) | (4 << 3) | 4; // LI 0, VN 4, mode 4 (server)
    res[1] = 1;
    res.write('LOCL', 12, 'ascii');
    const now = Date.now();
    writeNtpTime(res, 16, now);
    req.copy(res, 24, 40, 48); // originate = the client's transmit
    writeNtpTime(res, 32, now);
    writeNtpTime(res, 40, now);
    socket.send(res, from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, socket };
}

async function startPrometheus(dir: string, scrapeTarget: string): Promise<{ base: string; child: ChildProcess; stderr(): string }> {
  const port = await freePort();
  // Remote-write receiver for pushes, 1 s scrape of the server for its engine gauges; the out-of-order
  // window lets WAL replays and the simulator's random phases land.
  writeFileSync(
    join(dir, 'prometheus.yml'),
    'global: { scrape_interval: 1s, evaluation_interval: 1s }\n' +
      'storage: { tsdb: { out_of_order_time_window: 1h } }\n' +
      `scrape_configs:\n  - job_name: centerwatch-server\n    static_configs: [{ targets: ["${scrapeTarget}"] }]\n`,
  );
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prom')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/-/ready`);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return { base, child, stderr: () => stderr };
}

export async function startStack(): Promise<Stack> {
  buildBins();
  const dir = mkdtempSync(join(tmpdir(), 'cw-dashboards-'));
  const [serverPort, agentPort] = [await freePort(), await freePort()];
  const prom = await startPrometheus(dir, `127.0.0.1:${serverPort}`);

  const web: Server = createServer((req, res) => {
    if (req.url === '/eSCL/ScannerStatus') return void res.writeHead(200, { 'content-type': 'text/xml' }).end(SCANNER_STATUS);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  const sntp = await startSntp();
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as { port: number }).port;

  writeFileSync(
    join(dir, 'server.yaml'),
    `listen: 127.0.0.1:${serverPort}\ndata_dir: data\n` +
      `tokens:\n  - { id: real, token: "${AGENT_TOKEN}", province: ${PROVINCE}, center: "${CENTER}", agent: ${REAL_AGENT} }\n` +
      `forward:\n  - { name: prometheus, url: "${prom.base}/api/v1/write", timeout: 5s }\n` +
      `engine:\n  interval: 500ms\n  public_url: "http://127.0.0.1:${serverPort}"\n  calendar: { hold_outside_hours: false }\n  routes: []\n`,
  );
  writeFileSync(
    join(dir, 'agent.yaml'),
    `center: { id: "${CENTER}", name: "${SIM[0]!.centerName}", province: ${PROVINCE} }\nagent: { id: ${REAL_AGENT}, listen: "127.0.0.1:${agentPort}" }\n` +
      `push:\n  interval: 1s\n  wal: { dir: wal }\n  targets:\n    - { name: province, url: "http://127.0.0.1:${serverPort}/api/v1/write", bearer_token: "${AGENT_TOKEN}", timeout: 2s }\n` +
      `lines:\n  - { name: loopback, source: 127.0.0.1 }\n` +
      `checks:\n` +
      `  - { id: line-lo, kind: icmp, target: 127.0.0.1, line: loopback, interval: 1s, timeout: 1s, impact: blocking, group: lines }\n` +
      `  - { id: portal, kind: http, target: "http://127.0.0.1:${webPort}/", interval: 1s, timeout: 1s, impact: degrading }\n` +
      `  - { id: host, kind: host, interval: 1s, timeout: 1s }\n` +
      `  - { id: clock, kind: ntp, target: "127.0.0.1:${sntp.port}", interval: 1s, timeout: 1s }\n` +
      `  - { id: scanner-1, kind: scanner, target: "http://127.0.0.1:${webPort}/eSCL", interval: 1s, timeout: 1s }\n` +
      `  - { id: id-card-reader, kind: usb, interval: 1s, timeout: 1s, impact: info, options: { name: "." } }\n`,
  );
  const server: RunningBin = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
  const agent: RunningBin = startBin('centerwatch-agent', ['--config', join(dir, 'agent.yaml')]);
  const fleet: Running = runFleet({
    url: `${prom.base}/api/v1/write`,
    agents: SIM,
    // Past the fixed families the simulator pads with printer supplies: 200 leaves some.
    seriesPerAgent: 200,
    intervalMs: 1000,
    faults: FAULTS,
    auth: false,
  });

  const api = async (path: string): Promise<PromAnswer> => {
    const body = (await (await fetch(`${prom.base}${path}`)).json()) as { status: string; error?: string; data?: { result?: unknown[] } | string[] };
    const data = body.data;
    return { status: body.status, ...(body.error ? { error: body.error } : {}), result: Array.isArray(data) ? data : (data?.result ?? []) };
  };
  return {
    query: (promql) => api(`/api/v1/query?query=${encodeURIComponent(promql)}`),
    async labelValues(label, selector) {
      const a = await api(
        `/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(selector)}&start=${Math.floor(Date.now() / 1000) - 3600}`,
      );
      if (a.status !== 'success') throw new Error(`label_values(${selector}, ${label}): ${a.error}`);
      return a.result as string[];
    },
    log: () => `--- server\n${server.log().slice(-3000)}\n--- agent\n${agent.log().slice(-3000)}\n--- prometheus\n${prom.stderr()}`,
    async close() {
      await fleet.stop();
      await agent.stop();
      await server.stop();
      const exited = new Promise((r) => prom.child.once('exit', r));
      prom.child.kill('SIGTERM');
      await exited;
      sntp.socket.close();
      web.closeAllConnections();
      await new Promise<void>((r) => web.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
