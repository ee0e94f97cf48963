import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPORT_HEADERS } from '../../common/enrolment.js';
import type { Logger } from '../../common/log.js';
import { agentVersion } from '../../common/version.js';
import { startFakeProvince, renderedYaml, type FakeProvince } from '../../test/helpers/fake-province.js';
import { Agent } from '../agent.js';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { composeEnrolledConfig } from './compose.js';
import { prepareConfig } from './prepare.js';
import { CONFIRM_AFTER_APPLY_MS, ConfigSync, nextFetchDelayMs, type ConfigSyncOptions } from './sync.js';

const TCP = '  - { id: web, kind: tcp, target: "127.0.0.1:9", interval: 30s }\n';
const TWO = `${TCP}  - { id: web2, kind: tcp, target: "127.0.0.1:10", interval: 30s }\n`;

let dir: string;
let file: string;
let province: FakeProvince;
let token: string;

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(`${level} ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

/** An enrolled agent's file as enroll leaves it: a revision of a profile (or none), the token beside it. */
function enrolledFile(checks: string, revision?: string): AgentConfig {
  writeFileSync(join(dir, 'agent.token'), `${token}\n`, { mode: 0o600 });
  writeFileSync(
    file,
    composeEnrolledConfig(renderedYaml(checks), { server: province.url, token_file: 'agent.token', ...(revision ? { profile: 'ward', revision } : {}) }),
  );
  return loadAgentConfig(file);
}

function makeSync(config: AgentConfig, extra: Partial<ConfigSyncOptions> = {}) {
  const applied: AgentConfig[] = [];
  let rejected = 0;
  const log = recordingLog();
  const sync = new ConfigSync({
    file,
    config,
    apply: (c) => {
      applied.push(c);
      return Promise.resolve();
    },
    rejected: () => rejected++,
    backlog: () => 42,
    log,
    ...extra,
  });
  return { sync, applied, log, rejected: () => rejected };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cw-sync-'));
  file = join(dir, 'agent.yaml');
  province = await startFakeProvince();
  token = 'tok-test-0123456789abcdef0123456789';
  province.tokens.add(token);
});
afterEach(async () => {
  await province.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('nextFetchDelayMs', () => {
  it("is the server's interval ±10 %, bounded to [1 s, 1 day]", () => {
    expect(nextFetchDelayMs(300_000, () => 0)).toBe(270_000);
    expect(nextFetchDelayMs(300_000, () => 0.5)).toBe(300_000);
    expect(nextFetchDelayMs(300_000, () => 1)).toBe(330_000);
    expect(nextFetchDelayMs(0, () => 0.5)).toBe(1_000);
    expect(nextFetchDelayMs(10 * 86_400_000, () => 0.5)).toBe(86_400_000);
  });

  it('after fetches the server did not answer: 5 s doubling, never past the interval', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 30].map((n) => nextFetchDelayMs(300_000, () => 0.5, n))).toEqual([5000, 10000, 20000, 40000, 80000, 160000, 300000, 300000]);
    expect(nextFetchDelayMs(2000, () => 0.5, 3)).toBe(2000);
  });
});

describe('prepareConfig', () => {
  it('writes the composed file beside the destination and loads it; problems name the destination, and the temp file is gone', () => {
    writeFileSync(join(dir, 'agent.token'), `${token}\n`);
    const central = { server: province.url, token_file: 'agent.token', profile: 'ward', revision: 'ab12' };
    const good = prepareConfig(file, renderedYaml(TCP), central);
    expect(good.ok).toBe(true);
    if (!good.ok) return;
    expect(good.config.checks.map((c) => c.id)).toEqual(['web']);
    expect(good.config.central).toMatchObject({ revision: 'ab12', token_file: join(dir, 'agent.token') });
    good.staged.commit();
    expect(readFileSync(file, 'utf8')).toContain('revision: ab12');

    const bad = prepareConfig(file, renderedYaml('  - { id: x, kind: telepathy, target: a }\n'), { ...central, revision: 'cd34' });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems).toEqual([expect.stringMatching(/agent\.yaml:\d+:\d+: checks\[0\]\.kind: unknown kind "telepathy"/)]);
    expect(bad.problems.join()).not.toMatch(/\.tmp/);
    expect(readFileSync(file, 'utf8')).toContain('revision: ab12');
  });
});

describe('the running revision on /metrics', () => {
  it('is a label of centerwatch_agent_info (left out before the first central config)', async () => {
    const log = recordingLog();
    const plain = new Agent(enrolledFile(TCP), log);
    expect(await plain.metrics.registry.getSingleMetricAsString('centerwatch_agent_info')).toMatch(/^centerwatch_agent_info\{version="[^"]+"\} 1$/m);
    const enrolled = new Agent(enrolledFile(TCP, 'a1'), log);
    expect(await enrolled.metrics.registry.getSingleMetricAsString('centerwatch_agent_info')).toMatch(
      /^centerwatch_agent_info\{version="[^"]+",revision="a1"\} 1$/m,
    );
  });
});

describe('ConfigSync against a loopback province server', () => {
  it('fetches with the token and REPORT_HEADERS; a new revision is written (0600) and applied; the same revision then answers 304', async () => {
    const { sync, applied } = makeSync(enrolledFile(''));
    province.profile = { name: 'ward', revision: 'a1', yaml: renderedYaml(TCP) };
    expect(await sync.fetchOnce()).toBe('applied');
    const first = province.requests[0]!;
    expect(first.headers.authorization).toBe(`Bearer ${token}`);
    expect(first.headers['if-none-match']).toBeUndefined();
    expect(first.headers[REPORT_HEADERS.version]).toBe(agentVersion());
    expect(first.headers[REPORT_HEADERS.platform]).toBe(process.platform === 'win32' ? 'win32' : 'linux');
    expect(first.headers[REPORT_HEADERS.revision]).toBe('');
    expect(first.headers[REPORT_HEADERS.backlog]).toBe('42');
    expect(applied.map((c) => [c.central?.revision, c.checks.length])).toEqual([['a1', 1]]);
    expect(loadAgentConfig(file).central).toMatchObject({ profile: 'ward', revision: 'a1', token_file: join(dir, 'agent.token') });
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);

    expect(await sync.fetchOnce()).toBe('unchanged');
    expect(province.requests[1]!.headers['if-none-match']).toBe('"a1"');
    expect(province.requests[1]!.headers[REPORT_HEADERS.revision]).toBe('a1');
    expect(applied).toHaveLength(1);
  });

  it('a revision that does not load is refused once: reported with its problems, the file and running config kept, not retried until it changes', async () => {
    const { sync, applied, log, rejected } = makeSync(enrolledFile(TCP, 'a1'));
    const before = readFileSync(file, 'utf8');
    province.profile = { name: 'ward', revision: 'b2', yaml: renderedYaml('  - { id: x, kind: telepathy, target: a }\n') };
    expect(await sync.fetchOnce()).toBe('refused');
    expect(rejected()).toBe(1);
    expect(applied).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(province.reports).toEqual([
      { revision: 'b2', problems: [expect.stringMatching(/^\S*agent\.yaml:\d+:\d+: checks\[0\]\.kind: unknown kind "telepathy"/)] },
    ]);
    const report = province.requests.find((r) => r.method === 'POST')!;
    expect(report.headers.authorization).toBe(`Bearer ${token}`);
    expect(report.headers[REPORT_HEADERS.revision]).toBe('a1');

    expect(await sync.fetchOnce()).toBe('refused_before');
    expect(await sync.fetchOnce()).toBe('refused_before');
    expect(province.reports).toHaveLength(1);
    expect(log.lines.filter((l) => l.startsWith('error central config refused'))).toHaveLength(1);

    province.profile = { name: 'ward', revision: 'c3', yaml: renderedYaml(TWO) };
    expect(await sync.fetchOnce()).toBe('applied');
    expect(applied.map((c) => c.checks.length)).toEqual([2]);
    expect(sync.revision).toBe('c3');
  });

  it('a server that is down is said once per outage, and again when it answers; the file stays', async () => {
    const { sync, log } = makeSync(enrolledFile(TCP, 'a1'));
    const before = readFileSync(file, 'utf8');
    const port = province.port;
    await province.close();
    for (let i = 0; i < 3; i++) expect(await sync.fetchOnce()).toBe('unreachable');
    expect(log.lines.filter((l) => l.includes('unreachable'))).toEqual([
      `warn province server unreachable: connection refused; running from ${file} until it answers`,
    ]);
    province = await startFakeProvince(port);
    province.tokens.add(token);
    province.failWith = { status: 503 };
    expect(await sync.fetchOnce()).toBe('server_error');
    expect(log.lines.filter((l) => l.includes('unreachable') || l.includes('503'))).toHaveLength(1);
    province.failWith = undefined;
    province.profile = { name: 'ward', revision: 'a1', yaml: renderedYaml(TCP) };
    expect(await sync.fetchOnce()).toBe('unchanged');
    expect(log.lines.at(-1)).toBe('info province server answers again; central config up to date {"revision":"a1"}');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('reads the token at each request (a re-enrolment takes effect, for pushes too); a revoked token is said once and the agent keeps running', async () => {
    const { sync, log, applied } = makeSync(enrolledFile(TCP, 'a1'));
    province.profile = { name: 'ward', revision: 'a1', yaml: renderedYaml(TCP) };
    expect(await sync.fetchOnce()).toBe('unchanged');
    province.tokens.delete(token);
    expect(await sync.fetchOnce()).toBe('unauthorized');
    expect(await sync.fetchOnce()).toBe('unauthorized');
    expect(log.lines.filter((l) => l.startsWith('error'))).toEqual([
      `error province server refuses this agent's token (token revoked or unknown); running from ${file}`,
    ]);
    const fresh = 'tok-again-0123456789abcdef0123456789';
    province.tokens.add(fresh);
    writeFileSync(join(dir, 'agent.token'), `${fresh}\n`);
    expect(await sync.fetchOnce()).toBe('unchanged');
    expect(province.requests.at(-1)!.headers.authorization).toBe(`Bearer ${fresh}`);
    // The push target read its token at load: the file is loaded again, so pushes carry the new one too.
    expect(applied.map((c) => c.push?.targets[0]?.bearer_token)).toEqual([fresh]);
    expect(log.lines).toContain('info token changed (enrolled again): config reloaded from its file {"revision":"a1"}');
    expect(log.lines.join('\n')).not.toContain(fresh);
    expect(log.lines.join('\n')).not.toContain(token);
  });

  it('no profile yet (404) and a profile that cannot render (409) are said once each, with the problems', async () => {
    const { sync, log } = makeSync(enrolledFile(''));
    expect(await sync.fetchOnce()).toBe('no_profile');
    expect(await sync.fetchOnce()).toBe('no_profile');
    province.profile = { name: 'ward', revision: 'a1', yaml: renderedYaml(TCP) };
    const real = province.requests.length;
    province.failWith = { status: 409 };
    expect(await sync.fetchOnce()).toBe('unrenderable');
    expect(province.requests.length).toBe(real + 1);
    expect(log.lines).toEqual([
      `info no profile applies to this agent yet (no profile applies to this agent); running from ${file}`,
      `error the province's profile cannot be rendered for this agent (server trouble); running from ${file} {"problems":[]}`,
    ]);
  });

  it('after applying a new config it fetches again at once, saying the revision it now runs, then waits the interval', async () => {
    const { sync } = makeSync(enrolledFile(TCP, 'a1'), { random: () => 0.5 });
    province.profile = { name: 'ward', revision: 'a2', yaml: renderedYaml(TWO) };
    province.fetchIntervalMs = 60_000;
    sync.start();
    try {
      const t0 = Date.now();
      while (province.requests.length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
      expect(province.requests.map((r) => r.headers[REPORT_HEADERS.revision])).toEqual(['a1', 'a2']);
      expect(Date.now() - t0).toBeLessThan(CONFIRM_AFTER_APPLY_MS + 1500);
      await new Promise((r) => setTimeout(r, 1500));
      expect(province.requests).toHaveLength(2);
    } finally {
      await sync.stop();
    }
  });

  it("takes the fetch interval from the server's header and fetches again on its own", async () => {
    const { sync } = makeSync(enrolledFile(TCP, 'a1'), { random: () => 0.5 });
    province.profile = { name: 'ward', revision: 'a1', yaml: renderedYaml(TCP) };
    province.fetchIntervalMs = 1000;
    sync.start();
    try {
      const t0 = Date.now();
      while (province.requests.length < 3 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
      expect(province.requests.length).toBeGreaterThanOrEqual(3);
      // The first at once, then one per second.
      expect(Date.now() - t0).toBeGreaterThan(1800);
    } finally {
      await sync.stop();
    }
    const n = province.requests.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(province.requests.length).toBe(n);
  });
});
