import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/config-errors.js';
import { loadServerConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-outside-in-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string) {
  const file = join(dir, 'server.yaml');
  writeFileSync(file, text);
  return loadServerConfig(file, {});
}

function problems(text: string): string[] {
  try {
    load(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').map((l) => l.replace(/^.*server\.yaml:/, ''));
    throw err;
  }
  throw new Error('config was accepted');
}

describe('server config: outside_in', () => {
  it('on by default, every 15 s, ICMP only, 2 s deadline, 256 at once', () => {
    expect(load('{}\n').outside_in).toEqual({ enabled: true, interval: 15_000, timeout: 2000, icmp: true, icmp_count: 3, tcp_ports: [], concurrency: 256 });
    expect(load('outside_in: { interval: 30s, timeout: 5s, tcp_ports: [443, 8443], icmp: false }\n').outside_in).toMatchObject({
      interval: 30_000,
      timeout: 5000,
      icmp: false,
      tcp_ports: [443, 8443],
    });
    expect(load('outside_in: { enabled: false, icmp: false }\n').outside_in.enabled).toBe(false);
  });

  it.each([
    ['outside_in: { timeout: 15s }', '1:24: outside_in.timeout: must be shorter than interval'],
    ['outside_in: { icmp: false }', '1:13: outside_in.tcp_ports: with icmp off, list at least one port, or nothing would be probed'],
    ['outside_in: { tcp_ports: [443, 443] }', '1:32: outside_in.tcp_ports[1]: port 443 is listed twice'],
    ['outside_in: { tcp_ports: [0] }', '1:27: outside_in.tcp_ports[0]: a port from 1 to 65535'],
    ['outside_in: { tcp_ports: [70000] }', '1:27: outside_in.tcp_ports[0]: a port from 1 to 65535'],
    ['outside_in: { concurrency: 0 }', '1:28: outside_in.concurrency: must be more than 0'],
    ['outside_in: { icmp_count: 0 }', '1:27: outside_in.icmp_count: at least 1'],
    ['outside_in: { interval: soon }', '1:25: outside_in.interval: invalid duration "soon" (use e.g. 500ms, 30s, 5m, 1h)'],
    ['outside_in: { address: 1.2.3.4 }', '1:15: outside_in.address: unknown key "address"'],
  ])('%s: %s', (text, message) => {
    expect(problems(`${text}\n`)).toContain(message);
  });
});
