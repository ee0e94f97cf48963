/**
 * The runtime with a simulated clock: what agents push goes into a real LatestState, the store is a
 * real SQLite file; the outbox is read back to see what would be sent. Escalation, acknowledgement,
 * the morning digest and a restart on the same store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import type { TimeSeries } from '../../common/remote-write/proto.js';
import { engineConfigSchema } from '../config/engine-schema.js';
import type { TokenConfig } from '../config/schema.js';
import { LatestState } from '../state.js';
import { openSqliteStore, type Store } from '../store/store.js';
import { EngineRuntime } from './runtime.js';

const MIN = 60_000;
/** 08:00 Friday 27/11/2026, UTC+7. */
const T0 = Date.UTC(2026, 10, 27, 1, 0);
const TOKENS: TokenConfig[] = [{ id: 't', sha256: '0'.repeat(64), province: 'qng', center: 'sa-huynh', agent: 'pc1' }];
const log = createLogger('error');

const webhook = (name: string, extra: Record<string, unknown> = {}) => ({ name, channel: 'webhook', options: { url: `http://127.0.0.1:9/${name}` }, ...extra });

function series(name: string, labels: Record<string, string>, value: number, ts: number): TimeSeries {
  const all = { __name__: name, province: 'qng', center: 'sa-huynh', agent: 'pc1', ...labels };
  return {
    labels: Object.keys(all)
      .sort()
      .map((n) => ({ name: n, value: all[n as keyof typeof all] })),
    samples: [{ value, timestampMs: ts }],
  };
}

/** One push of the agent pc1: a printer check up or down. */
function push(state: LatestState, now: number, printerUp: boolean): void {
  const check = { check: 'printer-1', kind: 'printer', line: '' };
  state.apply(
    { province: 'qng', center: 'sa-huynh', agent: 'pc1' },
    [
      series('centerwatch_center_info', { name: 'Phường Sa Huỳnh' }, 1, now),
      series('centerwatch_check_info', { ...check, impact: 'degrading', group: '' }, 1, now),
      series('centerwatch_probe_success', check, printerUp ? 1 : 0, now),
      series('centerwatch_probe_degraded', check, 0, now),
    ],
    now,
  );
}

describe('engine runtime', () => {
  let dir: string;
  let store: Store;
  let now: number;
  let state: LatestState;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-runtime-'));
    store = openSqliteStore(join(dir, 'engine.sqlite'));
    now = T0;
    state = new LatestState(1000);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const runtime = (engine: Record<string, unknown>) =>
    new EngineRuntime({ cfg: engineConfigSchema.parse(engine), tokens: TOKENS, state, store, log, now: () => now });

  /** Pushes and evaluates every 5 s for `ms`. */
  const run = (rt: EngineRuntime, ms: number, printerUp: boolean) => {
    for (const end = now + ms; now < end; now += 5000) {
      push(state, now, printerUp);
      rt.tick();
    }
  };
  const outbox = () =>
    store.due(Number.MAX_SAFE_INTEGER, 100).map((m) => `${m.route} ${(m.payload as { event: { key: string } }).event.key.replace(/@\d+/, '')}`);

  it('escalates to the second route after N minutes unacknowledged, once; the resolved message goes to both', () => {
    const rt = runtime({ routes: [webhook('oncall', { escalate_after: '15m', escalate_to: 'chief' }), webhook('chief', { escalation_only: true })] });
    run(rt, MIN, true);
    run(rt, 14 * MIN, false);
    expect(outbox()).toEqual(['oncall check:sa-huynh/pc1/printer-1:firing']);
    run(rt, 5 * MIN, false);
    expect(outbox()).toEqual(['oncall check:sa-huynh/pc1/printer-1:firing', 'chief check:sa-huynh/pc1/printer-1:firing']);
    run(rt, 30 * MIN, false);
    expect(outbox()).toHaveLength(2);
    run(rt, 2 * MIN, true);
    expect(outbox().slice(2).sort()).toEqual(['chief check:sa-huynh/pc1/printer-1:resolved', 'oncall check:sa-huynh/pc1/printer-1:resolved']);
    const id = store.firingAlerts().length === 0 ? store.alertsBetween(T0, now)[0]!.id : '';
    expect(store.alertHistory(id).map((h) => h.action)).toEqual(['fire', 'announced', 'escalated', 'resolve']);
  });

  it('an acknowledgement stops the escalation', () => {
    const rt = runtime({ routes: [webhook('oncall', { escalate_after: '15m', escalate_to: 'chief' }), webhook('chief', { escalation_only: true })] });
    run(rt, MIN, true);
    run(rt, 5 * MIN, false);
    const alert = store.firingAlerts()[0]!;
    expect(rt.acknowledge(alert.id, 'ops', 'đang thay giấy')).toBe(true);
    expect(rt.acknowledge('no-such-alert', 'ops', '')).toBe(false);
    run(rt, 30 * MIN, false);
    expect(outbox()).toEqual(['oncall check:sa-huynh/pc1/printer-1:firing']);
  });

  it('a restart on the same store keeps the firing alert (same id) and sends its resolved message', () => {
    const first = runtime({ routes: [webhook('oncall')] });
    run(first, MIN, true);
    run(first, 5 * MIN, false);
    const before = store.firingAlerts();
    expect(before).toHaveLength(1);

    state = new LatestState(1000); // a new process: nothing heard yet
    const second = runtime({ routes: [webhook('oncall')] });
    run(second, 5 * MIN, false);
    expect(store.firingAlerts().map((a) => a.id)).toEqual(before.map((a) => a.id));
    expect(outbox()).toEqual(['oncall check:sa-huynh/pc1/printer-1:firing']);
    run(second, 2 * MIN, true);
    expect(outbox()).toEqual(['oncall check:sa-huynh/pc1/printer-1:firing', 'oncall check:sa-huynh/pc1/printer-1:resolved']);
  });

  it('after a restart no center changes state until its agent pushes again (first push 8 s late): no blocked → ready → blocked', () => {
    const id = { province: 'qng', center: 'sa-huynh', agent: 'pc1' };
    const linesDown = (): void => {
      state.apply(
        id,
        ['inet1', 'inet2'].flatMap((line) => {
          const check = { check: `line-${line}`, kind: 'icmp', line };
          return [
            series('centerwatch_check_info', { ...check, impact: 'blocking', group: 'lines' }, 1, now),
            series('centerwatch_probe_success', check, 0, now),
          ];
        }),
        now,
      );
    };
    const first = runtime({});
    for (const end = now + MIN; now < end; now += 1000) {
      if (now % 5000 === 0) linesDown();
      first.tick();
    }
    expect(store.transitions('center', 'sa-huynh', 0, now).map((t) => t.to)).toEqual(['blocked']);

    state = new LatestState(1000); // a new process: the pushed values are gone
    now += 2000;
    const second = runtime({});
    const seen: string[] = [];
    for (const end = now + 8000; now < end; now += 1000) {
      second.tick();
      seen.push(second.state.centers.get('sa-huynh')!.settled.state);
    }
    expect(seen).toEqual(Array(8).fill('blocked'));
    for (const end = now + 30_000; now < end; now += 1000) {
      if (now % 5000 === 0) linesDown();
      second.tick();
    }
    expect(store.transitions('center', 'sa-huynh', 0, now).map((t) => t.to)).toEqual(['blocked']);
  });

  it('after a restart, an agent that never pushes again turns its center offline once silent, not ready meanwhile', () => {
    const id = { province: 'qng', center: 'sa-huynh', agent: 'pc1' };
    const first = runtime({});
    for (const end = now + MIN; now < end; now += 5000) {
      state.apply(
        id,
        [
          series('centerwatch_check_info', { check: 'line-inet1', kind: 'icmp', line: 'inet1', impact: 'blocking', group: 'lines' }, 1, now),
          series('centerwatch_probe_success', { check: 'line-inet1', kind: 'icmp', line: 'inet1' }, 0, now),
        ],
        now,
      );
      first.tick();
    }
    state = new LatestState(1000);
    const second = runtime({});
    for (const end = now + 2 * MIN; now < end; now += 1000) second.tick();
    expect(store.transitions('center', 'sa-huynh', 0, now).map((t) => t.to)).toEqual(['blocked', 'offline']);
  });

  it('sends the morning digest at 07:00 on working days, with yesterday and every center', () => {
    now = Date.UTC(2026, 10, 26, 23, 50); // 06:50 Friday
    const rt = runtime({ routes: [webhook('leaders')], digest: { at: '07:00', routes: ['leaders'] } });
    run(rt, 15 * MIN, true);
    const digests = store.due(Number.MAX_SAFE_INTEGER, 100).filter((m) => m.route === 'leaders');
    expect(digests).toHaveLength(1);
    const event = (digests[0]!.payload as { event: { key: string; centerName: string; summary: { vi: string } } }).event;
    expect(event.key).toBe('digest:2026-11-27');
    expect(event.centerName).toBe('Báo cáo sáng 27/11/2026: 1/1 trung tâm sẵn sàng');
    expect(event.summary.vi).toContain('Sẵn sàng 1');
  });

  it('re-sends firing alerts to Alertmanager every minute (it ends alerts not heard of for resolve_timeout)', () => {
    const rt = runtime({ routes: [{ name: 'am', channel: 'alertmanager', options: { url: 'http://127.0.0.1:9' } }, webhook('oncall')] });
    run(rt, MIN, true);
    run(rt, 6 * MIN, false);
    const am = outbox().filter((k) => k.startsWith('am '));
    expect(am.length).toBeGreaterThanOrEqual(5);
    expect(am.length).toBeLessThanOrEqual(7);
    expect(outbox().filter((k) => k.startsWith('oncall '))).toEqual(['oncall check:sa-huynh/pc1/printer-1:firing']);
  });

  it('a center offline, then its WAL replays: the offline spell is rewritten from what the agent saw', () => {
    const rt = runtime({});
    const id = { province: 'qng', center: 'sa-huynh', agent: 'pc1' };
    const lines = (ts: number[], up: (t: number) => boolean): TimeSeries[] =>
      ['inet1', 'inet2'].flatMap((line) => {
        const check = { check: `line-${line}`, kind: 'icmp', line };
        return [
          {
            ...series('centerwatch_check_info', { ...check, impact: 'blocking', group: 'lines' }, 1, 0),
            samples: ts.map((t) => ({ value: 1, timestampMs: t })),
          },
          { ...series('centerwatch_probe_success', check, 0, 0), samples: ts.map((t) => ({ value: up(t) ? 1 : 0, timestampMs: t })) },
        ];
      });
    const live = (ms: number) => {
      for (const end = now + ms; now < end; now += 5000) {
        state.apply(
          id,
          lines([now], () => true),
          now,
        );
        rt.tick();
      }
    };
    live(MIN);
    const lastHeard = now - 5000;
    // Silent for 10 minutes: the lines were down from +90 s to +9 min, the agent kept every result.
    const cut = [lastHeard + 90_000, lastHeard + 9 * MIN];
    for (const end = now + 10 * MIN; now < end; now += 5000) rt.tick();
    expect(store.transitions('center', 'sa-huynh', 0, now).map((t) => t.to)).toEqual(['ready', 'offline']);
    const backlog: number[] = [];
    for (let t = lastHeard + 15_000; t < now; t += 15_000) backlog.push(t);
    state.apply(
      id,
      lines(backlog, (t) => t < cut[0]! || t >= cut[1]!),
      now,
    );
    live(MIN);
    const timeline = store.transitions('center', 'sa-huynh', 0, now).map((t) => [t.to, t.atMs - T0]);
    // The first replayed sample at or after each edge of the cut.
    const firstAfter = (t: number) => backlog.find((b) => b >= t)! - T0;
    expect(timeline).toEqual([
      ['ready', 0],
      ['blocked', firstAfter(cut[0]!)],
      ['ready', firstAfter(cut[1]!)],
    ]);
    const offline = store.alertsBetween(T0, now).find((a) => a.labels.alertname === 'CenterOffline')!;
    expect(store.alertHistory(offline.id).map((h) => h.action)).toContain('timeline_corrected');
  });
});
