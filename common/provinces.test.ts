import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProvince, PROVINCES, provinceName, provinceProblem } from './provinces.js';

describe('provinces', () => {
  it('the 34 provinces with the official codes and names of the national list', () => {
    const csv = new URL('./data/vn-divisions-2025.csv', import.meta.url);
    const official = new Map<string, string>();
    for (const line of readFileSync(csv, 'utf8').trim().split('\n').slice(1)) {
      const [code, name] = line.split(',');
      official.set(code!, name!.replace(/^(Thành phố|Tỉnh) /, ''));
    }
    expect(official.size).toBe(34);
    expect(PROVINCES).toHaveLength(34);
    for (const [, name, code] of PROVINCES) expect(official.get(code)?.replace(/^Hồ Chí Minh$/, 'TP. Hồ Chí Minh'), code).toBe(name);
  });

  it('accepts an id or an official code; a typo gets the nearest id', () => {
    expect(isProvince('quang-ngai')).toBe(true);
    expect(isProvince('51')).toBe(true);
    expect(provinceName('51')).toBe('Quảng Ngãi');
    expect(provinceProblem('quang-ngia')).toMatch(/^unknown province "quang-ngia": did you mean "quang-ngai"\?/);
    expect(provinceProblem('p1')).toMatch(/^unknown province "p1": use one of/);
    expect(provinceProblem('99')).toMatch(/unknown province "99"/);
  });
});
