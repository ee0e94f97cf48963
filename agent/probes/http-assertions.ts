import { z } from 'zod';

/**
 * Checks on an HTTP response, written as data (`{ source, op, value }`), never as a string DSL:
 * they validate at load time and read the same in YAML, JSON Schema and messages.
 */
export const ASSERTION_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains', 'not_contains', 'matches', 'not_matches', 'exists', 'not_exists'] as const;
export type AssertionOp = (typeof ASSERTION_OPS)[number];

const NUMERIC_OPS: readonly AssertionOp[] = ['lt', 'le', 'gt', 'ge'];
const REGEX_OPS: readonly AssertionOp[] = ['matches', 'not_matches'];
const PRESENCE_OPS: readonly AssertionOp[] = ['exists', 'not_exists'];

const op = z.enum(ASSERTION_OPS);
/** The expected value; absent for `exists` / `not_exists`. */
const value = z.union([z.string(), z.number(), z.boolean(), z.null()]).optional();
/** An HTTP header name (RFC 9110 token). */
export const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

export const assertionSchema = z
  .discriminatedUnion('source', [
    /** The final response's status code. */
    z.object({ source: z.literal('status'), op, value }).strict(),
    /** The response body as UTF-8 text (at most `max_body_bytes` of it). */
    z.object({ source: z.literal('body'), op, value }).strict(),
    /** A response header, by case-insensitive name; repeated headers are joined with ", ". */
    z.object({ source: z.literal('header'), name: headerName, op, value }).strict(),
    /** A value inside the JSON body at a dotted/indexed path such as `data.items[0].status`. */
    z
      .object({
        source: z.literal('json'),
        path: z.string().refine((p) => parseJsonPath(p) !== undefined, 'must be a path like data.items[0].status'),
        op,
        value,
      })
      .strict(),
  ])
  .superRefine((a, ctx) => {
    const problem = assertionProblem(a);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  });

export type Assertion = z.output<typeof assertionSchema>;

/** Cross-field rules of one assertion (kept apart from zod so they can be unit-tested directly). */
export function assertionProblem(a: Assertion): { field: 'op' | 'value'; message: string } | undefined {
  if (PRESENCE_OPS.includes(a.op)) {
    if (a.source !== 'json' && a.source !== 'header') return { field: 'op', message: `${a.op} applies to json and header assertions only` };
    if (a.value !== undefined) return { field: 'value', message: `${a.op} takes no value` };
    return undefined;
  }
  if (a.value === undefined) return { field: 'value', message: `${a.op} needs a value` };
  if (NUMERIC_OPS.includes(a.op) && typeof a.value !== 'number') return { field: 'value', message: `${a.op} needs a number` };
  if (REGEX_OPS.includes(a.op)) {
    if (typeof a.value !== 'string') return { field: 'value', message: `${a.op} needs a regular expression string` };
    try {
      new RegExp(a.value);
    } catch {
      return { field: 'value', message: 'is not a valid regular expression' };
    }
  }
  return undefined;
}

export type PathSegment = string | number;

/**
 * Parses `data.items[0].status` (an optional leading `$` or `$.` is accepted) into segments.
 * `''` and `$` are the whole document. Returns undefined for anything else.
 */
export function parseJsonPath(text: string): PathSegment[] | undefined {
  let rest = text;
  if (rest.startsWith('$.')) {
    rest = rest.slice(2);
    if (rest === '' || rest.startsWith('[')) return undefined;
  } else if (rest.startsWith('$')) rest = rest.slice(1);
  const segments: PathSegment[] = [];
  let expectKey = rest.length > 0 && !rest.startsWith('[');
  while (rest.length > 0) {
    const m = expectKey ? /^[^.[\]]+/.exec(rest) : /^\[(\d+)\]/.exec(rest);
    if (!m) return undefined;
    segments.push(expectKey ? m[0] : Number(m[1]));
    rest = rest.slice(m[0].length);
    if (rest.startsWith('.')) {
      rest = rest.slice(1);
      if (rest.length === 0) return undefined;
      expectKey = true;
    } else if (rest.startsWith('[')) expectKey = false;
    else if (rest.length > 0) return undefined;
  }
  return segments;
}

/** The value at a path, or undefined when any step is missing. Own properties only (no `__proto__` tricks). */
export function resolveJsonPath(doc: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      const i = typeof seg === 'number' ? seg : /^\d+$/.test(seg) ? Number(seg) : NaN;
      if (!(i >= 0 && i < cur.length)) return undefined;
      cur = cur[i];
    } else if (cur !== null && typeof cur === 'object') {
      const key = String(seg);
      if (!Object.hasOwn(cur, key)) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    } else return undefined;
  }
  return cur;
}

/** What the evaluator needs of a response. */
export interface ResponseView {
  status: number;
  /** Node's incoming headers: lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Evaluates every assertion and returns one short message per failure (empty: all passed).
 * Messages quote at most a short prefix of the actual value and never the body itself.
 */
export function evaluateAssertions(assertions: readonly Assertion[], res: ResponseView): string[] {
  const failures: string[] = [];
  let json: { ok: true; doc: unknown } | { ok: false } | undefined;
  for (const a of assertions) {
    let actual: unknown;
    let subject: string;
    switch (a.source) {
      case 'status':
        actual = res.status;
        subject = 'status';
        break;
      case 'body':
        actual = res.body;
        subject = 'body';
        break;
      case 'header': {
        const h = res.headers[a.name.toLowerCase()];
        actual = Array.isArray(h) ? h.join(', ') : h;
        subject = `header ${a.name.toLowerCase()}`;
        break;
      }
      case 'json': {
        json ??= parseJson(res.body);
        subject = `json ${a.path}`;
        if (!json.ok) {
          failures.push(`${subject}: body is not JSON`);
          continue;
        }
        actual = resolveJsonPath(json.doc, parseJsonPath(a.path) ?? []);
        break;
      }
    }
    const verdict = compare(a.op, actual, a.value);
    if (verdict === true) continue;
    const expected = a.value === undefined ? '' : ` ${a.op.endsWith('matches') ? `/${String(a.value)}/` : show(a.value)}`;
    const got = verdict === false ? (a.source === 'body' || actual === undefined ? '' : ` (got ${show(actual)})`) : ` (${verdict})`;
    failures.push(`${subject}: ${a.op}${expected} failed${got}`);
  }
  return failures;
}

function parseJson(text: string): { ok: true; doc: unknown } | { ok: false } {
  try {
    return { ok: true, doc: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** True when it holds, false when it does not, or a reason text when it cannot be applied. */
export function compare(op: AssertionOp, actual: unknown, expected: unknown): boolean | string {
  if (op === 'exists') return actual !== undefined || 'missing';
  if (op === 'not_exists') return actual === undefined;
  if (actual === undefined) return 'missing';
  switch (op) {
    case 'eq':
      return looselyEqual(actual, expected);
    case 'ne':
      return !looselyEqual(actual, expected);
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      const a = toNumber(actual);
      const e = toNumber(expected);
      if (a === undefined || e === undefined) return `got ${show(actual)}, not a number`;
      return op === 'lt' ? a < e : op === 'le' ? a <= e : op === 'gt' ? a > e : a >= e;
    }
    case 'contains':
    case 'not_contains': {
      const has = Array.isArray(actual) ? actual.some((x) => looselyEqual(x, expected)) : asText(actual).includes(asText(expected));
      return op === 'contains' ? has : !has;
    }
    case 'matches':
    case 'not_matches': {
      const hit = new RegExp(String(expected)).test(asText(actual));
      return op === 'matches' ? hit : !hit;
    }
  }
}

/**
 * Equality across the text/number boundary: headers are always text and YAML authors write
 * `value: 200` or `value: "200"` interchangeably, so `"200"` equals `200` and `"true"` equals `true`.
 */
function looselyEqual(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true;
  if (typeof actual === 'string' && typeof expected === 'number') return toNumber(actual) === expected;
  if (typeof actual === 'number' && typeof expected === 'string') return toNumber(expected) === actual;
  if (typeof actual === 'string' && typeof expected === 'boolean') return actual === String(expected);
  if (typeof actual === 'boolean' && typeof expected === 'string') return String(actual) === expected;
  return false;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
