import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/config-errors.js';
import { sha256Hex } from '../tokens.js';
import { loadServerConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-server-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, 'server.yaml');
  writeFileSync(file, text);
  return loadServerConfig(file, env);
}

function problems(text: string): string[] {
  try {
    load(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

describe('server config', () => {
  it("an empty file gets the defaults; data_dir is taken from the config file's folder", () => {
    const cfg = load('{}\n');
    expect(cfg.listen).toBe('127.0.0.1:9480');
    expect(cfg.data_dir).toBe(join(dir, 'data/server'));
    expect(cfg.tokens).toEqual([]);
    expect(cfg.forward).toEqual([]);
    expect(cfg.limits).toEqual({
      max_compressed_bytes: 4 * 2 ** 20,
      max_uncompressed_bytes: 32 * 2 ** 20,
      max_series_per_request: 10_000,
      max_labels_per_series: 30,
      max_samples_per_series: 1000,
      max_label_name_bytes: 128,
      max_label_value_bytes: 1024,
      max_series_per_agent: 5000,
      series_ttl: 3_600_000,
      sample_max_future: 600_000,
      sample_max_age: 73 * 3_600_000,
      max_agents_per_center: 64,
      max_series_per_center: 20_000,
    });
  });

  it('duplicate token ids, duplicate tokens and duplicate upstream names are refused', () => {
    const text = problems(`tokens:
  - { id: a, token: token-number-one-0123456789, province: p, center: c }
  - { id: a, token: token-number-two-0123456789, province: p, center: c }
  - { id: b, token: token-number-one-0123456789, province: p, center: c }
forward:
  - { name: x, url: "http://127.0.0.1:1/w" }
  - { name: x, url: "http://127.0.0.1:2/w" }
`).join('\n');
    expect(text).toMatch(/server\.yaml:3:\d+: tokens\[1\]\.id: duplicate token id "a"/);
    expect(text).toMatch(/server\.yaml:4:\d+: tokens\[2\]: same token as tokens\[0\]/);
    expect(text).toMatch(/server\.yaml:7:\d+: forward\[1\]\.name: duplicate forward name "x"/);
    expect(text).not.toContain('token-number');
  });

  it('a token_file is read and only its hash kept; sizes and durations take units', () => {
    writeFileSync(join(dir, 'a.token'), 'secret-token-of-agent-a-xyz\n');
    const cfg = load(`tokens:
  - { id: a, token_file: a.token, province: p, center: c, agent: pc1 }
  - { id: b, sha256: ${sha256Hex('another-token-0123456789')}, province: p, center: c }
limits: { max_compressed_bytes: 1MiB }
forward:
  - { name: prom, url: "http://127.0.0.1:9090/api/v1/write", timeout: 3s }
`);
    expect(cfg.tokens).toEqual([
      { id: 'a', sha256: sha256Hex('secret-token-of-agent-a-xyz'), province: 'p', center: 'c', agent: 'pc1' },
      { id: 'b', sha256: sha256Hex('another-token-0123456789'), province: 'p', center: 'c' },
    ]);
    expect(JSON.stringify(cfg)).not.toContain('secret-token-of-agent-a-xyz');
    expect(cfg.limits.max_compressed_bytes).toBe(2 ** 20);
    expect(cfg.forward[0]).toMatchObject({ name: 'prom', timeout: 3000 });
  });

  it('lists every problem as file:line:col: path: message, without echoing a secret', () => {
    const lines = problems(`listen: 9480
tokens:
  - { id: a, token: short-secret, province: p, center: c }
  - { id: a, sha256: "${'0'.repeat(64)}", token: also-a-secret-0123456789, province: p, center: c }
  - { id: c, token_file: missing.token, province: p, center: c }
forward:
  - { name: x, url: "http://user:pw@127.0.0.1:1/w" }
limits: { max_series_per_agent: 0 }
`);
    const text = lines.join('\n');
    expect(text).toMatch(/server\.yaml:1:9: listen: expected string, got number 9480/);
    expect(text).toMatch(/server\.yaml:3:\d+: tokens\[0\]\.token: at least 16 characters/);
    expect(text).toMatch(/server\.yaml:4:\d+: tokens\[1\].*exactly one of/);
    expect(text).toMatch(/server\.yaml:5:\d+: tokens\[2\]\.token_file: cannot read secret file "missing\.token"/);
    expect(text).toMatch(/server\.yaml:7:\d+: forward\[0\]\.url: credentials do not belong in the URL/);
    expect(text).toMatch(/server\.yaml:8:\d+: limits\.max_series_per_agent: must be more than 0/);
    expect(text).not.toContain('short-secret');
    expect(text).not.toContain('also-a-secret');
    expect(text).not.toMatch(/tokens\[2\]: set exactly one/); // the unreadable file is the one problem there
    expect(lines).toHaveLength(6);
  });

  it('config/server.yaml, the loopback default, loads; its demo token is config/local.token', () => {
    const file = new URL('../../config/server.yaml', import.meta.url).pathname;
    const cfg = loadServerConfig(file, {});
    expect(cfg.listen).toBe('127.0.0.1:9480');
    expect(cfg.forward).toEqual([]);
    const token = readFileSync(new URL('../../config/local.token', import.meta.url), 'utf8').trim();
    expect(cfg.tokens).toEqual([expect.objectContaining({ sha256: sha256Hex(token), agent: 'local' })]);
  });
});
