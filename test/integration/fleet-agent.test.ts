/**
 * Enrolment and central config from the agent's side, with the real bins on loopback: the server's
 * fleet commands set up the inventory, a profile and codes; `centerwatch-agent enroll` exchanges a code
 * (while the server is still down at first), and the enrolled agent runs, follows and refuses profiles,
 * runs from its file without the server, and is shut out when revoked.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort, waitForHttp } from '../helpers/prometheus.js';

const CENTER = '21478';
const NAME = 'counter-1';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bin to its end (the server's fleet commands, the agent's enroll). */
function runBin(bin: 'centerwatch-agent' | 'centerwatch-server', args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(`dist/${bin}.mjs`, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe('an agent enrolled with the real server', () => {
  let dir: string;
  let serverYaml: string;
  let serverPort: number;
  let server: RunningBin | undefined;
  let agent: RunningBin | undefined;
  let target: Server;
  let targetPort: number;
  let agentFile: string;
  /** The code the agent enrols with (one use). */
  let code: string;

  const fleet = (...args: string[]) => runBin('centerwatch-server', [...args, '--config', serverYaml]);
  const startServer = async (): Promise<void> => {
    server = startBin('centerwatch-server', ['--config', serverYaml]);
    await waitForHttp(`http://127.0.0.1:${serverPort}/healthz`);
  };
  const newCode = async (...extra: string[]): Promise<string> => {
    const r = await fleet('enroll-code', '--center', CENTER, ...extra);
    expect(r.status, r.stderr).toBe(0);
    const c = /\b([0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2})\b/.exec(r.stdout)?.[1];
    expect(c, r.stdout).toBeDefined();
    return c!;
  };
  /** A profile: tcp checks of the test's listener, pushing every second. */
  const profile = (checks: string[], extra = ''): string => {
    const file = join(dir, `profile-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      'agent:\n  listen: "127.0.0.1:0"\ndefaults: { interval: 1s, timeout: 500ms }\npush:\n  interval: 1s\n' +
        `checks:\n${checks.map((id) => `  - { id: ${id}, kind: tcp, target: "127.0.0.1:{{ vars.target_port }}" }\n`).join('')}${extra}`,
    );
    return file;
  };
  const setProfile = async (file: string): Promise<void> => {
    const r = await fleet('profiles', 'set', 'ward', file);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  };
  /** The agent's /metrics (its port from its 'agent started' line). */
  const metrics = async (): Promise<string> => {
    const port = /"listen":"127\.0\.0\.1:(\d+)"[^}]*"msg":"agent started"/.exec(agent!.log())?.[1];
    if (!port) throw new Error('the agent has not started');
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  };
  const revisionInFile = (): string | undefined => /^ {2}revision: ([0-9a-f]+)$/m.exec(readFileSync(agentFile, 'utf8'))?.[1];

  beforeAll(async () => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-fleet-agent-'));
    target = createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetPort = (target.address() as { port: number }).port;
    serverPort = await freePort();
    serverYaml = join(dir, 'server.yaml');
    writeFileSync(serverYaml, `listen: 127.0.0.1:${serverPort}\ndata_dir: data\nfleet:\n  fetch_interval: 1s\n  vars: { target_port: "${targetPort}" }\n`);
    const imported = await fleet('centers', 'import', '--province', '51');
    expect(imported.status, imported.stderr).toBe(0);
    await setProfile(profile(['portal']));
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
    await setProfile(profile(['portal', 'portal-2']));
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
    await setProfile(
      profile(
        ['portal', 'portal-2'],
        '  - { id: his, kind: http, target: "http://127.0.0.1:{{ vars.target_port }}/", options: { basic_auth: { username: u, password_file: /nonexistent/his.pw } } }\n',
      ),
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
    await setProfile(profile(['portal', 'portal-3']));
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
