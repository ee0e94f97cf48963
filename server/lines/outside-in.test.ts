import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../common/log.js';
import type { InventoryLine } from '../fleet/types.js';
import { OutsideIn, type AddressProber, type OutsideInOptions } from './outside-in.js';
import type { AddressResult, OutsideInInventory } from './outside-in-plan.js';

const OPTS: OutsideInOptions = { intervalMs: 1000, timeoutMs: 500, icmpCount: 3, tcpPorts: [], concurrency: 100 };
const log = createLogger('error');
const line = (name: string, ...pub: string[]): InventoryLine => ({ name, kind: name === '4g' ? '4g' : 'fiber', isp: 'VNPT', public: pub });

/** A prober that answers after `ms` with what `answer(address)` says, recording each start. */
function fakeProber(answer: (address: string) => AddressResult | undefined, ms = 10) {
  const starts: Array<{ address: string; at: number }> = [];
  let inFlight = 0;
  let most = 0;
  const probe: AddressProber = (address, stop) => {
    starts.push({ address, at: Date.now() });
    most = Math.max(most, ++inFlight);
    return new Promise((resolve) => {
      const done = (r: AddressResult) => {
        inFlight--;
        resolve(r);
      };
      const t = setTimeout(() => done(answer(address) ?? { up: false, reason: 'timeout' }), ms);
      stop.addEventListener('abort', () => {
        clearTimeout(t);
        done({ up: false, reason: 'timeout' });
      });
    });
  };
  return { probe, starts, most: () => most };
}

/** An OutsideIn on the fake clock, started. */
function started(inventory: OutsideInInventory, probe: AddressProber, opts = OPTS): OutsideIn {
  const oi = new OutsideIn(inventory, opts, log, probe, () => Date.now());
  oi.start();
  return oi;
}

describe('the outside-in schedule', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('probes every address once per interval, evenly spread, and stops cleanly', async () => {
    const centers = new Map(
      Array.from({ length: 5 }, (_, i) => [`c${i}`, { province: 'p', lines: [line('fiber', `127.0.1.${i}`), line('4g', `127.0.2.${i}`)] }]),
    );
    const f = fakeProber(() => ({ up: true, reason: 'ok', rttSeconds: 0.001 }));
    const oi = started(() => centers, f.probe);
    await vi.advanceTimersByTimeAsync(2999);
    expect(f.starts).toHaveLength(30);
    const byAddress = new Map<string, Array<{ at: number }>>();
    for (const s of f.starts) byAddress.set(s.address, [...(byAddress.get(s.address) ?? []), s]);
    expect(byAddress.size).toBe(10);
    for (const starts of byAddress.values()) expect(starts.map((s) => s.at - starts[0]!.at)).toEqual([0, 1000, 2000]);
    const gaps = f.starts.slice(1).map((s, i) => s.at - f.starts[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(95);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(105);
    expect(oi.stats()).toMatchObject({ targets: 10, probes: 30, skipped: 0 });
    expect(oi.stats().worstStartDelaySeconds).toBeLessThanOrEqual(0.005);
    await oi.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(f.starts).toHaveLength(30);
  });

  it('at most `concurrency` probes at once; a probe still waiting at its next turn skips it, counted', async () => {
    const centers = new Map(Array.from({ length: 10 }, (_, i) => [`c${i}`, { province: 'p', lines: [line('fiber', `127.0.1.${i}`)] }]));
    const f = fakeProber(() => undefined, 500);
    const oi = started(() => centers, f.probe, { ...OPTS, concurrency: 2 });
    await vi.advanceTimersByTimeAsync(3000);
    expect(f.most()).toBe(2);
    // 2 slots × 500 ms: 4 probes a second of the 10 due.
    expect(oi.stats().probes).toBeGreaterThanOrEqual(10);
    expect(oi.stats().probes).toBeLessThanOrEqual(12);
    expect(oi.stats().skipped).toBeGreaterThan(0);
    expect(oi.stats().worstStartDelaySeconds).toBeGreaterThan(0.5);
    // Closing aborts the probe in flight and drops those waiting.
    const pending = oi.close();
    await vi.advanceTimersByTimeAsync(0);
    await pending;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('one result per center and line per the contract, kept and updated in place; follows a re-import', async () => {
    let inventory = new Map([
      ['sa-huynh', { province: 'qng', lines: [line('fiber', '127.0.1.1', '127.0.1.2'), line('4g', '127.0.2.1', '27.64.0.0/12'), line('tslcd')] }],
    ]);
    const answers = new Map<string, AddressResult>([
      ['127.0.1.1', { up: false, reason: 'timeout' }],
      ['127.0.1.2', { up: true, reason: 'ok', rttSeconds: 0.004 }],
      ['127.0.2.1', { up: false, reason: 'unreachable' }],
    ]);
    const f = fakeProber((a) => answers.get(a));
    const oi = started(() => inventory, f.probe);
    expect(oi.checks()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    const first = oi.checks();
    expect(first).toEqual([
      {
        province: 'qng',
        center: 'sa-huynh',
        agent: '',
        check: 'outside-in:fiber',
        kind: 'outside_in',
        line: 'fiber',
        lineDescription: 'Cáp quang VNPT',
        impact: 'info',
        up: true,
        degraded: false,
      },
      {
        province: 'qng',
        center: 'sa-huynh',
        agent: '',
        check: 'outside-in:4g',
        kind: 'outside_in',
        line: '4g',
        lineDescription: '4G VNPT',
        impact: 'info',
        up: false,
        degraded: false,
        reason: 'unreachable',
      },
    ]);
    expect(oi.read()).toEqual([
      { province: 'qng', center: 'sa-huynh', line: 'fiber', up: true, rttSeconds: 0.004 },
      { province: 'qng', center: 'sa-huynh', line: '4g', up: false },
    ]);

    // The fiber's answering address goes silent; the 4G comes back.
    answers.set('127.0.1.2', { up: false, reason: 'timeout' });
    answers.set('127.0.2.1', { up: true, reason: 'ok', rttSeconds: 0.05 });
    await vi.advanceTimersByTimeAsync(1000);
    const second = oi.checks();
    expect(second[0]).toBe(first[0]);
    expect(second.map((c) => [c.check, c.up, c.reason])).toEqual([
      ['outside-in:fiber', false, 'timeout'],
      ['outside-in:4g', true, undefined],
    ]);

    // A re-import: the 4G line leaves, another center arrives; seen from the next interval on.
    inventory = new Map([
      ['sa-huynh', { province: 'qng', lines: [line('fiber', '127.0.1.2')] }],
      ['duc-pho', { province: 'qng', lines: [line('fiber', '127.0.3.1')] }],
    ]);
    answers.set('127.0.3.1', { up: true, reason: 'ok' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(oi.checks().map((c) => [c.center, c.check, c.up])).toEqual([
      ['sa-huynh', 'outside-in:fiber', false],
      ['duc-pho', 'outside-in:fiber', true],
    ]);
    expect(oi.stats().targets).toBe(2);
    await oi.close();
  });

  it('a probe that throws is a down result, and the schedule goes on', async () => {
    const centers = new Map([['c', { province: 'p', lines: [line('fiber', '127.0.1.1')] }]]);
    const oi = started(
      () => centers,
      () => Promise.reject(new Error('boom')),
    );
    await vi.advanceTimersByTimeAsync(2500);
    expect(oi.checks().map((c) => [c.up, c.reason])).toEqual([[false, 'internal_error']]);
    expect(oi.stats().probes).toBe(3);
    await oi.close();
  });

  it('an empty inventory probes nothing and keeps looking for lines', async () => {
    let inventory = new Map<string, { province: string; lines: InventoryLine[] }>();
    const f = fakeProber(() => ({ up: true, reason: 'ok' }));
    const oi = started(() => inventory, f.probe);
    await vi.advanceTimersByTimeAsync(3000);
    expect(f.starts).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    inventory = new Map([['c', { province: 'p', lines: [line('fiber', '127.0.1.1')] }]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.starts).toHaveLength(1);
    await oi.close();
  });
});
