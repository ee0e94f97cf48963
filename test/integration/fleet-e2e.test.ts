/**
 * A province's rollout end to end with the real server bin: Quảng Ngãi's 96 communes imported from the
 * shipped national list, a profile stored, one code per center, 500 simulated agents enrolling at once
 * (real enrol requests, real tokens), fetching their configs and pushing; the fleet view shows every one
 * running the current revision; a profile change reaches all 500 within two fetch intervals (measured and
 * printed); a profile that would break some agents' configs is refused and nothing changes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolAll, runConfigFetches, type EnrolledSim, type RunningFetches } from '../../bench/simulator/enrolled.js';
import { runFleet, type Running } from '../../bench/simulator/run.js';
import { percentile } from '../../bench/simulator/stats.js';
import { buildBins, eventually, startBin, type RunningBin } from '../helpers/bins.js';
import { freePort, waitForHttp } from '../helpers/prometheus.js';

const AGENTS = 500;
const FETCH_S = 10;
const ADMIN = 'fleet-e2e-admin-token-0123456789';
const PROFILE = readFileSync(new URL('../../config/profiles/counter-pc.yaml', import.meta.url), 'utf8');

describe(`a province rollout: ${AGENTS} agents enrol, fetch and push against the server bin`, () => {
  let dir: string;
  let port: number;
  let server: RunningBin;
  let agents: EnrolledSim[] = [];
  let fetches: RunningFetches | undefined;
  let pushes: Running | undefined;
  const base = () => `http://127.0.0.1:${port}`;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['dist/centerwatch-server.mjs', ...args, '--config', join(dir, 'server.yaml')], { encoding: 'utf8' });
  const fleetView = async (): Promise<{
    agents: Array<{ id: string; state: string; runningRevision: string; currentRevision?: string }>;
    counts: Record<string, number>;
  }> => (await fetch(`${base()}/api/v1/agents`)).json() as never;

  beforeAll(async () => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-fleet-e2e-'));
    port = await freePort();
    writeFileSync(
      join(dir, 'server.yaml'),
      [
        `listen: 127.0.0.1:${port}`,
        'data_dir: data',
        'engine:',
        `  api_tokens: [{ id: it-officer, token: ${ADMIN} }]`,
        'fleet:',
        '  default_profile: counter-pc',
        `  fetch_interval: ${FETCH_S}s`,
        '  vars: { his_url: "https://127.0.0.1:8443/" }',
        '',
      ].join('\n'),
    );
  }, 120_000);

  afterAll(async () => {
    await fetches?.stop();
    await pushes?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports the province from the shipped list and stores the profile, from the command line', () => {
    const imported = cli('centers', 'import', '--province', '51');
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/created 96, updated 0, unchanged 0/);
    const again = cli('centers', 'import', '--province', '51');
    expect(again.stdout).toMatch(/created 0, updated 0, unchanged 96/);
    const profileFile = join(dir, 'counter-pc.yaml');
    writeFileSync(profileFile, PROFILE);
    const stored = cli('profiles', 'set', 'counter-pc', profileFile);
    expect(stored.status, stored.stderr).toBe(0);
    expect(stored.stdout).toMatch(/revision 1 stored/);
  });

  it(`${AGENTS} agents enrol concurrently, take their config and push; the fleet view shows each on the current revision`, async () => {
    server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
    await waitForHttp(`${base()}/healthz`);
    const centers = cli('centers', 'list', '--province', 'quang-ngai')
      .stdout.split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]!)
      .filter((c) => /^\d+$/.test(c));
    expect(centers).toHaveLength(96);
    // One code per center for all its machines; the first from the command line, the rest from the API.
    const perCenter = Math.ceil(AGENTS / centers.length);
    const codes = new Map<string, string>();
    const first = cli('enroll-code', '--center', centers[0]!, '--uses', String(perCenter));
    expect(first.status, first.stderr).toBe(0);
    codes.set(centers[0]!, first.stdout.split('\n')[0]!.trim());
    for (const c of centers.slice(1)) {
      const r = await fetch(`${base()}/api/v1/enroll-codes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ center: c, uses: perCenter }),
      });
      expect(r.status).toBe(201);
      codes.set(c, ((await r.json()) as { code: string }).code);
    }
    const machines = Array.from({ length: AGENTS }, (_, i) => {
      const center = centers[i % centers.length]!;
      return { center, name: `counter-${Math.floor(i / centers.length) + 1}`, code: codes.get(center)! };
    });
    const started = Date.now();
    const enrolled = await enrolAll(base(), machines, AGENTS);
    const took = Date.now() - started;
    expect(enrolled.refused).toEqual([]);
    agents = enrolled.agents;
    expect(agents).toHaveLength(AGENTS);
    const sorted = [...enrolled.latenciesMs].sort((a, b) => a - b);
    console.log(
      `${AGENTS} enrolments at once: all done in ${took} ms; latency p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p99 ${percentile(sorted, 0.99).toFixed(0)} ms`,
    );

    fetches = runConfigFetches(base(), agents);
    pushes = runFleet({ url: `${base()}/api/v1/write`, agents, seriesPerAgent: 20, intervalMs: 5000, sockets: 32 });
    let counts = {};
    const view = await eventually(
      async () => {
        const v = await fleetView();
        counts = v.counts;
        return v.counts.ok === AGENTS ? v : undefined;
      },
      4 * FETCH_S * 1000,
      `all ${AGENTS} agents ok in the fleet view`,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; states: ${JSON.stringify(counts)}`);
    });
    expect(view.agents).toHaveLength(AGENTS);
    for (const a of view.agents) expect(a.runningRevision).toBe(a.currentRevision);
    expect(new Set(agents.map((a) => a.revision)).size).toBeGreaterThan(1); // each center's own rendering
  }, 180_000);

  it('a profile change reaches all 500 within two fetch intervals', async () => {
    const before = new Map(agents.map((a) => [a.id, a.revision]));
    const changedFile = join(dir, 'counter-pc-2.yaml');
    writeFileSync(changedFile, PROFILE.replace('interval: 60s', 'interval: 45s'));
    const setAt = Date.now();
    const r = cli('profiles', 'set', 'counter-pc', changedFile);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`revision 2 stored; ${AGENTS} agents get it`));
    await eventually(
      async () => (agents.every((a) => a.revision !== before.get(a.id)) ? true : undefined),
      3 * FETCH_S * 1000,
      'every agent on the new revision',
    );
    const delays = agents.map((a) => a.tookAt.get(a.revision)! - setAt).sort((a, b) => a - b);
    console.log(
      `profile change reached ${AGENTS} agents: median ${(percentile(delays, 0.5) / 1000).toFixed(1)} s, last ${(delays.at(-1)! / 1000).toFixed(1)} s (fetch interval ${FETCH_S} s)`,
    );
    expect(delays.at(-1)!).toBeLessThanOrEqual(2 * FETCH_S * 1000);
    await eventually(
      async () => {
        const v = await fleetView();
        return v.counts.ok === AGENTS ? v : undefined;
      },
      2 * FETCH_S * 1000,
      'the fleet view with every agent on the new revision',
    );
  }, 120_000);

  it('a profile that would break some agents is refused, and nothing changes', async () => {
    const one = agents[0]!;
    const set = cli('agents', 'set-var', one.id, 'printer_ip=127.0.0.5');
    expect(set.status, set.stderr).toBe(0);
    const revisions = new Map(agents.map((a) => [a.id, a.revision]));
    const brokenFile = join(dir, 'counter-pc-broken.yaml');
    writeFileSync(brokenFile, PROFILE.replace('  - id: host', '  - id: printer-direct\n    kind: tcp\n    target: "{{ vars.printer_ip }}:9100"\n  - id: host'));
    const r = cli('profiles', 'set', 'counter-pc', brokenFile);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`refused, nothing changed: it does not load for ${AGENTS - 1} of ${AGENTS} agents`));
    expect(r.stderr).toMatch(/\d+\/counter-\d+: profiles\/counter-pc\.yaml:\d+:\d+: checks\[\d+\]\.target: \{\{ vars\.printer_ip \}\} has no value/);
    expect(cli('profiles', 'list').stdout).toMatch(/^counter-pc\s+2\s/m);
    // A whole interval later every agent still runs what it ran.
    await new Promise((res) => setTimeout(res, (FETCH_S + 2) * 1000));
    expect(agents.filter((a) => a.revision !== revisions.get(a.id)).map((a) => a.id)).toEqual([]);
  }, 60_000);
});
