import { execFileSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METRIC } from '../../common/metrics.js';
import { commandExists } from '../../test/helpers/servers.js';
import { requireService } from '../../test/helpers/ctx.js';
import { CURRENT, fleetFixture, NASTY_VERSION, OLD, seedFleet, T0, type FleetFixture } from '../../test/support/fleet-fixture.js';
import { FLEET_METRIC_NAMES, registerFleetMetrics } from './metrics.js';

type Sample = { labels: Record<string, string | number>; value: number };

let fx: FleetFixture;
let registry: Registry;
const NOW = T0 + 86_400_000;

async function family(name: string): Promise<Sample[]> {
  const all = await registry.getMetricsAsJSON();
  const f = all.find((m) => m.name === name);
  expect(f, name).toBeDefined();
  return (f!.values as Sample[]).map((v) => ({ labels: v.labels, value: v.value }));
}

const byAgent = (samples: Sample[]): Record<string, number> => Object.fromEntries(samples.map((s) => [`${s.labels.center}/${s.labels.agent}`, s.value]));

beforeEach(() => {
  fx = fleetFixture();
  seedFleet(fx);
  registry = new Registry();
  registerFleetMetrics(registry, fx.deps);
});
afterEach(() => fx.close());

describe('fleet metrics', () => {
  it('registers exactly its families', async () => {
    expect((await registry.getMetricsAsJSON()).map((m) => m.name)).toEqual([...FLEET_METRIC_NAMES]);
  });

  it('centerwatch_fleet_agent_info: 1 per enrolled agent not revoked, with platform, version, running revision and state', async () => {
    const info = await family(METRIC.fleetAgentInfo);
    expect(info.every((s) => s.value === 1)).toBe(true);
    expect(info.map((s) => s.labels).sort((a, b) => String(a.agent).localeCompare(String(b.agent)))).toEqual([
      { province: 'quang-ngai', center: '21478', agent: 'kiosk', platform: 'linux', version: '0.1.0', revision: OLD, state: 'refused' },
      { province: 'ha-noi', center: '00004', agent: 'pc-1', platform: 'linux', version: '0.1.0', revision: '', state: 'no_profile' },
      { province: 'quang-ngai', center: '21480', agent: 'pc-new', platform: 'win32', version: '0.1.0', revision: '', state: 'never_seen' },
      { province: 'quang-ngai', center: '21478', agent: 'pc-ok', platform: 'win32', version: NASTY_VERSION, revision: CURRENT, state: 'ok' },
      { province: 'quang-ngai', center: '21478', agent: 'pc-old', platform: 'win32', version: '0.1.0', revision: OLD, state: 'outdated' },
      { province: 'quang-ngai', center: '21480', agent: 'pc-quiet', platform: 'win32', version: '0.1.0', revision: CURRENT, state: 'silent' },
    ]);
  });

  it('centerwatch_fleet_agent_config_current: 1 when it runs the revision it should, 0 otherwise, absent without a profile', async () => {
    expect(byAgent(await family(METRIC.fleetAgentConfigCurrent))).toEqual({
      '21478/kiosk': 0,
      '21478/pc-ok': 1,
      '21478/pc-old': 0,
      '21480/pc-new': 0,
      '21480/pc-quiet': 1,
    });
  });

  it('centerwatch_fleet_agent_last_seen_timestamp_seconds: the later of push and fetch, absent until first heard', async () => {
    expect(byAgent(await family(METRIC.fleetAgentLastSeenTimestampSeconds))).toEqual({
      '00004/pc-1': (NOW - 2_000) / 1000,
      '21478/kiosk': (NOW - 30_000) / 1000,
      '21478/pc-ok': (NOW - 5_000) / 1000,
      '21478/pc-old': (NOW - 20_000) / 1000,
      '21480/pc-quiet': (NOW - 40 * 60_000) / 1000,
    });
    // A push later than the last fetch moves it.
    fx.pushes.set('21478/pc-old', NOW - 1_000);
    expect(byAgent(await family(METRIC.fleetAgentLastSeenTimestampSeconds))['21478/pc-old']).toBe((NOW - 1_000) / 1000);
  });

  it('centerwatch_fleet_agent_backlog_samples: as each agent last said', async () => {
    expect(byAgent(await family(METRIC.fleetAgentBacklogSamples))).toEqual({ '21478/pc-ok': 0, '21478/pc-old': 1500, '21480/pc-quiet': 90_000 });
  });

  it('centerwatch_fleet_agents: every state, zeros included, revoked counted', async () => {
    const counts = Object.fromEntries((await family(METRIC.fleetAgents)).map((s) => [s.labels.state, s.value]));
    expect(counts).toEqual({ silent: 1, refused: 1, never_seen: 1, outdated: 1, no_profile: 1, ok: 1, revoked: 1 });
  });

  it('each scrape reads the store afresh: a new sighting, a revocation and the clock show at the next scrape', async () => {
    fx.store.fleet.sighted('21478/pc-old', { runningRevision: CURRENT, backlog: 0, atMs: NOW });
    fx.store.fleet.revokeAgent('21478/kiosk', NOW);
    fx.clock.now = NOW + 25_000; // pc-ok last heard 30 s ago, pc-1's push 27 s ago: still heard
    let counts = Object.fromEntries((await family(METRIC.fleetAgents)).map((s) => [s.labels.state, s.value]));
    expect(counts).toEqual({ silent: 1, refused: 0, never_seen: 1, outdated: 0, no_profile: 1, ok: 2, revoked: 2 });
    expect(byAgent(await family(METRIC.fleetAgentInfo))['21478/kiosk']).toBeUndefined();
    fx.clock.now = NOW + 60_000;
    counts = Object.fromEntries((await family(METRIC.fleetAgents)).map((s) => [s.labels.state, s.value]));
    expect(counts).toMatchObject({ silent: 4, ok: 0, no_profile: 0 });
  });

  it('an empty fleet: the counts are all 0, the per-agent families have no series', async () => {
    const empty = fleetFixture();
    const r = new Registry();
    registerFleetMetrics(r, empty.deps);
    const all = await r.getMetricsAsJSON();
    expect(all.find((m) => m.name === METRIC.fleetAgents)!.values.map((v) => v.value)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(all.filter((m) => m.name !== METRIC.fleetAgents).flatMap((m) => m.values)).toEqual([]);
    empty.close();
  });

  it('passes promtool check metrics', async (ctx) => {
    if (!requireService(commandExists('promtool'), 'promtool not installed (Debian package prometheus)')) return ctx.skip();
    const text = await registry.metrics();
    for (const name of FLEET_METRIC_NAMES) expect(text).toContain(`# HELP ${name} `);
    let out: string;
    try {
      out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    }
    expect(out.trim()).toBe('');
  });
});
