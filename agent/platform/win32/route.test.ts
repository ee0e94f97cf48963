import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseRoutePrint } from './route.js';

const fixture = (name: string): string => readFileSync(`test/fixtures/windows/host/${name}`, 'utf8');

describe('parseRoutePrint', () => {
  it('takes the active default route with the lowest metric, never a persistent one', () => {
    expect(parseRoutePrint(fixture('route-print-en.txt'))).toEqual({ interface: '192.168.1.20', gateway: '192.168.1.1', metric: 25 });
  });

  it('reads no words: a localized table and a gateway word of several words (a point-to-point default)', () => {
    expect(parseRoutePrint(fixture('route-print-vi.txt'))).toEqual({ interface: '10.64.0.2', gateway: '', metric: 15 });
  });

  it('names the interface by its address when it can', () => {
    const names: Record<string, string> = { '192.168.1.20': 'Ethernet' };
    expect(parseRoutePrint(fixture('route-print-en.txt'), (a) => names[a])?.interface).toBe('Ethernet');
  });

  it('no default route: undefined', () => {
    expect(parseRoutePrint(fixture('route-print-no-default.txt'))).toBeUndefined();
    expect(parseRoutePrint('')).toBeUndefined();
  });
});
