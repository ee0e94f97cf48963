/**
 * The evaluation of HTTP assertions, pure. It is written as one self-contained factory (no imports,
 * nothing from outside its body) because the same source runs in two places: here, for unit tests
 * and for status/header assertions, and, as text, in the body-check worker thread
 * (http-body-worker.ts), where a hostile body's JSON.parse or a runaway regex cannot block the
 * probe loop and can be stopped at a deadline.
 */

/** JSON bodies nested deeper than this are refused before parsing (real APIs nest a handful of levels). */
export const MAX_JSON_DEPTH = 64;

/** A step of a JSON path: an object key or an array index. */
export type PathSegment = string | number;

/** What the evaluator needs of a response: the body as received (bytes, not yet decoded). */
export interface BodyView {
  status: number;
  /** Node's incoming headers: lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** One assertion as the evaluator sees it (the schema's output; see http-assertions.ts). */
export interface AssertionData {
  source: 'status' | 'body' | 'header' | 'json';
  op: string;
  value?: string | number | boolean | null | undefined;
  name?: string;
  path?: string;
}

/** Every assertion evaluated (`failures` empty: all held), or the body refused before any was. */
export type Evaluation = { failures: string[] } | { refused: string };

export function bodyChecks() {
  /**
   * The deepest nesting of a JSON text, counted in one linear pass over its bytes without building
   * anything, stopping as soon as it passes `limit`. Brackets inside strings do not count.
   */
  function jsonDepthExceeds(bytes: Uint8Array, limit: number): boolean {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      if (inString) {
        if (c === 0x5c)
          i++; // backslash: skip the escaped byte (a quote or another backslash)
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > limit) return true;
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
    return false;
  }

  /**
   * Parses `data.items[0].status` (an optional leading `$` or `$.` is accepted) into segments.
   * `''` and `$` are the whole document. Returns undefined for anything else.
   */
  function parseJsonPath(text: string): PathSegment[] | undefined {
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
  function resolveJsonPath(doc: unknown, path: readonly PathSegment[]): unknown {
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

  /**
   * Evaluates every assertion and returns one short message per failure, or refuses a JSON body
   * nested deeper than `maxDepth` before parsing it. Messages quote at most a short prefix of the
   * actual value and never the body itself.
   */
  function evaluate(assertions: readonly AssertionData[], res: BodyView, maxDepth: number): Evaluation {
    const needsText = assertions.some((a) => a.source === 'body' || a.source === 'json');
    const text = needsText ? new TextDecoder().decode(res.body) : '';
    if (assertions.some((a) => a.source === 'json') && jsonDepthExceeds(res.body, maxDepth)) {
      return { refused: `JSON nested deeper than ${maxDepth} levels` };
    }
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
          actual = text;
          subject = 'body';
          break;
        case 'header': {
          const name = String(a.name).toLowerCase();
          const h = res.headers[name];
          actual = Array.isArray(h) ? h.join(', ') : h;
          subject = `header ${name}`;
          break;
        }
        case 'json': {
          json ??= parseJson(text);
          subject = `json ${a.path}`;
          if (!json.ok) {
            failures.push(`${subject}: body is not JSON`);
            continue;
          }
          actual = resolveJsonPath(json.doc, parseJsonPath(a.path ?? '') ?? []);
          break;
        }
      }
      const verdict = compare(a.op, actual, a.value);
      if (verdict === true) continue;
      const expected = a.value === undefined ? '' : ` ${a.op.endsWith('matches') ? `/${String(a.value)}/` : show(a.value)}`;
      const got = verdict === false ? (a.source === 'body' || actual === undefined ? '' : ` (got ${show(actual)})`) : ` (${verdict})`;
      failures.push(`${subject}: ${a.op}${expected} failed${got}`);
    }
    return { failures };
  }

  function parseJson(text: string): { ok: true; doc: unknown } | { ok: false } {
    try {
      return { ok: true, doc: JSON.parse(text) as unknown };
    } catch {
      return { ok: false };
    }
  }

  /** True when it holds, false when it does not, or a reason text when it cannot be applied. */
  function compare(op: string, actual: unknown, expected: unknown): boolean | string {
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
    return `unknown operator ${op}`;
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

  return { evaluate, compare, parseJsonPath, resolveJsonPath, jsonDepthExceeds };
}
