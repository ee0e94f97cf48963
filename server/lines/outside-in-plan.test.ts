import { describe, expect, it } from 'vitest';
import type { InventoryLine } from '../fleet/types.js';
import { addressResult, lineResult, outsideInTargets, singleAddress } from './outside-in-plan.js';

const inv = (entries: Array<[string, InventoryLine[]]>) => new Map(entries.map(([c, lines]) => [c, { province: 'qng', lines }]));
const FIBER: InventoryLine = { name: 'fiber', kind: 'fiber', isp: 'VNPT', public: ['113.160.12.34', '2402:800::/32'] };
const FOURG: InventoryLine = { name: '4g', kind: '4g', isp: 'Viettel', public: ['27.64.0.0/12', '::FFFF:27.64.1.2/128', '2402:800::7'] };

describe('the addresses the province probes', () => {
  it('single addresses only: bare, /32, /128, IPv4-mapped as IPv4; prefixes and nonsense are not probed', () => {
    expect(singleAddress('113.160.12.34')).toBe('113.160.12.34');
    expect(singleAddress('113.160.12.34/32')).toBe('113.160.12.34');
    expect(singleAddress('2402:800::7/128')).toBe('2402:800::7');
    expect(singleAddress('::ffff:27.64.1.2')).toBe('27.64.1.2');
    for (const no of ['27.64.0.0/12', '2402:800::/32', '113.160.12.34/31', 'vnpt.vn', '', '1.2.3.4/32/1']) expect(singleAddress(no), no).toBeUndefined();
  });

  it('one target per center, line and address, in a stable order, spread evenly over the interval', () => {
    const plan = outsideInTargets(
      inv([
        ['b', [FIBER, FOURG, { name: 'tslcd', kind: 'leased', isp: 'VNPT' }]],
        ['a', [{ ...FIBER, public: ['113.160.12.34', '113.160.12.34/32'] }]],
      ]),
      15_000,
    );
    expect(plan.map((t) => [t.center, t.line, t.address, t.offsetMs])).toEqual([
      ['a', 'fiber', '113.160.12.34', 0],
      ['b', 'fiber', '113.160.12.34', 3750],
      ['b', '4g', '27.64.1.2', 7500],
      ['b', '4g', '2402:800::7', 11_250],
    ]);
    expect(new Set(plan.map((t) => t.key)).size).toBe(4);
    expect(plan.every((t) => t.province === 'qng')).toBe(true);
    expect(outsideInTargets(new Map(), 15_000)).toEqual([]);
  });

  it('3,321 centers × 2 lines: 6,642 probes about 2.3 ms apart, the last one before the next interval', () => {
    const many = inv(
      Array.from({ length: 3321 }, (_, i) => [
        `c${i}`,
        [
          { ...FIBER, public: [`127.1.${i >> 8}.${i & 255}`] },
          { ...FOURG, public: [`127.2.${i >> 8}.${i & 255}`] },
        ],
      ]),
    );
    const plan = outsideInTargets(many, 15_000);
    expect(plan).toHaveLength(6642);
    const gaps = plan.slice(1).map((t, i) => t.offsetMs - plan[i]!.offsetMs);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThan(1e-6);
    expect(gaps[0]).toBeCloseTo(15_000 / 6642, 6);
    expect(plan.at(-1)!.offsetMs).toBeLessThan(15_000);
  });
});

describe("a line's result from its addresses'", () => {
  it('up when any address answered (the fastest), down with the first reason, unknown before any probe', () => {
    expect(lineResult([undefined, undefined])).toBeUndefined();
    expect(
      lineResult([
        { up: false, reason: 'timeout' },
        { up: true, reason: 'ok', rttSeconds: 0.02 },
        { up: true, reason: 'ok', rttSeconds: 0.01 },
      ]),
    ).toEqual({
      up: true,
      reason: 'ok',
      rttSeconds: 0.01,
    });
    expect(lineResult([undefined, { up: false, reason: 'unreachable' }, { up: false, reason: 'timeout' }])).toEqual({ up: false, reason: 'unreachable' });
  });

  it('an address is up on an echo reply or any port connecting; a refusal says more than silence', () => {
    const silent = { up: false, reason: 'timeout' };
    expect(addressResult({ up: true, reason: 'ok', rttSeconds: 0.003 }, [silent])).toEqual({ up: true, reason: 'ok', rttSeconds: 0.003 });
    expect(addressResult(silent, [silent, { up: true, reason: 'ok', rttSeconds: 0.004 }])).toEqual({ up: true, reason: 'ok', rttSeconds: 0.004 });
    expect(addressResult(silent, [{ up: false, reason: 'refused' }])).toEqual({ up: false, reason: 'refused' });
    expect(addressResult(silent, [])).toEqual({ up: false, reason: 'timeout' });
    expect(addressResult(undefined, [{ up: false, reason: 'timeout' }])).toEqual({ up: false, reason: 'timeout' });
  });
});
