import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttp } from '../helpers/servers.js';

/**
 * Every probe that takes a secret runs with one known secret; it must appear nowhere a person
 * or a scraper can see: /metrics, the logs (at debug level) and --once output.
 */
const SECRET = 'Cw-K9n0wn-S3cret-7731';
const CLI = ['--import', 'tsx', 'agent/cli.ts'];
let dir: string;
let web: Awaited<ReturnType<typeof startHttp>>;
let closedPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cw-secret-'));
  writeFileSync(join(dir, 'secret.txt'), `${SECRET}\n`);
  web = await startHttp((req, res) => {
    // Echoes nothing of the request back: a 401 for any credentials.
    res.writeHead(req.headers.authorization ? 401 : 200).end('denied');
  });
  const closed = await startHttp(() => {});
  closedPort = closed.port;
  await closed.close();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await web.close();
});

function writeConfig(listen: string): string {
  const pw = 'password_file: secret.txt';
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    `center: { id: c1, name: "C", province: quang-ngai }
agent: { id: a1, listen: "${listen}", log_level: debug }
defaults: { interval: 2s, timeout: 2s }
checks:
  - { id: web-basic, kind: http, target: "http://127.0.0.1:${web.port}/", options: { basic_auth: { username: u, ${pw} } } }
  - { id: web-bearer, kind: http, target: "http://127.0.0.1:${web.port}/", options: { bearer_token_file: secret.txt } }
  - { id: web-oauth, kind: http, target: "http://127.0.0.1:${web.port}/", options: { oauth2: { token_url: "http://127.0.0.1:${web.port}/token", client_id: c, client_secret_file: secret.txt } } }
  - { id: pg, kind: postgres, target: "127.0.0.1:5432", options: { user: postgres, database: test, ${pw} } }
  - { id: maria, kind: mysql, target: "127.0.0.1:3306", options: { user: root, ${pw} } }
  - { id: cache, kind: redis, target: "127.0.0.1:6379", options: { ${pw} } }
  - { id: sql, kind: mssql, target: "127.0.0.1:${closedPort}", options: { user: sa, ${pw} } }
  - { id: ora, kind: oracle, target: "127.0.0.1:${closedPort}", options: { user: system, ${pw} } }
  - { id: mongo, kind: mongodb, target: "127.0.0.1:${closedPort}", options: { user: admin, ${pw} } }
`,
  );
  return file;
}

describe('a secret given to every probe', () => {
  it('never appears in --once output', async () => {
    const file = writeConfig('127.0.0.1:0');
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, [...CLI, '--once', '--config', file], { encoding: 'utf8', timeout: 60_000 }, (_err, stdout, stderr) =>
        resolve(stdout + stderr),
      );
    });
    expect(out).toContain('web-basic');
    expect(out).toContain('mongo');
    expect(out).not.toContain(SECRET);
  }, 90_000);

  it('never appears in /metrics or the debug logs of a running agent', async () => {
    const file = writeConfig('127.0.0.1:0');
    const child = spawn(process.execPath, [...CLI, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    try {
      await new Promise((r) => setTimeout(r, 6000));
      const port = /"listen":"127\.0\.0\.1:(\d+)"/.exec(logs)?.[1];
      expect(port).toBeDefined();
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('centerwatch_probe_success{check="maria"');
      expect(metrics).not.toContain(SECRET);
      expect(logs).toContain('"check":"web-basic"');
      expect(logs).not.toContain(SECRET);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(logs).not.toContain(SECRET);
  }, 60_000);
});
