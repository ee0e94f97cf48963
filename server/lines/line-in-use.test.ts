/**
 * Which line a center is on, from its agents' source addresses in a real LatestState; and the warning
 * when it moves to a backup line, through the engine's real path (runtime, SQLite store, outbox).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import type { TimeSeries } from '../../common/remote-write/proto.js';
import { engineConfigSchema } from '../config/engine-schema.js';
import { EngineRuntime } from '../engine/runtime.js';
import type { InventoryLine } from '../fleet/types.js';
import { LineInUse, UNKNOWN_LINE } from './line-in-use.js';
import { LatestState } from '../state.js';
import { openSqliteStore, type Store } from '../store/store.js';

const MIN = 60_000;
/** 14:00 Friday 27/11/2026, UTC+7: office hours. */
const T0 = Date.UTC(2026, 10, 27, 7, 0);
const FIBER = '113.160.12.34';
const FOURG = '27.64.3.9';
const LINES: InventoryLine[] = [
  { name: 'fiber-vnpt', kind: 'fiber', isp: 'VNPT', public: [FIBER] },
  { name: '4g-viettel', kind: '4g', isp: 'Viettel', public: ['27.64.0.0/12'] },
];

function series(agent: string, ts: number): TimeSeries[] {
  const all = { __name__: 'centerwatch_center_info', province: 'qng', center: 'sa-huynh', agent, name: 'Phường Sa Huỳnh' };
  return [{ labels: Object.entries(all).map(([name, value]) => ({ name, value })), samples: [{ value: 1, timestampMs: ts }] }];
}

describe('the line a center is on', () => {
  let state: LatestState;
  const inventory = new Map([['sa-huynh', LINES]]);
  const push = (agent: string, address: string | undefined, now: number) =>
    state.apply({ province: 'qng', center: 'sa-huynh', agent, address }, series(agent, now), now);

  beforeEach(() => {
    state = new LatestState(100);
  });

  it('records each agent’s source address and when it first came from it', () => {
    push('pc1', FIBER, T0);
    push('pc1', FIBER, T0 + 15_000);
    expect(state.agents()).toEqual([expect.objectContaining({ agent: 'pc1', address: FIBER, addressSinceMs: T0, lastHeardMs: T0 + 15_000 })]);
    push('pc1', FOURG, T0 + 30_000);
    push('pc1', undefined, T0 + 45_000);
    expect(state.agents()[0]).toMatchObject({ address: FOURG, addressSinceMs: T0 + 30_000, lastHeardMs: T0 + 45_000 });
  });

  it('is on line X since T: the line of the latest push, its time kept across pushes from the same line', () => {
    const lines = new LineInUse(state, () => inventory);
    push('pc1', FIBER, T0);
    push('pc2', FIBER, T0 + 5000);
    expect(lines.read().get('sa-huynh')).toMatchObject({ name: 'fiber-vnpt', kind: 'fiber', isp: 'VNPT', main: true, sinceMs: T0, address: FIBER });
    push('pc1', FOURG, T0 + 60_000);
    push('pc1', FOURG, T0 + 75_000);
    expect(lines.read().get('sa-huynh')).toMatchObject({ name: '4g-viettel', main: false, sinceMs: T0 + 60_000 });
    // pc2's kept-alive connection from before the failover, heard last: it decides, from now on.
    push('pc2', FIBER, T0 + 80_000);
    expect(lines.read().get('sa-huynh')).toMatchObject({ name: 'fiber-vnpt', sinceMs: T0 + 80_000 });
    push('pc1', '198.51.100.7', T0 + 90_000);
    expect(lines.read().get('sa-huynh')).toMatchObject({ name: UNKNOWN_LINE, main: false, sinceMs: T0 + 90_000 });
    expect(lines.read().get('sa-huynh')!.kind).toBeUndefined();
  });

  it('says nothing of a center whose lines list no public address, or that the inventory does not know', () => {
    const lines = new LineInUse(state, () => new Map([['sa-huynh', [{ name: 'inet1', kind: 'fiber', isp: 'VNPT' }]]]));
    push('pc1', FIBER, T0);
    state.apply({ province: 'qng', center: 'elsewhere', agent: 'pc1', address: FIBER }, [], T0);
    expect(lines.read().size).toBe(0);
    expect(lines.checks()).toEqual([]);
  });
});

describe('the warning of a center on its backup line', () => {
  let dir: string;
  let store: Store;
  let state: LatestState;
  let now: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-line-'));
    store = openSqliteStore(join(dir, 'engine.sqlite'));
    state = new LatestState(100);
    now = T0;
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ROUTES = [{ name: 'oncall', channel: 'webhook', options: { url: 'http://127.0.0.1:9/hook' } }];

  /** The runtime with the server's line-in-use results, and `run(address, ms)`: pc1 pushes from it and the engine ticks every 5 s. */
  function engine(cfg: Record<string, unknown>) {
    const lines = new LineInUse(state, () => new Map([['sa-huynh', LINES]]));
    const rt = new EngineRuntime({
      cfg: engineConfigSchema.parse(cfg),
      tokens: [],
      state,
      store,
      log: createLogger('error'),
      serverChecks: () => lines.checks(),
      now: () => now,
    });
    const run = (address: string, ms: number) => {
      for (const end = now + ms; now < end; now += 5000) {
        state.apply({ province: 'qng', center: 'sa-huynh', agent: 'pc1', address }, series('pc1', now), now);
        rt.tick();
      }
    };
    return { rt, run };
  }

  it('fires once on the move to the backup naming the dead main line, resolves once on the move back; the center is degraded meanwhile', () => {
    const { rt, run } = engine({ routes: ROUTES });
    const outbox = () =>
      store
        .due(Number.MAX_SAFE_INTEGER, 100)
        .map((m) => (m.payload as { event: { key: string; status: string; severity: string; summary: { vi: string; en: string } } }).event);

    run(FIBER, 2 * MIN);
    expect(outbox()).toEqual([]);
    run(FOURG, 10 * MIN);
    const fired = outbox();
    expect(fired.map((e) => [e.key.replace(/@\d+/, ''), e.severity])).toEqual([['check:sa-huynh//line-in-use:firing', 'warning']]);
    expect(fired[0]!.summary).toEqual({
      vi: 'đang chạy bằng đường dự phòng 4G Viettel: đường chính Cáp quang VNPT có thể đã mất',
      en: 'running on the backup line 4G Viettel: the main line Fiber VNPT may be down',
    });
    const center = rt.state.centers.get('sa-huynh')!;
    expect(center.settled.state).toBe('degraded');
    expect(center.reasons.map((r) => r.kind)).toEqual(['check_down']);

    run(FIBER, 10 * MIN);
    expect(outbox().map((e) => e.key.replace(/@\d+/, ''))).toEqual(['check:sa-huynh//line-in-use:firing', 'check:sa-huynh//line-in-use:resolved']);
    expect(rt.state.centers.get('sa-huynh')!.settled.state).toBe('ready');
    expect(store.firingAlerts()).toEqual([]);
  });

  it('a silence covers it like any alert', () => {
    const { run } = engine({ routes: ROUTES, silences: [{ matchers: ['check="line-in-use"'], comment: 'thay cáp' }] });
    run(FIBER, MIN);
    run(FOURG, 10 * MIN);
    expect(store.firingAlerts().map((a) => a.check)).toEqual(['line-in-use']);
    expect(store.due(Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
  });
});
