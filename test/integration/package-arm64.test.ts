/**
 * The linux-arm64 single executable, run under qemu-user against Debian's arm64 C and C++ runtimes
 * (qemu-user-static, libc6-arm64-cross, libstdc++6-arm64-cross): it probes loopback servers and
 * pushes a batch compressed by its own embedded arm64 snappy add-on, which this process decodes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snappyUncompress } from '../../common/remote-write/snappy.js';
import { eventually } from '../helpers/bins.js';
import { requireService } from '../helpers/ctx.js';
import { packaged, run, type Packaged } from '../helpers/package.js';
import { commandExists, startHttp } from '../helpers/servers.js';

const SYSROOT = '/usr/aarch64-linux-gnu';
const available = commandExists('qemu-aarch64-static') && existsSync(`${SYSROOT}/lib/libc.so.6`) && existsSync(`${SYSROOT}/lib/libstdc++.so.6`);

describe.skipIf(
  !requireService(available, 'qemu-aarch64-static or the arm64 runtimes missing (Debian packages qemu-user-static, libc6-arm64-cross, libstdc++6-arm64-cross)'),
)('the linux-arm64 single executable under qemu-user', () => {
  let pkg: Packaged;
  let dir: string;
  let web: Awaited<ReturnType<typeof startHttp>>;
  let listener: Server;
  let tcpPort: number;
  const bodies: Buffer[] = [];
  const qemu = (...args: string[]) => ['-L', SYSROOT, pkg.exe['linux-arm64'], ...args];

  beforeAll(async () => {
    pkg = packaged();
    dir = mkdtempSync(join(tmpdir(), 'cw-package-arm64-'));
    web = await startHttp((req, res) => {
      if (req.method !== 'POST') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.headers['content-encoding'] === 'snappy') bodies.push(Buffer.concat(chunks));
        res.writeHead(204).end();
      });
    });
    listener = createServer((s) => s.end());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    tcpPort = (listener.address() as { port: number }).port;
  }, 600_000);

  afterAll(async () => {
    await web?.close();
    listener?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--once probes tcp and http on loopback', async () => {
    const file = join(dir, 'once.yaml');
    writeFileSync(
      file,
      'center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: pc1, listen: "127.0.0.1:0" }\nchecks:\n' +
        `  - { id: web, kind: http, target: "http://127.0.0.1:${web.port}/", timeout: 5s, options: { assertions: [ { source: json, path: status, op: eq, value: ok } ] } }\n` +
        `  - { id: port, kind: tcp, target: "127.0.0.1:${tcpPort}", timeout: 5s }\n`,
    );
    const r = await run('qemu-aarch64-static', qemu('--once', '--config', file), process.env, 60_000);
    expect(r.stdout, r.stderr).toMatch(/^web\s+http\s+.*\sUP\s+ok\s/m);
    expect(r.stdout).toMatch(/^port\s+tcp\s+.*\sUP\s+ok\s/m);
    expect(r.status).toBe(0);
  }, 90_000);

  it('pushes a remote_write batch compressed by its embedded arm64 snappy', async () => {
    const file = join(dir, 'push.yaml');
    writeFileSync(
      file,
      'center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: pc1, listen: "127.0.0.1:0" }\n' +
        `push:\n  interval: 1s\n  wal: { dir: wal }\n  targets:\n    - { name: t, url: "http://127.0.0.1:${web.port}/api/v1/write", timeout: 5s }\n` +
        `checks:\n  - { id: port, kind: tcp, target: "127.0.0.1:${tcpPort}", interval: 1s, timeout: 1s }\n`,
    );
    const agent = spawn('qemu-aarch64-static', qemu('--config', file), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CENTERWATCH_NATIVE_DIR: join(dir, 'native') },
    });
    let log = '';
    agent.stderr.on('data', (c: Buffer) => (log += c.toString()));
    try {
      const body = await eventually(async () => Promise.resolve(bodies[0]), 60_000, `a pushed batch (agent log: ${log.slice(-2000)})`);
      const decoded = snappyUncompress(body, 1 << 24);
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(decoded.body.toString('latin1')).toContain('centerwatch_probe_success');
    } finally {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});
