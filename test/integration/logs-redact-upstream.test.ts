/**
 * An upstream that repeats the request's credentials in its error body (400 and 503) must not get them
 * into our logs: the agent pushing to it and the server forwarding to it run as processes (logging at
 * debug to stderr) with bearer tokens from files, and their whole output never holds a token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/prometheus.js';
import { auth, body, post, series } from './server-harness.js';

const AGENT_PUSH_TOKEN = 'Agent-Push-T0ken-4e1f9b2c7d';
const FORWARD_TOKEN = 'Forward-Upstream-T0ken-8a3c5e';
const ENROL_TOKEN = 'Server-Enrol-T0ken-0123456789abc';
const TOKENS = [AGENT_PUSH_TOKEN, FORWARD_TOKEN, ENROL_TOKEN];

/** Answers every request with `status` and a body repeating its Authorization header (and a copy as JSON). */
async function echoing(status: number): Promise<{ server: Server; url: string; requests: number }> {
  const u = { server: undefined as unknown as Server, url: '', requests: 0 };
  u.server = createServer((req, res) => {
    u.requests++;
    req.resume();
    req.on('end', () => res.writeHead(status).end(`rejected ${req.headers.authorization}: {"token":"${req.headers.authorization?.slice(7)}"}`));
  });
  await new Promise<void>((r) => u.server.listen(0, '127.0.0.1', r));
  u.url = `http://127.0.0.1:${(u.server.address() as { port: number }).port}/api/v1/write`;
  return u;
}

function run(args: string[]): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('credentials an upstream echoes back never reach a log', () => {
  let dir: string;
  let up400: Awaited<ReturnType<typeof echoing>>;
  let up503: Awaited<ReturnType<typeof echoing>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-redact-'));
    up400 = await echoing(400);
    up503 = await echoing(503);
    writeFileSync(join(dir, 'push.token'), `${AGENT_PUSH_TOKEN}\n`);
    writeFileSync(join(dir, 'forward.token'), `${FORWARD_TOKEN}\n`);
    writeFileSync(join(dir, 'enrol.token'), `${ENROL_TOKEN}\n`);
  });
  afterAll(() => {
    for (const u of [up400, up503]) {
      u?.server.closeAllConnections();
      u?.server.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the agent pushing to them', async () => {
    const closed = await freePort();
    writeFileSync(
      join(dir, 'agent.yaml'),
      `center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: a1, listen: "127.0.0.1:0", log_level: debug }\n` +
        `push:\n  interval: 1s\n  wal: { dir: agent-wal, fsync: never }\n  targets:\n` +
        `    - { name: echo400, url: "${up400.url}", bearer_token_file: push.token, timeout: 2s }\n` +
        `    - { name: echo503, url: "${up503.url}", bearer_token_file: push.token, timeout: 2s }\n` +
        `checks:\n  - { id: tcp-closed, kind: tcp, target: "127.0.0.1:${closed}", interval: 1s, timeout: 500ms }\n`,
    );
    const agent = run(['agent/cli.ts', '--config', join(dir, 'agent.yaml')]);
    try {
      await expect.poll(() => agent.output(), { timeout: 30_000, interval: 250 }).toMatch(/"target":"echo400".*"detail":"[^"]*rejected Bearer \[REDACTED\]/);
      await expect.poll(() => up503.requests, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    } finally {
      await agent.stop();
    }
    for (const t of TOKENS) expect(agent.output()).not.toContain(t);
  }, 60_000);

  it('the server forwarding to them', async () => {
    const port = await freePort();
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: 127.0.0.1:${port}\ndata_dir: server-data\nlog_level: debug\n` +
        `tokens:\n  - { id: t1, token_file: enrol.token, province: p1, center: c1, agent: a1 }\n` +
        `forward:\n  - { name: echo400, url: "${up400.url}", bearer_token_file: forward.token, timeout: 2s }\n` +
        `  - { name: echo503, url: "${up503.url}", bearer_token_file: forward.token, timeout: 2s }\n`,
    );
    const server = run(['server/cli.ts', '--config', join(dir, 'server.yaml')]);
    try {
      await expect.poll(() => server.output(), { timeout: 30_000, interval: 250 }).toContain('"msg":"server listening"');
      const before503 = up503.requests;
      const batch = body([series({ __name__: 'cw_a', check: 'x' }), series({ __name__: 'cw_b', check: 'y' })]);
      expect((await post(`http://127.0.0.1:${port}`, batch, auth(ENROL_TOKEN))).status).toBe(204);
      await expect.poll(() => server.output(), { timeout: 15_000, interval: 250 }).toMatch(/"target":"echo400".*"detail":"[^"]*rejected Bearer \[REDACTED\]/);
      await expect.poll(() => up503.requests, { timeout: 10_000 }).toBeGreaterThanOrEqual(before503 + 2);
    } finally {
      await server.stop();
    }
    for (const t of TOKENS) expect(server.output()).not.toContain(t);
  }, 60_000);
});
