import { describe, expect, it } from 'vitest';
import { judgePrinter, markerObservations, MAX_SUPPLIES, splitSuffix, supplyLabel } from './printer-reasons.js';

describe('splitSuffix', () => {
  it('splits the RFC 8011 severity suffix; none means error', () => {
    expect(splitSuffix('media-empty-report')).toEqual({ keyword: 'media-empty', suffix: 'report' });
    expect(splitSuffix('toner-low-warning')).toEqual({ keyword: 'toner-low', suffix: 'warning' });
    expect(splitSuffix('media-jam')).toEqual({ keyword: 'media-jam', suffix: 'error' });
  });
});

describe('judgePrinter', () => {
  const cases: Array<[number | undefined, string[], { up: boolean; degraded: boolean; reason: string }]> = [
    [3, ['none'], { up: true, degraded: false, reason: 'ok' }],
    [4, [], { up: true, degraded: false, reason: 'ok' }],
    [5, ['none'], { up: false, degraded: false, reason: 'offline' }],
    [5, ['paused'], { up: false, degraded: false, reason: 'offline' }],
    [5, ['media-empty-report'], { up: false, degraded: false, reason: 'media_empty' }],
    [3, ['media-empty-error'], { up: false, degraded: false, reason: 'media_empty' }],
    [3, ['media-needed'], { up: false, degraded: false, reason: 'media_empty' }],
    [4, ['media-jam-error'], { up: false, degraded: false, reason: 'media_jam' }],
    [3, ['toner-empty'], { up: false, degraded: false, reason: 'marker_empty' }],
    [3, ['marker-supply-empty-error'], { up: false, degraded: false, reason: 'marker_empty' }],
    [3, ['cover-open'], { up: false, degraded: false, reason: 'door_open' }],
    [3, ['door-open-error'], { up: false, degraded: false, reason: 'door_open' }],
    [3, ['offline-error'], { up: false, degraded: false, reason: 'offline' }],
    [3, ['toner-low'], { up: true, degraded: true, reason: 'marker_low' }],
    [3, ['marker-supply-low-warning'], { up: true, degraded: true, reason: 'marker_low' }],
    [3, ['media-low-warning'], { up: true, degraded: true, reason: 'media_low' }],
    // -report is informational; -warning never takes a printer down.
    [3, ['media-empty-report', 'toner-low-report'], { up: true, degraded: false, reason: 'ok' }],
    [4, ['media-empty-warning', 'toner-low-warning'], { up: true, degraded: true, reason: 'media_empty' }],
    // the worst wins, whatever the order
    [3, ['toner-low', 'media-jam'], { up: false, degraded: false, reason: 'media_jam' }],
    [3, ['media-low', 'toner-low'], { up: true, degraded: true, reason: 'marker_low' }],
    [3, ['other-warning', 'spool-area-full'], { up: true, degraded: false, reason: 'ok' }],
    [undefined, [], { up: false, degraded: false, reason: 'protocol' }],
    [7, [], { up: false, degraded: false, reason: 'protocol' }],
  ];
  it.each(cases)('state %s reasons %j', (state, reasons, want) => {
    expect(judgePrinter(state, reasons)).toMatchObject(want);
  });

  it('names the deciding keyword in its detail', () => {
    expect(judgePrinter(3, ['toner-low', 'media-jam-error']).detail).toBe('media-jam-error');
    expect(judgePrinter(5, []).detail).toBe('stopped');
  });
});

describe('supplyLabel', () => {
  it('normalises marker names to bounded [a-z0-9_] labels', () => {
    expect(supplyLabel('Black Toner', 0)).toBe('black_toner');
    expect(supplyLabel('Mực Đen (K)', 0)).toBe('muc_den_k');
    expect(supplyLabel('  ', 2)).toBe('supply_3');
    expect(supplyLabel(undefined, 0)).toBe('supply_1');
    expect(supplyLabel('x'.repeat(100), 0)).toHaveLength(32);
  });
});

describe('markerObservations', () => {
  it('turns 0..100 into ratios and skips -1, -2, -3', () => {
    const obs = markerObservations(['Black', 'Cyan', 'Magenta', 'Yellow'], [80, -2, 5, -3], 'supply_level');
    expect(obs).toEqual([
      { metric: 'supply_level', value: 0.8, labels: { supply: 'black' } },
      { metric: 'supply_level', value: 0.05, labels: { supply: 'magenta' } },
    ]);
  });

  it('keeps labels unique and stops at MAX_SUPPLIES', () => {
    const n = MAX_SUPPLIES + 4;
    const obs = markerObservations(Array(n).fill('Toner'), Array(n).fill(50), 'supply_level');
    expect(obs).toHaveLength(MAX_SUPPLIES);
    expect(new Set(obs.map((o) => o.labels!.supply)).size).toBe(MAX_SUPPLIES);
  });

  it('ignores levels that are not numbers or out of range', () => {
    expect(markerObservations(['a', 'b', 'c'], ['50', null, 101], 'supply_level')).toEqual([]);
  });
});
