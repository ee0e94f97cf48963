import { describe, expect, it } from 'vitest';
import { cpuUsageRatio, parseCpuSample } from './host-cpu.js';

// The head of /proc/stat on a 2-core machine (Linux 6.x).
const STAT = `cpu  18372 10 7247 466266 903 2 165 66 40 0
cpu0 9100 5 3600 233100 450 1 80 30 20 0
cpu1 9272 5 3647 233166 453 1 85 36 20 0
intr 1939163 0 9 0 0 0 0
ctxt 3492010
btime 1767225600
`;

describe('parseCpuSample', () => {
  it('sums busy time without guest (already in user) and counts iowait as idle', () => {
    const busy = 18372 + 10 + 7247 + 2 + 165 + 66;
    expect(parseCpuSample(STAT)).toEqual({ busy, total: busy + 466266 + 903 });
  });

  it('accepts the four fields of old kernels', () => {
    expect(parseCpuSample('cpu 10 0 5 85\n')).toEqual({ busy: 15, total: 100 });
  });

  it('returns undefined without an aggregate cpu line or with garbage in it', () => {
    expect(parseCpuSample('cpu0 1 2 3 4\nintr 5\n')).toBeUndefined();
    expect(parseCpuSample('cpu 1 x 3 4\n')).toBeUndefined();
    expect(parseCpuSample('cpu 1 2\n')).toBeUndefined();
    expect(parseCpuSample('')).toBeUndefined();
  });
});

describe('cpuUsageRatio', () => {
  it('is the busy share of the ticks between two samples', () => {
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 150, total: 1200 })).toBe(0.25);
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 100, total: 1200 })).toBe(0);
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 300, total: 1200 })).toBe(1);
  });

  it('is undefined when too few ticks elapsed or the counters went backwards', () => {
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBeUndefined();
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 105, total: 1009 }, 10)).toBeUndefined();
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 105, total: 1010 }, 10)).toBe(0.5);
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 90, total: 1100 })).toBeUndefined();
    expect(cpuUsageRatio({ busy: 100, total: 1000 }, { busy: 10, total: 100 })).toBeUndefined();
  });

  it('never exceeds 1 even if iowait went backwards (a known kernel quirk)', () => {
    expect(cpuUsageRatio({ busy: 0, total: 100 }, { busy: 30, total: 120 })).toBe(1);
  });
});
