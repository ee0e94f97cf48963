/**
 * The in-process Agent with a push section: it pushes to a remote_write receiver on loopback, a reload
 * that changes the push section moves the pushes to the new target, and stop() leaves nothing pushing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.js';
import { parseAgentConfig } from '../../agent/config/load.js';
import { createLogger } from '../../common/log.js';
import { eventually } from '../helpers/bins.js';
import { startRecorder, type RemoteWriteRecorder } from '../helpers/prometheus.js';

const TOKEN = 'reload-token-abcdef0123456789';

describe('push from the in-process agent', () => {
  let dir: string;
  let tcp: Server;
  let first: RemoteWriteRecorder;
  let second: RemoteWriteRecorder;
  let agent: Agent | undefined;
  const logLines: string[] = [];

  const config = (url: string): string =>
    `center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: pc-1, listen: "127.0.0.1:0" }\n` +
    `push:\n  interval: 300ms\n  wal: { dir: wal, fsync: never }\n  targets:\n    - { name: province, url: "${url}", bearer_token_file: token }\n` +
    `checks:\n  - { id: tcp-local, kind: tcp, target: "127.0.0.1:${(tcp.address() as { port: number }).port}", interval: 300ms, timeout: 200ms }\n`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-push-reload-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    tcp = createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    first = await startRecorder();
    second = await startRecorder();
  });
  afterAll(async () => {
    await agent?.stop();
    await first?.close();
    await second?.close();
    tcp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes with the bearer token, moves to a new target on reload, and stops pushing on stop', async () => {
    const file = join(dir, 'agent.yaml');
    agent = new Agent(
      parseAgentConfig(config(first.writeUrl), file, {}),
      createLogger('debug', {}, (l) => logLines.push(l)),
    );
    await agent.start();
    const probe = { __name__: 'centerwatch_probe_success', check: 'tcp-local' };
    await eventually(async () => (first.timestamps(probe).size >= 2 ? true : undefined), 15_000, 'pushes at the first target');
    expect(first.lastHeaders.authorization).toBe(`Bearer ${TOKEN}`);
    expect(first.lastHeaders['content-encoding']).toBe('snappy');
    expect(first.lastHeaders['x-prometheus-remote-write-version']).toBe('0.1.0');

    await agent.reload(parseAgentConfig(config(second.writeUrl), file, {}));
    await eventually(async () => (second.timestamps(probe).size >= 2 ? true : undefined), 15_000, 'pushes at the second target');
    const firstCount = first.received.length;
    // The WAL has a cursor per target name; the name is unchanged, so the second target does not get
    // the first one's history again: only what was collected after the first target had it.
    const newest = Math.max(...first.timestamps(probe));
    await new Promise((r) => setTimeout(r, 1000));
    expect(first.received.length).toBe(firstCount);
    expect(Math.min(...second.timestamps(probe))).toBeGreaterThanOrEqual(newest);

    await agent.stop();
    agent = undefined;
    const secondCount = second.received.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(second.received.length).toBe(secondCount);
    expect(logLines.join('')).not.toContain(TOKEN);
  }, 60_000);

  it('goes on probing when a reloaded push section cannot start', async () => {
    const file = join(dir, 'agent2.yaml');
    agent = new Agent(
      parseAgentConfig(config(first.writeUrl).replace('dir: wal', 'dir: wal2'), file, {}),
      createLogger('debug', {}, (l) => logLines.push(l)),
    );
    await agent.start();
    const broken = config(first.writeUrl)
      .replace('dir: wal', 'dir: wal2')
      .replace('bearer_token_file: token', 'bearer_token_file: token, ca_file: no-such-ca.pem');
    await expect(agent.reload(parseAgentConfig(broken, file, {}))).resolves.toBeUndefined();
    expect(logLines.join('')).toContain('push not started; probing goes on without it');
    const runs = async (): Promise<number> => {
      const m = (await agent!.metrics.registry.getMetricsAsJSON()).find((x) => x.name === 'centerwatch_probe_runs_total');
      return m!.values.filter((v) => v.labels.check === 'tcp-local').reduce((n, v) => n + v.value, 0);
    };
    await eventually(async () => ((await runs()) >= 2 ? true : undefined), 10_000, 'probe runs after the reload');
    await agent.stop();
    agent = undefined;
  }, 30_000);
});
