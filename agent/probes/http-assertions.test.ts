import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import {
  assertionSchema,
  compare,
  evaluateAssertions,
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  parseJsonPath,
  resolveJsonPath,
  type Assertion,
  type ResponseView,
} from './http-assertions.js';

const doc = { data: { status: 'ok', items: [{ id: 1 }, { id: 2, tags: ['a', 'b'] }], count: '3', ready: true, none: null } };
const res: ResponseView = {
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8', 'set-cookie': ['a=1', 'b=2'], 'x-count': '42' },
  body: JSON.stringify(doc),
};

describe('parseJsonPath', () => {
  it.each([
    ['data.status', ['data', 'status']],
    ['$.data.items[1].id', ['data', 'items', 1, 'id']],
    ['$data.items[0]', ['data', 'items', 0]],
    ['[0].name', [0, 'name']],
    ['items[2][3]', ['items', 2, 3]],
    ['a.0', ['a', '0']],
    ['', []],
    ['$', []],
  ] as const)('%s', (text, expected) => {
    expect(parseJsonPath(text)).toEqual(expected);
  });

  it.each(['a.', '.a', 'a..b', 'a[x]', 'a[1', 'a]', 'a[1]b', '$.'])('refuses %s', (text) => {
    expect(parseJsonPath(text)).toBeUndefined();
  });
});

describe('resolveJsonPath', () => {
  it('walks objects and arrays, accepting numeric keys for arrays', () => {
    expect(resolveJsonPath(doc, ['data', 'items', 1, 'tags', 0])).toBe('a');
    expect(resolveJsonPath(doc, ['data', 'items', '1', 'id'])).toBe(2);
    expect(resolveJsonPath(doc, ['data', 'none'])).toBeNull();
  });

  it('gives undefined for missing steps and inherited properties', () => {
    expect(resolveJsonPath(doc, ['data', 'items', 5])).toBeUndefined();
    expect(resolveJsonPath(doc, ['data', 'status', 'x'])).toBeUndefined();
    expect(resolveJsonPath(doc, ['data', 'constructor'])).toBeUndefined();
    expect(resolveJsonPath(doc, ['data', '__proto__'])).toBeUndefined();
  });
});

describe('compare', () => {
  it.each([
    ['eq', 'ok', 'ok', true],
    ['eq', 200, '200', true],
    ['eq', '42', 42, true],
    ['eq', 'true', true, true],
    ['eq', true, 'true', true],
    ['eq', null, null, true],
    ['eq', '', 0, false],
    ['eq', 'ok', 'OK', false],
    ['ne', 'ok', 'down', true],
    ['lt', 5, 10, true],
    ['le', '10', 10, true],
    ['gt', 5, 10, false],
    ['ge', 10, 10, true],
    ['contains', 'application/json', 'json', true],
    ['contains', ['a', 'b'], 'b', true],
    ['contains', [1, 2], '2', true],
    ['not_contains', ['a', 'b'], 'c', true],
    ['matches', 'version 1.2.3', '^version \\d+\\.\\d+', true],
    ['matches', 503, '^5\\d\\d$', true],
    ['not_matches', 'error', 'ok', true],
    ['exists', null, undefined, true],
    ['not_exists', undefined, undefined, true],
    ['not_exists', 0, undefined, false],
  ] as const)('%s %j %j → %s', (op, actual, expected, outcome) => {
    expect(compare(op, actual, expected)).toBe(outcome);
  });

  it('explains what cannot be compared', () => {
    expect(compare('gt', 'abc', 1)).toBe('got "abc", not a number');
    expect(compare('eq', undefined, 'x')).toBe('missing');
    expect(compare('exists', undefined, undefined)).toBe('missing');
  });
});

describe('evaluateAssertions', () => {
  const check = (list: unknown[]) =>
    evaluateAssertions(
      list.map((a) => assertionSchema.parse(a)),
      res,
    );

  it('passes when every assertion holds', () => {
    expect(
      check([
        { source: 'status', op: 'eq', value: 200 },
        { source: 'header', name: 'Content-Type', op: 'contains', value: 'json' },
        { source: 'header', name: 'set-cookie', op: 'eq', value: 'a=1, b=2' },
        { source: 'header', name: 'x-count', op: 'gt', value: 40 },
        { source: 'header', name: 'x-missing', op: 'not_exists' },
        { source: 'body', op: 'matches', value: '"status":"ok"' },
        { source: 'json', path: 'data.items[1].tags', op: 'contains', value: 'b' },
        { source: 'json', path: 'data.count', op: 'ge', value: 3 },
        { source: 'json', path: 'data.ready', op: 'eq', value: true },
      ]),
    ).toEqual({ failures: [] });
  });

  it('reports each failure with the subject, the check and a short actual value', () => {
    expect(
      check([
        { source: 'status', op: 'lt', value: 200 },
        { source: 'json', path: 'data.status', op: 'eq', value: 'degraded' },
        { source: 'json', path: 'data.gone', op: 'exists' },
        { source: 'header', name: 'X-Count', op: 'matches', value: '^9' },
        { source: 'body', op: 'contains', value: 'maintenance' },
        { source: 'json', path: 'data.status', op: 'gt', value: 1 },
      ]),
    ).toEqual({
      failures: [
        'status: lt 200 failed (got 200)',
        'json data.status: eq "degraded" failed (got "ok")',
        'json data.gone: exists failed (missing)',
        'header x-count: matches /^9/ failed (got "42")',
        'body: contains "maintenance" failed',
        'json data.status: gt 1 failed (got "ok", not a number)',
      ],
    });
  });

  it('fails json assertions on a body that is not JSON, and cuts long values short', () => {
    const text: ResponseView = { status: 200, headers: { 'x-long': 'y'.repeat(500) }, body: '<html>' };
    const list = [
      { source: 'json', path: 'a', op: 'exists' },
      { source: 'header', name: 'x-long', op: 'eq', value: 'z' },
    ].map((a) => assertionSchema.parse(a));
    const out = evaluateAssertions(list, text);
    const [notJson, long] = 'failures' in out ? out.failures : [];
    expect(notJson).toBe('json a: body is not JSON');
    expect(long).toBe(`header x-long: eq "z" failed (got "${'y'.repeat(56)}...)`);
  });

  it('refuses a JSON body nested deeper than MAX_JSON_DEPTH before parsing it, and only for json assertions', () => {
    const deep: ResponseView = { status: 200, headers: {}, body: '['.repeat(1024 * 1024) };
    const json = [assertionSchema.parse({ source: 'json', path: 'status', op: 'eq', value: 'ok' })];
    expect(evaluateAssertions(json, deep)).toEqual({ refused: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
    const body = [assertionSchema.parse({ source: 'body', op: 'contains', value: 'ok' })];
    expect(evaluateAssertions(body, deep)).toEqual({ failures: ['body: contains "ok" failed'] });
    const atLimit: ResponseView = { status: 200, headers: {}, body: `${'['.repeat(MAX_JSON_DEPTH)}"ok"${']'.repeat(MAX_JSON_DEPTH)}` };
    const first = [assertionSchema.parse({ source: 'json', path: `${'[0]'.repeat(MAX_JSON_DEPTH)}`, op: 'eq', value: 'ok' })];
    expect(evaluateAssertions(first, atLimit)).toEqual({ failures: [] });
  });
});

describe('jsonDepthExceeds', () => {
  const exceeds = (text: string, limit: number) => jsonDepthExceeds(Buffer.from(text, 'utf8'), limit);

  it.each([
    ['{}', 1, false],
    ['{}', 0, true],
    ['[[1],[2,[3]]]', 3, false],
    ['[[1],[2,[3]]]', 2, true],
    ['{"a":{"b":[{}]}}', 4, false],
    ['{"a":{"b":[{}]}}', 3, true],
    // brackets inside strings, also after escaped quotes and backslashes, do not nest
    [String.raw`["[[[[", "\\"]`, 1, false],
    [String.raw`["\\"[[]`, 1, true],
    [String.raw`["\"[[[[", {}]`, 2, false],
    ['"{{{{"', 0, false],
    ['[[[[', 3, true],
    ['', 0, false],
  ] as const)('%s with limit %d: %s', (text, limit, expected) => {
    expect(exceeds(text, limit)).toBe(expected);
  });

  it('scans 1 MiB of nested brackets in one linear pass, stopping at the limit', () => {
    const open = Buffer.alloc(1024 * 1024, '[');
    expect(jsonDepthExceeds(open, MAX_JSON_DEPTH)).toBe(true);
    const flat = Buffer.from(`[${'[0],'.repeat(200_000)}[0]]`);
    const t0 = performance.now();
    expect(jsonDepthExceeds(flat, MAX_JSON_DEPTH)).toBe(false);
    // Linear: well under the 100 ms a quadratic scan (or a JSON.parse under --lite-mode) would take.
    expect(performance.now() - t0).toBeLessThan(100);
  });
});

describe('assertionSchema', () => {
  const problems = (a: unknown) => {
    const r = assertionSchema.safeParse(a);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts the documented shapes', () => {
    const ok: Assertion[] = [
      { source: 'json', path: 'data.status', op: 'eq', value: 'ok' },
      { source: 'body', op: 'matches', value: 'ready' },
      { source: 'header', name: 'content-type', op: 'contains', value: 'json' },
      { source: 'status', op: 'eq', value: 200 },
      { source: 'json', path: 'data.id', op: 'exists' },
    ];
    for (const a of ok) expect(problems(a)).toEqual([]);
  });

  it.each([
    [{ source: 'json', path: 'a..b', op: 'eq', value: 1 }, 'path: must be a path like data.items[0].status'],
    [{ source: 'json', path: 'a', op: 'eq' }, 'value: eq needs a value'],
    [{ source: 'json', path: 'a', op: 'exists', value: 1 }, 'value: exists takes no value'],
    [{ source: 'body', op: 'exists' }, 'op: exists applies to json and header assertions only'],
    [{ source: 'status', op: 'gt', value: '200' }, 'value: gt needs a number'],
    [{ source: 'body', op: 'matches', value: '(' }, 'value: is not a valid regular expression'],
    [{ source: 'body', op: 'matches', value: 5 }, 'value: matches needs a regular expression string'],
    [{ source: 'header', name: 'bad name', op: 'exists' }, 'name: must be an HTTP header name'],
  ])('refuses %j', (a, message) => {
    expect(problems(a)).toEqual([message]);
  });

  it('refuses unknown operators, sources and keys', () => {
    expect(problems({ source: 'json', path: 'a', op: 'like', value: 1 })).toHaveLength(1);
    expect(problems({ source: 'cookie', op: 'eq', value: 1 })).toHaveLength(1);
    expect(problems({ source: 'body', op: 'eq', value: 'x', path: 'a' })).toHaveLength(1);
  });
});
