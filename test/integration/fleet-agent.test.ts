/**
 * Enrolment and central config from the agent's side, with the real bins on loopback: the server's
 * fleet commands set up the inventory, a profile and codes; `centerwatch-agent enroll` exchanges a code
 * (while the server is still down at first), and the enrolled agent runs, follows and refuses profiles,
 * runs from its file without the server, and is shut out when revoked. Then the same on a real .deb
 * install (root): enroll's default file in the state directory, given to the service user, run by the
 * unit's ExecStart as that user, and rewritten by the agent itself on a profile change.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { CENTER, metricsOf, revisionIn, runBin, setUpFleet, type Fleet } from '../helpers/fleet-bins.js';
import { requireService } from '../helpers/ctx.js';
import { packaged, run } from '../helpers/package.js';
import { commandExists } from '../helpers/servers.js';
import { LINUX_ENROLLED_CONFIG } from '../../agent/platform/paths.js';

const NAME = 'counter-1';

describe('an agent enrolled with the real server', () => {
  let f: Fleet;
  let dir: string;
  let serverPort: number;
  let server: RunningBin | undefined;
  let agent: RunningBin | undefined;
  let target: Server;
  let agentFile: string;
  /** The code the agent enrols with (one use). */
  let code: string;

  const fleet = (...args: string[]) => f.fleet(...args);
  const startServer = async (): Promise<void> => {
    server = await f.startServer();
  };
  const newCode = (...extra: string[]) => f.newCode(...extra);
  const metrics = () => metricsOf(agent!.log());
  const revisionInFile = () => revisionIn(agentFile);

  beforeAll(async () => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-fleet-agent-'));
    target = createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    f = await setUpFleet(dir, (target.address() as { port: number }).port);
    serverPort = f.serverPort;
    await f.setProfile(['portal']);
    code = await newCode('--profile', 'ward');
    agentFile = join(dir, 'agent', 'agent.yaml');
    mkdirSync(join(dir, 'agent'));
  }, 300_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    target?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('enrol while the server is down: retried with backoff and a clear message each time, enrolled once it is up', async () => {
    const url = `http://127.0.0.1:${serverPort}`;
    let stderr = '';
    let stdout = '';
    const child = execFile('dist/centerwatch-agent.mjs', ['enroll', '--server', url, '--code', code.toLowerCase(), '--name', NAME, '--config', agentFile], {
      encoding: 'utf8',
    });
    child.stderr!.on('data', (c: string) => (stderr += c));
    child.stdout!.on('data', (c: string) => (stdout += c));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await eventually(async () => ((stderr.match(/trying again/g)?.length ?? 0) >= 2 ? true : undefined), 15_000, 'two retries');
    await startServer();
    expect(await exited).toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(new RegExp(`^cannot reach ${url}: connection refused; trying again in \\d+ s$`));
    expect(lines.slice(0, 2).map((l) => Number(/in (\d+) s/.exec(l)![1]))).toEqual([1, 2]);
    expect(stdout).toContain(`Enrolled as ${CENTER}/${NAME}: Phường Sa Huỳnh`);
    expect(stdout).toMatch(/Config written to .*agent\.yaml: profile ward, revision [0-9a-f]+, 1 checks\./);
    const token = readFileSync(join(dir, 'agent', 'agent.token'), 'utf8').trim();
    expect(token.length).toBeGreaterThan(16);
    for (const f of ['agent.token', 'agent.yaml']) expect([f, statSync(join(dir, 'agent', f)).mode & 0o777]).toEqual([f, 0o600]);
    expect(stdout + stderr).not.toContain(token);
    expect((stdout + stderr).toUpperCase()).not.toContain(code.replace(/-/g, ''));
    expect(stdout + stderr).not.toContain(code);
  }, 60_000);

  it('the enrolled agent runs its profile, pushes to the server, and says its revision on /metrics', async () => {
    agent = startBin('centerwatch-agent', ['--config', agentFile]);
    const revision = revisionInFile()!;
    const text = await eventually(
      async () => {
        const m = await metrics();
        return /^centerwatch_probe_success\{check="portal"[^}]*\} 1$/m.test(m) ? m : undefined;
      },
      20_000,
      'the profile check up',
    );
    expect(text).toMatch(new RegExp(`^centerwatch_agent_info\\{version="[^"]+",revision="${revision}"\\} 1$`, 'm'));
    await eventually(
      async () =>
        Number(/^centerwatch_agent_push_last_success_timestamp_seconds\{target="province"\} (\S+)$/m.exec(await metrics())?.[1]) > 0 ? true : undefined,
      20_000,
      'a push accepted by the server',
    );
  }, 60_000);

  it('a profile change is applied without a restart', async () => {
    const before = revisionInFile();
    const pid = agent!.child.pid;
    await f.setProfile(['portal', 'portal-2']);
    const text = await eventually(
      async () => {
        const m = await metrics();
        return /^centerwatch_probe_success\{check="portal-2"[^}]*\} 1$/m.test(m) ? m : undefined;
      },
      20_000,
      'the new check on /metrics',
    );
    const after = revisionInFile();
    expect(after).not.toBe(before);
    expect(text).toMatch(new RegExp(`^centerwatch_agent_info\\{version="[^"]+",revision="${after}"\\} 1$`, 'm'));
    expect(agent!.child.pid).toBe(pid);
    expect(agent!.child.exitCode).toBeNull();
    expect(agent!.log()).toMatch(new RegExp(`"profile":"ward","revision":"${after}"[^}]*"msg":"central config applied"`));
  }, 60_000);

  it('a profile the agent refuses is reported and the old config keeps running', async () => {
    const running = revisionInFile();
    const fileBefore = readFileSync(agentFile, 'utf8');
    // The server renders it fine; the secret file it names exists on no agent.
    await f.setProfile(
      ['portal', 'portal-2'],
      '  - { id: his, kind: http, target: "http://127.0.0.1:{{ vars.target_port }}/", options: { basic_auth: { username: u, password_file: /nonexistent/his.pw } } }\n',
    );
    await eventually(async () => (/"msg":"central config refused/.test(agent!.log()) ? true : undefined), 20_000, 'the refusal in the log');
    const m = await metrics();
    expect(m).toMatch(/^centerwatch_agent_config_last_load_success 0$/m);
    expect(m).toMatch(/^centerwatch_probe_success\{check="portal-2"[^}]*\} 1$/m);
    expect(m).not.toMatch(/check="his"/);
    expect(readFileSync(agentFile, 'utf8')).toBe(fileBefore);
    expect(revisionInFile()).toBe(running);
    // The server knows: the fleet view shows the agent as having refused the current revision.
    const row = await eventually(
      async () => {
        const r = (await (await fetch(`http://127.0.0.1:${serverPort}/api/v1/agents/${CENTER}/${NAME}`)).json()) as Record<string, unknown>;
        return r.state === 'refused' ? r : undefined;
      },
      10_000,
      'the refusal in the fleet view',
    );
    expect(row).toMatchObject({ runningRevision: running, refusedRevision: row.currentRevision });
    expect(row.refusedRevision).not.toBe(running);
    // Tried once: 3 more fetches later, still one refusal in the log.
    await new Promise((r) => setTimeout(r, 3500));
    expect(agent!.log().match(/"msg":"central config refused/g)).toHaveLength(1);
    // A good profile again is taken.
    await f.setProfile(['portal', 'portal-3']);
    await eventually(
      async () => (/^centerwatch_probe_success\{check="portal-3"[^}]*\} 1$/m.test(await metrics()) ? true : undefined),
      20_000,
      'the next good profile',
    );
    expect(await metrics()).toMatch(/^centerwatch_agent_config_last_load_success 1$/m);
  }, 90_000);

  it('restarted while the server is down, the agent runs from its file (the last good config)', async () => {
    const revision = revisionInFile();
    await agent!.stop();
    await server!.stop();
    agent = startBin('centerwatch-agent', ['--config', agentFile]);
    try {
      const text = await eventually(
        async () => {
          const m = await metrics();
          return /^centerwatch_probe_success\{check="portal-3"[^}]*\} 1$/m.test(m) ? m : undefined;
        },
        20_000,
        'the cached checks running',
      );
      expect(text).toMatch(new RegExp(`revision="${revision}"`));
      await eventually(async () => (/province server unreachable: connection refused/.test(agent!.log()) ? true : undefined), 10_000, 'the outage said');
      // Said once, though it tries again (after 5 s, then 10 s).
      await new Promise((r) => setTimeout(r, 6000));
      expect(agent.log().match(/province server unreachable/g)).toHaveLength(1);
    } finally {
      await startServer();
    }
  }, 60_000);

  it('a revoked agent is refused on its next push and fetch, and keeps probing', async () => {
    // The agent started while the server was away finds it again within seconds (5 s, then 10 s…).
    await eventually(async () => (/province server answers again/.test(agent!.log()) ? true : undefined), 20_000, 'the server found again');
    const r = await fleet('agents', 'revoke', `${CENTER}/${NAME}`);
    expect(r.status, r.stderr).toBe(0);
    await eventually(
      async () => (/"target":"province","status":401[^}]*"msg":"remote_write target refused a batch/.test(agent!.log()) ? true : undefined),
      20_000,
      'a push refused with 401',
    );
    await eventually(async () => (/province server refuses this agent's token/.test(agent!.log()) ? true : undefined), 20_000, 'the fetch refused');
    expect(agent!.log().match(/province server refuses this agent's token/g)).toHaveLength(1);
    expect(await metrics()).toMatch(/^centerwatch_probe_success\{check="portal-3"[^}]*\} 1$/m);
  }, 60_000);

  it('enrolled again with a new code while it runs, the agent is let back in without a restart (fetches and pushes)', async () => {
    const pid = agent!.child.pid;
    const again = await runBin('centerwatch-agent', [
      'enroll',
      '--server',
      `http://127.0.0.1:${serverPort}`,
      '--code',
      await newCode('--profile', 'ward'),
      '--name',
      NAME,
      '--config',
      agentFile,
    ]);
    expect(again.status, again.stderr).toBe(0);
    const since = Date.now() / 1000;
    await eventually(
      async () => (/"msg":"token changed \(enrolled again\): config reloaded from its file"/.test(agent!.log()) ? true : undefined),
      20_000,
      'the new token taken',
    );
    await eventually(
      async () =>
        Number(/^centerwatch_agent_push_last_success_timestamp_seconds\{target="province"\} (\S+)$/m.exec(await metrics())?.[1]) > since ? true : undefined,
      20_000,
      'a push accepted again',
    );
    expect(agent!.child.pid).toBe(pid);
    const row = (await (await fetch(`http://127.0.0.1:${serverPort}/api/v1/agents/${CENTER}/${NAME}`)).json()) as Record<string, unknown>;
    expect(row.state).toBe('ok');
  }, 60_000);

  it('a used code and an expired code are refused with a clear message, and nothing is written', async () => {
    const other = join(dir, 'other.yaml');
    const used = await runBin('centerwatch-agent', [
      'enroll',
      '--server',
      `http://127.0.0.1:${serverPort}`,
      '--code',
      code,
      '--name',
      'counter-2',
      '--config',
      other,
    ]);
    expect(used.status).toBe(1);
    expect(used.stderr).toMatch(
      new RegExp(
        `^enrolment refused by http://127\\.0\\.0\\.1:${serverPort}: this enrolment code has been used as many times as it allows: ask the province IT staff for a new one\\n$`,
      ),
    );
    const short = await newCode('--expires', '1s');
    await new Promise((r) => setTimeout(r, 1500));
    const late = await runBin('centerwatch-agent', [
      'enroll',
      '--server',
      `http://127.0.0.1:${serverPort}`,
      '--code',
      short,
      '--name',
      'counter-2',
      '--config',
      other,
    ]);
    expect(late.status).toBe(1);
    expect(late.stderr).toMatch(/^enrolment refused by http:\/\/127\.0\.0\.1:\d+: this enrolment code has expired: ask the province IT staff for a new one\n$/);
    expect(() => statSync(other)).toThrow();
    expect(() => statSync(join(dir, 'other.token'))).toThrow();
  }, 60_000);
});

/** Any state of a centerwatch-agent package (installed, or its config files left). */
function debInstalled(): boolean {
  try {
    return !/not-installed/.test(
      execFileSync('dpkg-query', ['-W', '-f', '${Status}', 'centerwatch-agent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
  } catch {
    return false;
  }
}
const isRoot = process.getuid?.() === 0;
const debTools = ['dpkg', 'dpkg-deb', 'setcap', 'setpriv'].filter((t) => !commandExists(t));
const debWhy = !isRoot
  ? 'installing the .deb needs root'
  : debInstalled()
    ? 'a centerwatch-agent package is already installed on this machine'
    : `missing tools: ${debTools.join(', ')} (Debian packages dpkg, libcap2-bin, util-linux)`;
const canDeb = isRoot && !debInstalled() && debTools.length === 0;

describe.skipIf(!requireService(canDeb, debWhy))('an agent enrolled on a .deb install', () => {
  let dir: string;
  let target: Server;
  let f: Fleet;
  let server: RunningBin | undefined;
  let agent: ChildProcess | undefined;
  let deb: string;

  beforeAll(async () => {
    buildBins();
    deb = packaged().deb.amd64;
    dir = mkdtempSync(join(tmpdir(), 'cw-fleet-deb-'));
    target = createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    f = await setUpFleet(dir, (target.address() as { port: number }).port);
    await f.setProfile(['box-portal']);
    server = await f.startServer();
  }, 600_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await server?.stop();
    target?.close();
    // A failed test must not leave the package installed.
    if (debInstalled()) await run('dpkg', ['--purge', 'centerwatch-agent'], process.env, 60_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('enroll as root writes /var/lib/centerwatch for the centerwatch user; the unit runs that file and the agent, as that user, keeps it up to date', async () => {
    const install = await run('dpkg', ['-i', deb], process.env, 120_000);
    expect(install.status, install.stderr).toBe(0);
    const uid = Number((await run('id', ['-u', 'centerwatch'])).stdout.trim());

    // As an IT officer would type it: no --config, the .deb's default.
    const enrolled = await run('/usr/bin/centerwatch-agent', ['enroll', '--server', f.url, '--code', await f.newCode('--profile', 'ward'), '--name', 'box-1']);
    expect(enrolled.status, enrolled.stderr).toBe(0);
    expect(enrolled.stdout).toContain(`Config written to ${LINUX_ENROLLED_CONFIG}: profile ward`);
    for (const file of ['agent.yaml', 'agent.token']) {
      const st = statSync(join('/var/lib/centerwatch', file));
      expect([file, st.uid, st.mode & 0o777]).toEqual([file, uid, 0o600]);
    }
    // Without --config the enrolled file is the one checked.
    const check = await run('/usr/bin/centerwatch-agent', ['--check-config']);
    expect(check.stdout, check.stderr).toBe(`${LINUX_ENROLLED_CONFIG}: OK (1 checks, 0 lines)\n`);

    // The unit's ExecStart as its user, with what systemd prepares (as package-deb.test.ts runs it).
    const unit = readFileSync('/usr/lib/systemd/system/centerwatch-agent.service', 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
    expect(execStart).toEqual(['/usr/bin/centerwatch-agent', '--config', '/etc/centerwatch/agent.yaml', '--enrolled-config', LINUX_ENROLLED_CONFIG]);
    await run('install', ['-d', '-o', 'centerwatch', '-g', 'centerwatch', '-m', '0750', '/var/cache/centerwatch']);
    agent = spawn('setpriv', ['--reuid=centerwatch', '--regid=centerwatch', '--init-groups', '--', ...execStart], {
      cwd: '/var/lib/centerwatch',
      env: { PATH: '/usr/bin:/bin', HOME: '/var/lib/centerwatch', STATE_DIRECTORY: '/var/lib/centerwatch', CACHE_DIRECTORY: '/var/cache/centerwatch' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    agent.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const first = revisionIn(LINUX_ENROLLED_CONFIG);
    await eventually(
      async () => (/^centerwatch_probe_success\{check="box-portal"[^}]*\} 1$/m.test(await metricsOf(log)) ? true : undefined),
      30_000,
      `the profile's check up (agent log: ${log.slice(-1500)})`,
    );
    expect(await metricsOf(log)).toMatch(new RegExp(`^centerwatch_agent_info\\{version="[^"]+",revision="${first}"\\} 1$`, 'm'));

    // A new revision: written by the agent itself, as centerwatch, over the file in its state directory.
    await f.setProfile(['box-portal', 'box-portal-2']);
    await eventually(
      async () => (/^centerwatch_probe_success\{check="box-portal-2"[^}]*\} 1$/m.test(await metricsOf(log)) ? true : undefined),
      30_000,
      `the new revision applied (agent log: ${log.slice(-1500)})`,
    );
    expect(revisionIn(LINUX_ENROLLED_CONFIG)).not.toBe(first);
    const st = statSync(LINUX_ENROLLED_CONFIG);
    expect([st.uid, st.mode & 0o777]).toEqual([uid, 0o600]);
    expect(readdirSync('/var/lib/centerwatch').filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await eventually(
      async () =>
        Number(/^centerwatch_agent_push_last_success_timestamp_seconds\{target="province"\} (\S+)$/m.exec(await metricsOf(log))?.[1]) > 0 ? true : undefined,
      20_000,
      'a push accepted',
    );
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;

    const purge = await run('dpkg', ['--purge', 'centerwatch-agent'], process.env, 60_000);
    expect(purge.status, purge.stderr).toBe(0);
    expect(existsSync('/var/lib/centerwatch')).toBe(false);
  }, 300_000);
});
