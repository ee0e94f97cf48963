import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttp } from '../helpers/servers.js';

const CLI = ['--import', 'tsx', 'agent/cli.ts'];
/** Runs the CLI without blocking this process: the targets the checks probe live here. */
const run = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });

let dir: string;
let target: Awaited<ReturnType<typeof startHttp>>;
const header = 'center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: a1, listen: "127.0.0.1:0" }\n';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cw-cli-'));
  target = await startHttp((_req, res) => res.end('ok'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await target.close();
});

function config(name: string, checks: string): string {
  const file = join(dir, name);
  writeFileSync(file, `${header}checks:\n${checks}`);
  return file;
}

describe('centerwatch-agent CLI', () => {
  it('--version prints the package version', async () => {
    const r = await run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('--help lists every option', async () => {
    const r = await run('--help');
    expect(r.status).toBe(0);
    for (const opt of ['--config', '--check-config', '--once', '--help', '--version']) expect(r.stdout).toContain(opt);
  });

  it('an unknown option exits 2 with the usage', async () => {
    const r = await run('--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
  });

  it('--check-config prints every problem with file, line and field, and exits 1', async () => {
    const r = await run('--check-config', '--config', 'test/fixtures/config/invalid-many-problems.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('test/fixtures/config/invalid-many-problems.yaml:9:11: checks[0].line: unknown line "inet9" (lines: tslcd)');
    expect(r.stderr).toContain('4 problems in the config');
  });

  it('--check-config accepts the shipped default', async () => {
    const r = await run('--check-config', '--config', 'config/default.yaml');
    expect(r.stdout, r.stderr).toContain('config/default.yaml: OK');
    expect(r.status).toBe(0);
  });

  it('--check-config warns about a password written in the file (line and field, no value) and still exits 0', async () => {
    const file = config(
      'literal.yaml',
      '  - { id: web, kind: http, target: "http://127.0.0.1:9/", options: { basic_auth: { username: u, password: pw-literal-42 } } }\n',
    );
    const r = await run('--check-config', '--config', file);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /literal\.yaml:\d+:\d+: checks\[0\]\.options\.basic_auth\.password: a secret written in the file: give it as password_file .* \(warning\)/,
    );
    expect(r.stderr + r.stdout).not.toContain('pw-literal-42');
  });

  it('--check-config refuses the real-center template until its placeholders are replaced', async () => {
    const r = await run('--check-config', '--config', 'config/center-template.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/config\/center-template\.yaml:\d+:\d+: push\.targets\[0\]\.url: still the template's placeholder/);
  });

  it('--once prints a table and exits 0 when every check is up', async () => {
    const file = config(
      'up.yaml',
      `  - { id: web, kind: http, target: "http://127.0.0.1:${target.port}/" }\n  - { id: port, kind: tcp, target: "127.0.0.1:${target.port}" }\n`,
    );
    const r = await run('--once', '--config', file);
    expect(r.stdout).toMatch(/^CHECK\s+KIND\s+LINE\s+TARGET\s+STATUS\s+REASON\s+TIME\s+DETAIL$/m);
    expect(r.stdout).toMatch(/^web\s+http\s+-\s+http:\/\/127\.0\.0\.1:\d+\/\s+UP\s+ok\s/m);
    expect(r.stdout).toContain('2/2 checks up');
    expect(r.status).toBe(0);
  });

  it('--once exits 1 when a check is down and says why', async () => {
    const closed = await startHttp(() => {});
    const port = closed.port;
    await closed.close();
    const file = config('down.yaml', `  - { id: gone, kind: tcp, target: "127.0.0.1:${port}", timeout: 2s }\n`);
    const r = await run('--once', '--config', file);
    expect(r.stdout).toMatch(/^gone\s+tcp\s+-\s+127\.0\.0\.1:\d+\s+DOWN\s+refused\s/m);
    expect(r.stdout).toContain('0/1 checks up');
    expect(r.status).toBe(1);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const file = config('run.yaml', `  - { id: port, kind: tcp, target: "127.0.0.1:${target.port}", interval: 1s, timeout: 1s }\n`);
    const agent = startAgent(file);
    await agent.waitFor('"agent started"');
    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(agent.stderr()).toContain('"agent stopped"');
  });

  it('reloads the config on SIGHUP, and keeps the running one when the new file is bad', async () => {
    const file = config('reload.yaml', `  - { id: first, kind: tcp, target: "127.0.0.1:${target.port}", interval: 1s, timeout: 1s }\n`);
    const agent = startAgent(file);
    const started = await agent.waitFor('"agent started"');
    const port = /"listen":"127\.0\.0\.1:(\d+)"/.exec(started)![1];
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    try {
      config('reload.yaml', `  - { id: second, kind: tcp, target: "127.0.0.1:${target.port}", interval: 1s, timeout: 1s }\n`);
      agent.child.kill('SIGHUP');
      await agent.waitFor('"config reloaded"');
      const after = await metrics();
      expect(after).toContain('centerwatch_check_info{check="second"');
      expect(after).not.toContain('check="first"');
      expect(after).toContain('centerwatch_agent_config_last_load_success 1');

      config('reload.yaml', '  - { id: third, kind: tcp, target: nowhere }\n');
      agent.child.kill('SIGHUP');
      const refused = await agent.waitFor('config reload refused');
      expect(refused).toContain('checks[0].target: \\"nowhere\\" is not host:port');
      const kept = await metrics();
      expect(kept).toContain('centerwatch_check_info{check="second"');
      expect(kept).toContain('centerwatch_agent_config_last_load_success 0');
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exit;
    }
  });
});

/** Runs the agent in the background; `waitFor` resolves with stderr once it contains the text. */
function startAgent(file: string) {
  const child = spawn(process.execPath, [...CLI, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return {
    child,
    exit,
    stderr: () => stderr,
    waitFor: (text: string) =>
      new Promise<string>((resolve, reject) => {
        const t0 = Date.now();
        const poll = setInterval(() => {
          if (stderr.includes(text)) {
            clearInterval(poll);
            resolve(stderr);
          } else if (Date.now() - t0 > 15_000) {
            clearInterval(poll);
            reject(new Error(`agent never logged ${text}: ${stderr}`));
          }
        }, 50);
      }),
  };
}
