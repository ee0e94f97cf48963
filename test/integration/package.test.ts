/**
 * The packaged agent (npm run package): the linux-x64 single executable runs as the agent does, with
 * nothing beside it: its version, config errors with file, line and field, probes against loopback
 * servers (the http body assertions in the check worker), and a push through its WAL to the server
 * bin, compressed with the snappy add-on the executable carries and extracts by content hash.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/bins.js';
import { packaged, run, type Packaged } from '../helpers/package.js';
import { startHttp } from '../helpers/servers.js';
import { buildServerBin, startServerBin, type ServerBin } from './server-bin-harness.js';
import { TOKEN_A } from './server-harness.js';

let pkg: Packaged;
let dir: string;
let web: Awaited<ReturnType<typeof startHttp>>;
let listener: Server;
let tcpPort: number;
const header = 'center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: pc1, listen: "127.0.0.1:0" }\n';

beforeAll(() => {
  pkg = packaged();
  dir = mkdtempSync(join(tmpdir(), 'cw-package-'));
}, 600_000);

beforeAll(async () => {
  web = await startHttp((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
  listener = createServer((s) => s.end());
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  tcpPort = (listener.address() as { port: number }).port;
});

afterAll(async () => {
  await web?.close();
  listener?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function config(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, header + body);
  return file;
}

describe('the linux-x64 single executable', () => {
  const exe = () => pkg.exe['linux-x64'];

  it('--version prints the package version (embedded at build time)', async () => {
    const r = await run(exe(), ['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(r.status).toBe(0);
  });

  it('--check-config accepts the shipped default', async () => {
    const r = await run(exe(), ['--check-config', '--config', 'config/default.yaml']);
    expect(r.stdout, r.stderr).toContain('config/default.yaml: OK');
    expect(r.status).toBe(0);
  });

  it('--check-config names file, line and field of every problem and exits 1', async () => {
    const r = await run(exe(), ['--check-config', '--config', 'test/fixtures/config/invalid-many-problems.yaml']);
    expect(r.stderr).toContain('test/fixtures/config/invalid-many-problems.yaml:9:11: checks[0].line: unknown line "inet9" (lines: tslcd)');
    expect(r.stderr).toContain('4 problems in the config');
    expect(r.status).toBe(1);
  });

  it('--once probes tcp and http (with a JSON assertion) on loopback and exits 0', async () => {
    const file = config(
      'once.yaml',
      'checks:\n' +
        `  - { id: web, kind: http, target: "http://127.0.0.1:${web.port}/", options: { assertions: [ { source: json, path: status, op: eq, value: ok } ] } }\n` +
        `  - { id: port, kind: tcp, target: "127.0.0.1:${tcpPort}" }\n`,
    );
    const r = await run(exe(), ['--once', '--config', file]);
    expect(r.stdout, r.stderr).toMatch(/^web\s+http\s+-\s+http:\/\/127\.0\.0\.1:\d+\/\s+UP\s+ok\s/m);
    expect(r.stdout).toMatch(/^port\s+tcp\s+-\s+127\.0\.0\.1:\d+\s+UP\s+ok\s/m);
    expect(r.stdout).toContain('2/2 checks up');
    expect(r.status).toBe(0);
  });

  it('a failed assertion is down with reason assertion (the check worker runs inside the executable)', async () => {
    const file = config(
      'assert.yaml',
      `checks:\n  - { id: web, kind: http, target: "http://127.0.0.1:${web.port}/", options: { assertions: [ { source: json, path: status, op: eq, value: down } ] } }\n`,
    );
    const r = await run(exe(), ['--once', '--config', file]);
    expect(r.stdout, r.stderr).toMatch(/^web\s+http\s+.*\sDOWN\s+assertion\s/m);
    expect(r.status).toBe(1);
  });

  it('the lazily loaded drivers (carried as assets, compiled on first use) reach a closed port: refused, not internal_error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    closed.close();
    writeFileSync(join(dir, 'pw'), 'pw\n');
    const file = config(
      'drivers.yaml',
      'checks:\n' +
        ['mongodb', 'mssql', 'oracle', 'postgres', 'mysql']
          .map((k) => `  - { id: ${k}, kind: ${k}, target: "127.0.0.1:${port}", timeout: 5s, options: { user: u, password_file: pw } }\n`)
          .join(''),
    );
    const r = await run(exe(), ['--once', '--config', file]);
    for (const k of ['mongodb', 'mssql', 'oracle', 'postgres', 'mysql'])
      expect(r.stdout, r.stderr).toMatch(new RegExp(`^${k}\\s+${k}\\s+.*\\sDOWN\\s+refused\\s`, 'm'));
  });

  describe('pushing to the server bin through its WAL', () => {
    let server: ServerBin;
    let built: { bin: string; remove(): void };
    const nativeDir = () => join(dir, 'native');

    beforeAll(async () => {
      built = buildServerBin();
      server = await startServerBin(built.bin);
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      built?.remove();
    });

    it("the server's metrics count the agent's series, sent snappy-compressed by the embedded add-on", async () => {
      writeFileSync(join(dir, 'agent.token'), `${TOKEN_A}\n`);
      const file = config(
        'push.yaml',
        `push:\n  interval: 500ms\n  wal: { dir: wal, fsync: always }\n  targets:\n    - { name: province, url: "${server.url}/api/v1/write", bearer_token_file: agent.token, timeout: 2s }\n` +
          `checks:\n  - { id: port, kind: tcp, target: "127.0.0.1:${tcpPort}", interval: 1s, timeout: 500ms }\n`,
      );
      const agent = spawn(exe(), ['--config', file], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CENTERWATCH_NATIVE_DIR: nativeDir() } });
      let log = '';
      agent.stderr.on('data', (c: Buffer) => (log += c.toString()));
      try {
        const metrics = await eventually(
          async () => {
            const text = await (await fetch(`${server.url}/metrics`)).text();
            const series = Number(/^centerwatch_server_series (\d+)/m.exec(text)?.[1] ?? 0);
            return series > 0 && /^centerwatch_ingest_samples_total [1-9]/m.test(text) ? text : undefined;
          },
          20_000,
          'the series on the server',
        );
        expect(metrics).toMatch(/^centerwatch_server_agents 1$/m);
        expect(readdirSync(join(dir, 'wal')).length).toBeGreaterThan(0);
        // Extracted once, named by its content hash.
        expect(readdirSync(nativeDir())).toEqual([expect.stringMatching(/^snappy-[0-9a-f]{16}\.node$/)]);
      } finally {
        const exited = new Promise((r) => agent.once('exit', r));
        agent.kill('SIGTERM');
        await exited;
      }
      expect(log).not.toMatch(/"level":"(error|fatal)"/);
    }, 60_000);
  });
});
