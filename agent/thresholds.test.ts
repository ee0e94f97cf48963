import { describe, expect, it } from 'vitest';
import { brokenThresholds } from './thresholds.js';

describe('brokenThresholds', () => {
  it('reports values above or below their limit and nothing else', () => {
    const obs = [
      { metric: 'loss_ratio', value: 0.1 },
      { metric: 'rtt_seconds', value: 0.02 },
      { metric: 'cert_days_left', value: 10 },
    ];
    expect(
      brokenThresholds(
        [
          { metric: 'loss_ratio', above: 0.05 },
          { metric: 'rtt_seconds', above: 0.05 },
          { metric: 'cert_days_left', below: 14 },
        ],
        obs,
      ),
    ).toEqual(['loss_ratio 0.100 > 0.05', 'cert_days_left 10 < 14']);
  });

  it('names the label set that breaks when a metric has several', () => {
    const obs = [
      { metric: 'filesystem_used_ratio', value: 0.5, labels: { mount: '/' } },
      { metric: 'filesystem_used_ratio', value: 0.97, labels: { mount: '/data' } },
    ];
    expect(brokenThresholds([{ metric: 'filesystem_used_ratio', above: 0.9 }], obs)).toEqual(['filesystem_used_ratio{mount=/data} 0.970 > 0.9']);
  });

  it('ignores thresholds whose metric was not observed (a failed run)', () => {
    expect(brokenThresholds([{ metric: 'loss_ratio', above: 0 }], [])).toEqual([]);
  });
});
