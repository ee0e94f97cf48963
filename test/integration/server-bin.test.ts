import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, body, post, series } from './server-harness.js';

/**
 * The server as installed: the esbuild bundle of server/build.mjs, run as a process with a YAML config
 * and a token file. Built into a scratch folder inside the repo (so `snappy` and package.json resolve)
 * to stay clear of dist/, which other builds replace.
 */
const run = promisify(execFile);
const repo = new URL('../../', import.meta.url).pathname;
const outdir = join(repo, `.test-build-server-${process.pid}`);
const bin = join(outdir, 'centerwatch-server.mjs');
const TOKEN = 'bin-test-token-abcdefghijklmnop-0123';
let dir: string;

beforeAll(() => {
  execFileSync(process.execPath, [join(repo, 'server/build.mjs'), '--outdir', outdir], { stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'cw-server-bin-'));
  writeFileSync(join(dir, 'agent.token'), `${TOKEN}\n`);
  writeFileSync(
    join(dir, 'server.yaml'),
    `listen: 127.0.0.1:0
data_dir: data
tokens:
  - { id: t1, token_file: agent.token, province: p1, center: center-a, agent: pc1 }
`,
  );
}, 60_000);
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dist/centerwatch-server.mjs', () => {
  it('--version, --help and token', async () => {
    expect((await run(process.execPath, [bin, '--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await run(process.execPath, [bin, '--help'])).stdout).toContain('--check-config');
    const { stdout } = await run(process.execPath, [bin, 'token', 'c1.pc1']);
    const token = /^ {2}(\S{43})$/m.exec(stdout)![1]!;
    const sha = /sha256: ([0-9a-f]{64})/.exec(stdout)![1]!;
    expect(execFileSync('sha256sum', { input: token }).toString().slice(0, 64)).toBe(sha);
  });

  it('--check-config: OK for a good file; every problem as file:line:col: path: message for a bad one', async () => {
    expect((await run(process.execPath, [bin, '--check-config', '--config', join(dir, 'server.yaml')])).stdout).toContain('OK (1 tokens');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'listen: nowhere\ntokens:\n  - { id: t1, sha256: nothex, province: p1, center: c }\nlimits: { max_series_per_agent: -1, bogus: 1 }\n');
    const err = await run(process.execPath, [bin, '--check-config', '--config', bad]).catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(1);
    const lines = (err as { stderr: string }).stderr;
    expect(lines).toMatch(/bad\.yaml:1:\d+: listen: must be host:port/);
    expect(lines).toMatch(/bad\.yaml:3:\d+: tokens\[0\]\.sha256: must be 64 lowercase hex digits/);
    expect(lines).toMatch(/bad\.yaml:4:\d+: limits\.bogus: unknown key "bogus"/);
    expect(lines).toMatch(/bad\.yaml:4:\d+: limits\.max_series_per_agent: /);
  });

  it('serves writes, refuses bad ones, and exits 0 on SIGTERM', async () => {
    const child: ChildProcess = spawn(process.execPath, [bin, '--config', join(dir, 'server.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await expect.poll(() => /"listen":"127\.0\.0\.1:(\d+)"/.exec(stderr)?.[1], { timeout: 15_000 }).toBeDefined();
      const url = `http://127.0.0.1:${/"listen":"127\.0\.0\.1:(\d+)"/.exec(stderr)![1]}`;
      const good = body([series({ __name__: 'up', center: 'elsewhere' })]);
      expect((await post(url, good)).status).toBe(401);
      expect((await post(url, Buffer.from([1, 2, 3, 4]), auth(TOKEN))).status).toBe(400);
      expect((await post(url, good, auth(TOKEN))).status).toBe(204);
      expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok', series: 1, agents: 1 });
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/centerwatch_ingest_refused_total\{reason="unauthorized"\} 1/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('"msg":"stopping"');
      expect(stderr).not.toContain(TOKEN);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
