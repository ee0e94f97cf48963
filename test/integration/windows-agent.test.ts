/**
 * The Windows lane: the packaged win-x64 executable (npm run package) run by Wine, as a counter PC
 * would run it: its config checked (a Windows config passes, a Linux one is told apart, never a
 * crash), one run of icmp, tcp, http, dns and ntp checks against loopback peers, and the agent
 * pushing through its WAL (a folder with spaces, given as a Windows path) to the Linux server bin,
 * whose state shows the Windows agent's checks. A line cut (its loopback target silenced by nft) is
 * down within the line's down_after + 1 s, at the agent and then at the server. Wine's prefix says
 * Windows 10, so the exe runs without NODE_SKIP_PLATFORM_CHECK, as on a counter PC. The continuous
 * line check reads a stand-in ping.exe (test/helpers/wine.ts: Wine's own holds its output until exit).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../common/metrics.js';
import { startChronyd } from '../helpers/chronyd.js';
import { requireService } from '../helpers/ctx.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { canUseNft, quiet } from '../helpers/netns.js';
import { packaged, type Packaged } from '../helpers/package.js';
import { startHttp } from '../helpers/servers.js';
import { ensurePrefix, pingRelayExe, wineEnv, winPath } from '../helpers/wine.js';
import { commandExists } from '../helpers/servers.js';
import { buildServerBin, startServerBin, type ServerBin } from './server-bin-harness.js';
import { TOKEN_A } from './server-harness.js';

const missing = !commandExists('wine')
  ? 'needs wine (Debian package wine) to run the win-x64 agent'
  : canUseNft && process.getuid?.() === 0
    ? undefined
    : 'nft as root is needed to silence a line';
const enabled = requireService(missing === undefined, missing ?? '');

/** The silenced line's target: a loopback address of its own, so the drop rule touches nothing else. */
const LINE_TARGET = '127.0.0.77';
const DOWN_AFTER_S = 3;
const NFT_TABLE = `cwwin${process.pid}`;

let pkg: Packaged;
let dir: string;
let exe: string;
const stops: Array<() => unknown> = [];

/**
 * Runs the exe under Wine to its end; stdout and stderr go to files (Wine's console mangles a pipe).
 * Asynchronous: the loopback peers this test serves itself must answer while it runs.
 */
async function runExe(args: string[], timeoutMs = 120_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const out = join(dir, 'stdout.txt');
  const err = join(dir, 'stderr.txt');
  const child = spawn('sh', ['-c', 'exec "$@" > "$OUT" 2> "$ERR"', 'sh', 'wine', exe, ...args], { env: wineEnv({ OUT: out, ERR: err }), stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  return { status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
}

/** Starts the exe as a long-running agent; its log goes to a file. */
function startExe(args: string[], env: Record<string, string> = {}): { child: ChildProcess; log: () => string } {
  const log = join(dir, 'agent.log');
  const child = spawn('sh', ['-c', 'exec "$@" > /dev/null 2> "$LOG"', 'sh', 'wine', exe, ...args], { env: wineEnv({ ...env, LOG: log }), stdio: 'ignore' });
  return {
    child,
    log: () => {
      try {
        return readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    },
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function poll<T>(what: string, timeoutMs: number, intervalMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const HEADER = 'center: { id: center-a, name: "Phường Sa Huỳnh", province: quang-ngai }\n';

describe.runIf(enabled)('the win-x64 executable under Wine', () => {
  let tcp: Server;
  let tcpPort: number;
  let web: Awaited<ReturnType<typeof startHttp>>;
  let dns: TestDnsServer;
  let ntp: { port: number; stop(): Promise<void> };

  beforeAll(async () => {
    pkg = packaged();
    ensurePrefix();
    // Paths with spaces, as C:\Program Files and a Vietnamese user's folders have them.
    dir = mkdtempSync(join(tmpdir(), 'cw win lane '));
    mkdirSync(join(dir, 'Program Files', 'centerwatch'), { recursive: true });
    exe = join(dir, 'Program Files', 'centerwatch', 'centerwatch-agent.exe');
    copyFileSync(pkg.exe['win-x64'], exe);
    tcp = createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    tcpPort = (tcp.address() as { port: number }).port;
    web = await startHttp((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
    dns = await startDnsServer({ records: [{ name: 'dichvucong.quangngai.gov.vn', type: 'A', data: '127.0.0.1' }] });
    ntp = await startChronyd(true);
    stops.push(
      () => tcp.close(),
      () => web.close(),
      () => dns.close(),
      () => ntp.stop(),
    );
  }, 600_000);

  afterAll(async () => {
    quiet('nft', ['delete', 'table', 'inet', NFT_TABLE]);
    for (const stop of stops.reverse()) await stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs as Windows and prints its version', async () => {
    const r = await runExe(['--version'], 300_000);
    expect(r.stdout.trim(), r.stderr).toBe(pkg.version);
    expect(r.status).toBe(0);
  }, 300_000);

  it('--check-config accepts a Windows config whose paths have spaces and backslashes; a Linux-only check is a warning', async () => {
    writeFileSync(join(dir, 'agent.token'), `${TOKEN_A}\n`);
    const file = join(dir, 'agent config.yaml');
    writeFileSync(
      file,
      HEADER +
        'agent: { id: pc1, listen: "127.0.0.1:0" }\n' +
        `push:\n  wal: { dir: '${winPath(join(dir, 'data dir', 'wal'))}' }\n  targets:\n    - { name: province, url: "http://127.0.0.1:9/api/v1/write", bearer_token_file: '${winPath(join(dir, 'agent.token'))}' }\n` +
        `lines:\n  - { name: wan, source: 127.0.0.1 }\n` +
        `checks:\n  - { id: line-wan, kind: icmp, target: 127.0.0.1, line: wan, interval: 1s, timeout: 1s }\n` +
        '  - { id: queue, kind: printer, target: Counter1, options: { protocol: cups } }\n',
    );
    const r = await runExe(['--check-config', '--config', winPath(file)]);
    expect(r.stdout, r.stderr).toContain(': OK (2 checks, 1 lines)');
    expect(r.stderr).toMatch(/:11:\d+: checks\[1\]\.kind: kind printer is not supported on Windows: .*\(warning\)/);
    expect(r.status).toBe(0);
  }, 120_000);

  it('--check-config on a config written for Linux names each problem with file, line and field, and exits 1', async () => {
    const file = join(dir, 'linux.yaml');
    writeFileSync(
      file,
      HEADER +
        'agent: { id: pc1 }\n' +
        "push:\n  wal: { dir: /var/lib/centerwatch/wal }\n  targets:\n    - { name: province, url: 'http://127.0.0.1:9/api/v1/write', bearer_token: t }\n" +
        'lines:\n  - { name: wan, interface: eth0 }\n' +
        'checks:\n  - { id: line-wan, kind: icmp, target: 127.0.0.1, line: wan }\n',
    );
    const r = await runExe(['--check-config', '--config', winPath(file)]);
    const at = winPath(file);
    expect(r.stderr).toContain(`${at}:4:15: push.wal.dir: "/var/lib/centerwatch/wal" is a Linux path, but this agent runs on Windows`);
    expect(r.stderr).toContain(`${at}:8:29: lines[0].interface: Windows binds a line by its source address`);
    expect(r.stderr).toContain('2 problems in the config');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+|TypeError|internal error/);
    expect(r.status).toBe(1);
  }, 120_000);

  it('--once runs icmp, tcp, http, dns and ntp checks against loopback and exits 0', async () => {
    const file = join(dir, 'once.yaml');
    writeFileSync(
      file,
      HEADER +
        'agent: { id: pc1, listen: "127.0.0.1:0" }\n' +
        'checks:\n' +
        '  - { id: ping, kind: icmp, target: 127.0.0.1, timeout: 5s, options: { count: 2 } }\n' +
        `  - { id: port, kind: tcp, target: "127.0.0.1:${tcpPort}" }\n` +
        `  - { id: web, kind: http, target: "http://127.0.0.1:${web.port}/", options: { assertions: [ { source: json, path: status, op: eq, value: ok } ] } }\n` +
        `  - { id: name, kind: dns, target: dichvucong.quangngai.gov.vn, options: { server: "127.0.0.1:${dns.port}" } }\n` +
        `  - { id: clock, kind: ntp, target: "127.0.0.1:${ntp.port}" }\n`,
    );
    const r = await runExe(['--once', '--config', winPath(file)]);
    for (const [id, kind] of [
      ['ping', 'icmp'],
      ['port', 'tcp'],
      ['web', 'http'],
      ['name', 'dns'],
      ['clock', 'ntp'],
    ]) {
      expect(r.stdout, r.stderr).toMatch(new RegExp(`^${id}\\s+${kind}\\s+.*\\sUP\\s+ok\\b`, 'm'));
    }
    expect(r.stdout).toContain('5/5 checks up');
    expect(r.status).toBe(0);
  }, 180_000);

  describe('pushing to the Linux server bin', () => {
    let server: ServerBin;
    let agentPort: number;

    beforeAll(async () => {
      const built = buildServerBin();
      server = await startServerBin(built.bin);
      stops.push(
        () => built.remove(),
        () => server.close(),
      );
      agentPort = await freePort();
    }, 120_000);

    it("the server shows the Windows agent's checks, and a cut line is down within down_after + 1 s", async () => {
      const walDir = join(dir, 'data dir', 'wal');
      const file = join(dir, 'push.yaml');
      writeFileSync(
        file,
        HEADER +
          `agent: { id: pc1, listen: "127.0.0.1:${agentPort}" }\n` +
          `push:\n  interval: 500ms\n  wal: { dir: '${winPath(walDir)}' }\n` +
          `  targets:\n    - { name: province, url: "${server.url}/api/v1/write", bearer_token_file: '${winPath(join(dir, 'agent.token'))}', timeout: 2s }\n` +
          'lines:\n  - { name: wan, source: 127.0.0.1, description: "Cáp quang VNPT" }\n' +
          'checks:\n' +
          `  - { id: line-wan, kind: icmp, target: ${LINE_TARGET}, line: wan, interval: 1s, timeout: 1s, options: { down_after: ${DOWN_AFTER_S} } }\n` +
          `  - { id: port, kind: tcp, target: "127.0.0.1:${tcpPort}", interval: 1s, timeout: 500ms }\n`,
      );
      const agent = startExe(['--config', winPath(file)], { CENTERWATCH_PING: winPath(await pingRelayExe()) });
      stops.push(() => agent.child.kill('SIGKILL'));

      const checkUp = async (id: string): Promise<boolean | undefined> => {
        const res = await fetch(`${server.url}/api/v1/centers/center-a`);
        if (res.status !== 200) return undefined;
        const view = (await res.json()) as { checks: Array<{ check: string; up: boolean }> };
        return view.checks.find((c) => c.check === id)?.up;
      };
      await poll('both checks up at the server', 120_000, 500, async () =>
        (await checkUp('line-wan')) === true && (await checkUp('port')) === true ? true : undefined,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\nagent log:\n${agent.log().slice(-3000)}`);
      });
      expect(readdirSync(walDir).length).toBeGreaterThan(0);

      // The cut: echo requests to the line's target are dropped from now on.
      execFileSync('nft', ['add', 'table', 'inet', NFT_TABLE]);
      execFileSync('nft', ['add', 'chain', 'inet', NFT_TABLE, 'out', '{ type filter hook output priority 0 ; }']);
      execFileSync('nft', ['add', 'rule', 'inet', NFT_TABLE, 'out', 'ip', 'daddr', LINE_TARGET, 'icmp', 'type', 'echo-request', 'drop']);
      const cutAt = Date.now();
      const downAtAgent = await poll('the line down at the agent', 15_000, 100, async () => {
        const text = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith(`${METRIC.probeSuccess}{`) && l.includes('check="line-wan"'));
        return line?.endsWith(' 0') ? Date.now() : undefined;
      });
      const seconds = (downAtAgent - cutAt) / 1000;
      console.log(`windows lane: line down at the agent ${seconds.toFixed(2)} s after the cut (down_after ${DOWN_AFTER_S} s)`);
      expect(seconds).toBeLessThanOrEqual(DOWN_AFTER_S + 1);
      await poll('the line down at the server', 15_000, 200, async () => ((await checkUp('line-wan')) === false ? true : undefined));
      expect(await checkUp('port')).toBe(true);
      expect(agent.log()).not.toMatch(/"level":"(error|fatal)"/);
      // Wine 8 lacks bcryptprimitives.dll, which the native snappy add-on needs: the agent says which codec it pushes with.
      expect(
        agent
          .log()
          .split('\n')
          .find((l) => l.includes('"push started"')),
      ).toMatch(/"snappy":"(native|js)"/);
    }, 300_000);
  });
});
