/**
 * The packaged win-x64 agent as a Windows service, under Wine's own service control manager
 * (services.exe, sc.exe): installed from a folder whose path has spaces, started by the SCM with
 * `service run`, serving /metrics with a tcp check up, writing its log to %ProgramData%, stopped with a
 * drain, then removed. What Wine lacks (service-args.ts WINE_LACKS) is asserted as Wine does it.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packaged } from '../helpers/package.js';
import { wineHost, winPath, type WineHost } from '../helpers/wine.js';
import { commandExists } from '../helpers/servers.js';

const missing = commandExists('wine') ? undefined : 'wine is not installed (Debian packages wine, wine64)';
if (missing && process.env.CI !== 'true') console.warn(`windows-service: skipped, ${missing}`);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** Polls `fn` every 100 ms until it returns a value; undefined after `ms`. */
async function until<T>(fn: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** Linux pids of the processes running the service's exe (wine's loader shows its Windows path as its command line). */
function agentPids(exe: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(winPath(exe))) pids.push(Number(p));
    } catch {
      // gone
    }
  }
  return pids;
}

describe.skipIf(missing !== undefined && process.env.CI !== 'true')('the agent as a Windows service (the win-x64 exe under Wine)', () => {
  const work = mkdtempSync(join(tmpdir(), 'cw windows service '));
  let wine: WineHost;
  let exe: string;
  let listener: Server;
  let port: number;
  let configFile: string;
  let walDir: string;
  const metricsUrl = (): string => `http://127.0.0.1:${port}/metrics`;
  const agent = (...args: string[]) => wine.run(exe, args);
  const metrics = async (): Promise<string | undefined> => {
    const res = await fetch(metricsUrl(), { signal: AbortSignal.timeout(1000) });
    const text = await res.text();
    return /^centerwatch_probe_success\{check="port",kind="tcp",line=""\} 1$/m.test(text) ? text : undefined;
  };

  beforeAll(async () => {
    expect(missing).toBeUndefined();
    const pkg = packaged();
    const folder = join(work, 'Program Files', 'Centerwatch Agent');
    mkdirSync(folder, { recursive: true });
    exe = join(folder, 'centerwatch-agent.exe');
    copyFileSync(pkg.exe['win-x64'], exe);
    wine = wineHost(work);
    listener = createServer((s) => s.end());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const tcpPort = (listener.address() as { port: number }).port;
    port = await freePort();
    const configDir = join(work, 'cấu hình dir');
    walDir = join(configDir, 'wal dir');
    mkdirSync(configDir, { recursive: true });
    configFile = join(configDir, 'agent.yaml');
    writeFileSync(
      configFile,
      'center: { id: c1, name: "C", province: quang-ngai }\n' +
        `agent: { id: pc1, listen: "127.0.0.1:${port}" }\n` +
        // Nothing listens on port 9: the samples stay in the WAL, which the agent holds while it runs.
        'push:\n  interval: 500ms\n  wal: { dir: "wal dir", fsync: always }\n  targets:\n    - { name: province, url: "http://127.0.0.1:9/api/v1/write", timeout: 1s }\n' +
        `checks:\n  - { id: port, kind: tcp, target: "127.0.0.1:${tcpPort}", interval: 1s, timeout: 500ms }\n`,
    );
  }, 900_000);

  afterAll(async () => {
    if (wine) {
      await wine.run('sc.exe', ['delete', 'centerwatch-agent']).catch(() => undefined);
      wine.close();
    }
    listener?.close();
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('install, status, start (RUNNING, /metrics, the log file), stop with a drain, a crash as Wine handles it, uninstall', async () => {
    const install = await agent('service', 'install', '--config', winPath(configFile));
    expect(install.status, install.stdout + install.stderr).toBe(0);
    expect(install.stdout).toContain('centerwatch-agent installed: runs as NT SERVICE\\centerwatch-agent');
    expect(install.stdout).toContain('Under Wine, which lacks failureflag, queryex, delayed-auto start, failure actions, icacls');
    // The command line the SCM runs: the program quoted, the config quoted (both paths have spaces).
    const reg = await wine.run('reg.exe', ['query', 'HKLM\\System\\CurrentControlSet\\Services\\centerwatch-agent', '/v', 'ImagePath']);
    // reg.exe writes to a file in the console's code page: each Vietnamese letter comes out as one other character.
    const imagePath = `"${winPath(exe)}" service run --config "${winPath(configFile)}"`;
    expect(reg.stdout).toMatch(new RegExp(imagePath.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&').replace(/[^\x20-\x7e]/g, '.')));
    // Wine ignores start= delayed-auto: 3 is SERVICE_DEMAND_START (Windows would store 2 with DelayedAutostart 1).
    const startType = await wine.run('reg.exe', ['query', 'HKLM\\System\\CurrentControlSet\\Services\\centerwatch-agent', '/v', 'Start']);
    expect(startType.stdout).toMatch(/Start\s+REG_DWORD\s+0x3/);

    const stopped = await agent('service', 'status');
    expect(stopped.stdout).toMatch(/STATE\s*:\s*1\s+STOPPED/);
    expect(stopped.status).toBe(3);

    const t0 = Date.now();
    const start = await agent('service', 'start');
    expect(start.status, start.stdout + start.stderr).toBe(0);
    expect(start.stdout).toMatch(/centerwatch-agent: RUNNING after/);
    expect(await until(metrics, 30_000)).toBeDefined();
    const startSeconds = (Date.now() - t0) / 1000;

    const running = await agent('service', 'status');
    expect(running.stdout).toMatch(/STATE\s*:\s*4\s+RUNNING/);
    expect(running.status).toBe(0);
    expect(agentPids(exe)).toHaveLength(1);
    expect(existsSync(join(walDir, 'LOCK'))).toBe(true);

    // The log, in %ProgramData%\centerwatch\logs. Wine 8 builds a service's environment (userenv's
    // CreateEnvironmentBlock) with %ProgramData% = C:\users\Public, a console's %PUBLIC%; a program run
    // from the console has C:\ProgramData. Windows has one C:\ProgramData for both.
    const env = (name: string) => wine.run('cmd.exe', ['/c', `echo %${name}%`]).then((r) => r.stdout.trim());
    const candidates = [await env('ProgramData'), await env('PUBLIC')].map((d) => wine.linuxPath(`${d}\\centerwatch\\logs\\agent.log`));
    const logFile = candidates.find((f) => existsSync(f));
    console.log(`windows-service (Wine): the service's log is ${logFile} (candidates: ${candidates.join(', ')})`);
    expect(logFile).toBeDefined();
    if (!logFile) return;
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/"msg":"service starting"/);
    expect(log).toMatch(new RegExp(`"checks":1,"listen":"127\\.0\\.0\\.1:${port}","msg":"agent started"`));
    expect(log).toMatch(/"msg":"service running"/);

    const t1 = Date.now();
    const stop = await agent('service', 'stop');
    const stopSeconds = (Date.now() - t1) / 1000;
    expect(stop.status, stop.stdout + stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/centerwatch-agent: STOPPED after/);
    expect(await until(async () => (agentPids(exe).length === 0 ? true : undefined), 10_000)).toBe(true);
    expect(existsSync(join(walDir, 'LOCK'))).toBe(false);
    await expect(fetch(metricsUrl(), { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    const drained = readFileSync(logFile, 'utf8');
    expect(drained).toMatch(/"reason":"stop","msg":"service stopping"/);
    expect(drained).toMatch(/"msg":"agent stopped"/);
    expect(drained).toMatch(/"outcome":"stopped","msg":"service ended"/);
    console.log(
      `windows-service (Wine): service start → /metrics with the check up ${startSeconds.toFixed(2)} s; service stop → STOPPED ${stopSeconds.toFixed(2)} s`,
    );

    // A crash: the process terminated as Task Manager would. Windows would restart it after 5 s (sc failure);
    // Wine's services.exe stores the failure actions but never acts on them, nor notices the exit.
    expect((await agent('service', 'start')).status).toBe(0);
    expect(await until(metrics, 30_000)).toBeDefined();
    const kill = await wine.run('taskkill.exe', ['/F', '/IM', 'centerwatch-agent.exe']);
    expect(kill.status, kill.stdout + kill.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 8_000));
    expect(agentPids(exe)).toEqual([]);
    const afterCrash = await agent('service', 'status');
    console.log(`windows-service (Wine): 8 s after the kill no process runs; Wine says ${/STATE\s*:\s*\d+\s+(\w+)/.exec(afterCrash.stdout)?.[1]}`);
    expect(afterCrash.stdout).toMatch(/STATE\s*:\s*4\s+RUNNING/);
    // The lock names a dead process: the next start takes it over.
    const again = await agent('service', 'start');
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(await until(metrics, 30_000)).toBeDefined();

    const uninstall = await agent('service', 'uninstall');
    expect(uninstall.status, uninstall.stdout + uninstall.stderr).toBe(0);
    expect(uninstall.stdout).toContain('centerwatch-agent removed.');
    expect(await until(async () => (agentPids(exe).length === 0 ? true : undefined), 10_000)).toBe(true);
    const gone = await agent('service', 'status');
    expect(gone.status).not.toBe(0);
    expect(gone.status).not.toBe(3);
  }, 600_000);
});
