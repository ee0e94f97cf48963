import { describe, expect, it } from 'vitest';
import { rootCauses, type Problem } from './dependencies.js';

const check = (center: string, checkId: string, extra: Partial<Problem> = {}): Problem => ({
  id: `${center}/${checkId}`,
  kind: 'check',
  province: 'quang-ngai',
  center,
  agent: 'main',
  check: checkId,
  ...extra,
});

describe('root causes', () => {
  it('both lines down: one root, the links that need a line suppressed under it, a local printer not', () => {
    const problems: Problem[] = [
      { id: 'sa-huynh/lines', kind: 'lines_down', province: 'quang-ngai', center: 'sa-huynh' },
      check('sa-huynh', 'line-tslcd', { line: 'tslcd' }),
      check('sa-huynh', 'line-inet1', { line: 'inet1' }),
      check('sa-huynh', 'provincial-system', { upstream: 'provincial-system', line: 'tslcd' }),
      check('sa-huynh', 'national-portal', { upstream: 'national-portal' }),
      check('sa-huynh', 'printer-1'),
    ];
    const r = rootCauses(problems);
    expect(r.roots.map((p) => p.id)).toEqual(['sa-huynh/lines', 'sa-huynh/printer-1']);
    expect([...r.suppressedBy]).toEqual([
      ['sa-huynh/line-tslcd', 'sa-huynh/lines'],
      ['sa-huynh/line-inet1', 'sa-huynh/lines'],
      ['sa-huynh/provincial-system', 'sa-huynh/lines'],
      ['sa-huynh/national-portal', 'sa-huynh/lines'],
    ]);
    expect(r.provinceWide).toEqual([]);
  });

  it('a center offline explains everything of it; a silent agent explains its own checks only', () => {
    const r = rootCauses([
      { id: 'a/offline', kind: 'center_offline', province: 'p', center: 'a' },
      { id: 'a/lines', kind: 'lines_down', province: 'p', center: 'a' },
      check('a', 'printer-1', { province: 'p' }),
      { id: 'b/counter-2', kind: 'agent_silent', province: 'p', center: 'b', agent: 'counter-2' },
      check('b', 'scanner-2', { province: 'p', agent: 'counter-2' }),
      check('b', 'printer-1', { province: 'p', agent: 'main' }),
    ]);
    expect(r.roots.map((p) => p.id)).toEqual(['a/offline', 'b/counter-2', 'b/printer-1']);
    expect(r.suppressedBy.get('a/lines')).toBe('a/offline');
    expect(r.suppressedBy.get('b/scanner-2')).toBe('b/counter-2');
  });

  it('the provincial system failing at most centers is one province-wide problem; at one center it stays local', () => {
    const centers = ['c1', 'c2', 'c3', 'c4'];
    const wide = rootCauses(
      centers.map((c) => check(c, 'provincial-system', { upstream: 'provincial-system' })),
      { centersChecking: new Map([['quang-ngai/provincial-system', 5]]) },
    );
    expect(wide.roots).toEqual([]);
    expect(wide.provinceWide).toEqual([{ id: 'province:quang-ngai/provincial-system', province: 'quang-ngai', upstream: 'provincial-system', centers }]);
    const local = rootCauses([check('c1', 'provincial-system', { upstream: 'provincial-system' })], {
      centersChecking: new Map([['quang-ngai/provincial-system', 5]]),
    });
    expect(local.roots.map((p) => p.id)).toEqual(['c1/provincial-system']);
    // Three of a hundred centers is not the upstream: those centers' own links are the suspects.
    const few = rootCauses(
      ['c1', 'c2', 'c3'].map((c) => check(c, 'provincial-system', { upstream: 'provincial-system' })),
      { centersChecking: new Map([['quang-ngai/provincial-system', 100]]) },
    );
    expect(few.provinceWide).toEqual([]);
    expect(few.roots).toHaveLength(3);
  });

  it('a center whose lines are down does not count toward a province-wide upstream outage', () => {
    const r = rootCauses(
      [
        { id: 'c1/lines', kind: 'lines_down', province: 'quang-ngai', center: 'c1' },
        ...['c1', 'c2', 'c3'].map((c) => check(c, 'provincial-system', { upstream: 'provincial-system' })),
      ],
      { centersChecking: new Map([['quang-ngai/provincial-system', 3]]) },
    );
    expect(r.provinceWide).toEqual([]);
    expect(r.roots.map((p) => p.id)).toEqual(['c1/lines', 'c2/provincial-system', 'c3/provincial-system']);
  });
});

describe('one line down', () => {
  it('the check standing for the line explains the other checks bound to it, not those on another line; the first of two stands', () => {
    const r = rootCauses([
      check('sa-huynh', 'line-fiber', { line: 'fiber', explains: 'fiber' }),
      { ...check('sa-huynh', 'outside-in:fiber', { line: 'fiber', explains: 'fiber' }), agent: '' },
      check('sa-huynh', 'provincial-system', { line: 'fiber', upstream: 'provincial-system' }),
      check('sa-huynh', 'national-portal', { line: '4g' }),
      check('sa-huynh', 'printer-1'),
    ]);
    expect(r.roots.map((p) => p.id)).toEqual(['sa-huynh/line-fiber', 'sa-huynh/national-portal', 'sa-huynh/printer-1']);
    expect([...r.suppressedBy]).toEqual([
      ['sa-huynh/outside-in:fiber', 'sa-huynh/line-fiber'],
      ['sa-huynh/provincial-system', 'sa-huynh/line-fiber'],
    ]);
  });
});
