import { describe, expect, it } from 'vitest';
import { nodeTlsOptions, resultExpectation, resultProblem } from './db-common.js';

describe('resultProblem', () => {
  const r = (rowCount: number, firstValue: unknown) => ({ rowCount, firstValue });

  it('holds when nothing is expected', () => {
    expect(resultProblem(r(0, undefined), undefined)).toBeUndefined();
  });

  it('reads a json cell as JSON and a value with text of its own by that text', () => {
    expect(resultProblem(r(1, { state: 'ok' }), { value: { op: 'eq', value: '{"state":"ok"}' } })).toBeUndefined();
    expect(resultProblem(r(1, [1, 2]), { value: { op: 'eq', value: '1,2' } })).toBeUndefined();
    expect(resultProblem(r(1, Buffer.from('ready')), { value: { op: 'eq', value: 'ready' } })).toBeUndefined();
  });

  it('compares the row count', () => {
    expect(resultProblem(r(3, 1), { rows: { op: 'ge', value: 1 } })).toBeUndefined();
    expect(resultProblem(r(0, undefined), { rows: { op: 'ge', value: 1 } })).toBe('0 rows, expected ge 1');
  });

  it('compares the first value as a number when both sides are numbers, else as text', () => {
    expect(resultProblem(r(1, '42'), { value: { op: 'eq', value: 42 } })).toBeUndefined();
    expect(resultProblem(r(1, 7), { value: { op: 'lt', value: 10 } })).toBeUndefined();
    expect(resultProblem(r(1, 12), { value: { op: 'lt', value: 10 } })).toBe('first value "12", expected lt 10');
    expect(resultProblem(r(1, 'ready'), { value: { op: 'eq', value: 'ready' } })).toBeUndefined();
    expect(resultProblem(r(1, true), { value: { op: 'eq', value: true } })).toBeUndefined();
    expect(resultProblem(r(1, 'abc'), { value: { op: 'eq', value: 5 } })).toBe('first value "abc", expected eq 5');
  });

  it('matches the first value against a regular expression', () => {
    expect(resultProblem(r(1, 'PostgreSQL 15.19'), { matches: '^PostgreSQL 1[5-9]' })).toBeUndefined();
    expect(resultProblem(r(1, null), { matches: '.' })).toBe('first value "" does not match /./');
  });

  it('refuses an invalid regular expression in the config', () => {
    expect(resultExpectation.safeParse({ matches: '(' }).error?.issues[0]?.message).toBe('is not a valid regular expression');
  });
});

describe('nodeTlsOptions', () => {
  it('is off when disabled, unverified for require, verified with SNI for verify', () => {
    expect(nodeTlsOptions({ mode: 'disable' }, 'db.local')).toBeUndefined();
    expect(nodeTlsOptions({ mode: 'require' }, 'db.local')).toEqual({ rejectUnauthorized: false, servername: 'db.local' });
    expect(nodeTlsOptions({ mode: 'verify' }, '127.0.0.1')).toEqual({ rejectUnauthorized: true });
    expect(nodeTlsOptions({ mode: 'verify', server_name: 'db.local' }, '127.0.0.1')).toEqual({ rejectUnauthorized: true, servername: 'db.local' });
  });
});
