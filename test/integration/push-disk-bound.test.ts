/**
 * The agent's WAL with a small bound while its target is down: the WAL never grows past the bound,
 * the oldest batches go first, and what was dropped is counted in the agent's metrics.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort } from '../helpers/prometheus.js';
import { closedPort } from '../helpers/sockets.js';

const MAX_BYTES = 1024 * 1024;

function walBytes(dir: string): number {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.seg'))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

describe('agent WAL bound with the server down', () => {
  let dir: string;
  let agent: RunningBin;
  let agentPort: number;

  beforeAll(async () => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-disk-bound-'));
    agentPort = await freePort();
    const down = await closedPort();
    writeFileSync(join(dir, 'token'), 'disk-bound-test-token-0123456789\n');
    // Fast pushes of a host check's ~30 series fill 1 MiB in seconds.
    writeFileSync(
      join(dir, 'agent.yaml'),
      `center: { id: c, name: "C", province: quang-ngai }\nagent: { id: a, listen: "127.0.0.1:${agentPort}" }\n` +
        `push:\n  interval: 10ms\n  wal: { dir: wal, max_size: ${MAX_BYTES}, fsync: never }\n  targets:\n    - { name: province, url: "http://127.0.0.1:${down}/api/v1/write", bearer_token_file: token, timeout: 1s }\n` +
        `checks:\n  - { id: host, kind: host, interval: 1s, timeout: 1s }\n`,
    );
    agent = startBin('centerwatch-agent', ['--config', join(dir, 'agent.yaml')]);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stays within max_size while dropping the oldest batches and counting them', async () => {
    const walDir = join(dir, 'wal');
    let largest = 0;
    const metric = async (name: string, labels = ''): Promise<number | undefined> => {
      const text = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
      const m = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    const dropped = await eventually(
      async () => {
        largest = Math.max(largest, walBytes(walDir));
        const d = await metric('centerwatch_agent_wal_dropped_samples_total', 'reason="size"');
        return d !== undefined && d > 0 ? d : undefined;
      },
      45_000,
      'the WAL to reach its bound and drop',
    );
    // Keep watching a while after the first drop: the bound holds in the steady state too.
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      largest = Math.max(largest, walBytes(walDir));
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = (await metric('centerwatch_agent_wal_dropped_samples_total', 'reason="size"'))!;
    console.log(`WAL bound ${MAX_BYTES} B: largest seen ${largest} B; dropped samples ${dropped} → ${after}`);
    expect(largest).toBeLessThanOrEqual(MAX_BYTES + 64 * 1024);
    expect(after).toBeGreaterThan(dropped);
    expect(await metric('centerwatch_agent_wal_bytes')).toBeLessThanOrEqual(MAX_BYTES + 64 * 1024);
    // The agent kept probing all along.
    expect(agent.child.exitCode).toBeNull();
  }, 90_000);
});
