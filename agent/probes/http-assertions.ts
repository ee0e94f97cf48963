import { z } from 'zod';
import { bodyChecks, MAX_JSON_DEPTH, type Evaluation } from './http-body-checks.js';

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

export type { PathSegment } from './http-body-checks.js';

export { MAX_JSON_DEPTH } from './http-body-checks.js';

/** The pure evaluation (http-body-checks.ts), shared with the body-check worker. */
export const { compare, parseJsonPath, resolveJsonPath, jsonDepthExceeds } = bodyChecks();
const { evaluate } = bodyChecks();

/** What the evaluator needs of a response, with the body as text (tests and small bodies). */
export interface ResponseView {
  status: number;
  /** Node's incoming headers: lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Evaluates every assertion here, on the calling thread, and returns one short message per failure
 * (empty: all passed), or the reason the body was refused. The probe sends bodies to the worker
 * (http-body-worker.ts) instead; this is for status/header assertions and tests.
 */
export function evaluateAssertions(assertions: readonly Assertion[], res: ResponseView): Evaluation {
  return evaluate(assertions, { status: res.status, headers: res.headers, body: Buffer.from(res.body, 'utf8') }, MAX_JSON_DEPTH);
}
