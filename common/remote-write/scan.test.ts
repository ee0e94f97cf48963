import { describe, expect, it } from 'vitest';
import { encodeWriteRequest, type DecodeLimits } from './proto.js';
import { scanWriteRequest } from './scan.js';

const LIMITS: DecodeLimits = { maxSeries: 100, maxLabelsPerSeries: 10, maxSamplesPerSeries: 10, maxLabelNameBytes: 64, maxLabelValueBytes: 256 };
const up = (check: string) => [
  { name: '__name__', value: 'centerwatch_probe_success' },
  { name: 'check', value: check },
];

describe('scanWriteRequest', () => {
  it('gives the same key for the same label set, another for another, and the newest sample', () => {
    const body = encodeWriteRequest([
      {
        labels: up('a'),
        samples: [
          { value: 1, timestampMs: 1_764_201_600_000 },
          { value: 0, timestampMs: 1_764_201_615_000 },
        ],
      },
      { labels: up('b'), samples: [{ value: 1, timestampMs: 1_764_201_600_000 }] },
    ]);
    const again = encodeWriteRequest([{ labels: up('a'), samples: [{ value: 5, timestampMs: 1 }] }]);
    const s = scanWriteRequest(body, LIMITS)!;
    expect(s.samples).toBe(3);
    expect(s.series.map((x) => [x.samples, x.newestValue, x.newestTimestampMs])).toEqual([
      [2, 0, 1_764_201_615_000],
      [1, 1, 1_764_201_600_000],
    ]);
    expect([s.oldestTimestampMs, s.newestTimestampMs]).toEqual([1_764_201_600_000, 1_764_201_615_000]);
    expect(s.series[0]!.key).not.toBe(s.series[1]!.key);
    expect(scanWriteRequest(again, LIMITS)!.series[0]!.key).toBe(s.series[0]!.key);
  });

  it('leaves anything unusual or over a limit to the full decoder', () => {
    const body = encodeWriteRequest([{ labels: up('a'), samples: [{ value: 1, timestampMs: 1 }] }]);
    expect(scanWriteRequest(body.subarray(0, body.length - 1), LIMITS)).toBeUndefined();
    expect(scanWriteRequest(Buffer.concat([body, Buffer.from([0x1a, 0x00])]), LIMITS)).toBeUndefined(); // metadata field
    expect(scanWriteRequest(body, { ...LIMITS, maxLabelsPerSeries: 1 })).toBeUndefined();
    expect(scanWriteRequest(body, { ...LIMITS, maxSeries: 0 })).toBeUndefined();
    expect(scanWriteRequest(encodeWriteRequest([{ labels: [], samples: [{ value: 1, timestampMs: 1 }] }]), LIMITS)).toBeUndefined();
    expect(scanWriteRequest(encodeWriteRequest([{ labels: up('a'), samples: [{ value: 1, timestampMs: -5 }] }]), LIMITS)).toBeUndefined();
  });
});
