import { describe, expect, it } from 'vitest';
import { decodeWriteRequest, encodeWriteRequest, type DecodeLimits, type TimeSeries } from './proto.js';
import { snappyCompress, snappyUncompress } from './snappy.js';

const LIMITS: DecodeLimits = { maxSeries: 100, maxLabelsPerSeries: 10, maxSamplesPerSeries: 10, maxLabelNameBytes: 64, maxLabelValueBytes: 256 };

const series: TimeSeries[] = [
  {
    labels: [
      { name: '__name__', value: 'centerwatch_probe_success' },
      { name: 'check', value: 'line-inet1' },
      { name: 'center_name', value: 'Phường Sa Huỳnh' },
    ],
    samples: [
      { value: 1, timestampMs: 1_764_201_600_123 },
      { value: 0.25, timestampMs: 1_764_201_615_123 },
    ],
  },
  {
    labels: [{ name: '__name__', value: 'x' }],
    samples: [
      { value: Number.NaN, timestampMs: -1000 },
      { value: -Infinity, timestampMs: 0 },
    ],
  },
];

describe('remote_write codec', () => {
  it('round-trips labels (UTF-8), values (NaN, ±Inf) and timestamps (negative too)', () => {
    const decoded = decodeWriteRequest(encodeWriteRequest(series), LIMITS);
    expect(decoded).toEqual({ ok: true, series, samples: 4 });
  });

  it('matches the bytes protoc produces for a one-label, one-sample request', () => {
    // WriteRequest{timeseries:[{labels:[{name:"a",value:"b"}],samples:[{value:1,timestamp:1}]}]}
    // Field by field: series(1,len 21) { label(1,len 6){name "a", value "b"}, sample(2,len 11){double 1.0, int64 1} }.
    const expected = '0a15' + '0a06' + '0a0161' + '120162' + '120b' + '09000000000000f03f' + '1001';
    const ours = encodeWriteRequest([{ labels: [{ name: 'a', value: 'b' }], samples: [{ value: 1, timestampMs: 1 }] }]);
    expect(ours.toString('hex')).toBe(expected);
  });

  it('skips fields remote_write 1.0 does not define (metadata, exemplars)', () => {
    const body = Buffer.concat([encodeWriteRequest(series.slice(0, 1)), Buffer.from([0x1a, 0x02, 0x08, 0x01])]);
    const decoded = decodeWriteRequest(body, LIMITS);
    expect(decoded.ok && decoded.series).toEqual(series.slice(0, 1));
  });

  it.each([
    ['truncated body', (b: Buffer) => b.subarray(0, b.length - 3), 'malformed'],
    ['length past the end', (b: Buffer) => Buffer.concat([Buffer.from([0x0a, 0xff, 0x7f]), b]), 'malformed'],
    ['field number 0', () => Buffer.from([0x02, 0x00]), 'malformed'],
    ['wire type 7', () => Buffer.from([0x0f]), 'malformed'],
  ] as const)('refuses a %s', (_name, mutate, problem) => {
    const decoded = decodeWriteRequest(mutate(encodeWriteRequest(series)), LIMITS);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.problem).toBe(problem);
  });

  it('enforces every limit while decoding', () => {
    const many = Array.from({ length: 3 }, () => series[0]!);
    expect(decodeWriteRequest(encodeWriteRequest(many), { ...LIMITS, maxSeries: 2 })).toMatchObject({ ok: false, problem: 'too_many_series' });
    expect(decodeWriteRequest(encodeWriteRequest(series), { ...LIMITS, maxLabelsPerSeries: 2 })).toMatchObject({ ok: false, problem: 'too_many_labels' });
    expect(decodeWriteRequest(encodeWriteRequest(series), { ...LIMITS, maxSamplesPerSeries: 1 })).toMatchObject({ ok: false, problem: 'too_many_samples' });
    expect(decodeWriteRequest(encodeWriteRequest(series), { ...LIMITS, maxLabelValueBytes: 10 })).toMatchObject({ ok: false, problem: 'label_too_long' });
    const badName = encodeWriteRequest([{ labels: [{ name: '1bad', value: 'v' }], samples: [] }]);
    expect(decodeWriteRequest(badName, LIMITS)).toMatchObject({ ok: false, problem: 'invalid_label' });
  });
});

describe('snappy block', () => {
  it('round-trips and refuses an oversized declared length before inflating', () => {
    const body = encodeWriteRequest(series);
    const block = snappyCompress(body);
    expect(snappyUncompress(block, 1 << 20)).toEqual({ ok: true, body });
    expect(snappyUncompress(block, body.length - 1)).toMatchObject({ ok: false, problem: 'too_large' });
  });

  it('refuses garbage without throwing', () => {
    expect(snappyUncompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1 << 20)).toMatchObject({ ok: false, problem: 'malformed' });
    expect(snappyUncompress(Buffer.from([0x10, 0x00, 0x01]), 1 << 20)).toMatchObject({ ok: false, problem: 'malformed' });
  });
});
