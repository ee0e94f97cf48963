import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { METRIC } from '../../common/metrics.js';
import { failure, type MetricSpec, type Phase, type ProbeResult } from './types.js';
import { describeError } from './errors.js';

/**
 * What the database probes share: TLS options, the check on a query's result, and a clock for
 * phases. Each kind keeps its own driver and its own map from driver error codes to reasons.
 */

/** TLS to a database server. */
export const dbTlsOptions = z
  .object({
    /** `disable` (default): plain; `require`: encrypted, any certificate; `verify`: encrypted and verified. */
    mode: z.enum(['disable', 'require', 'verify']).default('disable'),
    /** PEM file of the CAs to trust for `verify` (a provincial private CA). */
    ca_file: z.string().optional(),
    /** Name to verify the certificate against; defaults to the target host. */
    server_name: z.string().optional(),
  })
  .strict();
export type DbTlsOptions = z.output<typeof dbTlsOptions>;

const COMPARISONS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

/** Checks on the result of the check's query; all given must hold. */
export const resultExpectation = z
  .object({
    /** Number of rows returned, e.g. `{ op: ge, value: 1 }`. */
    rows: z
      .object({ op: z.enum(COMPARISONS), value: z.number().int().min(0) })
      .strict()
      .optional(),
    /** The first column of the first row, compared as a number when both sides are numbers, else as text. */
    value: z
      .object({ op: z.enum(COMPARISONS), value: z.union([z.string(), z.number(), z.boolean()]) })
      .strict()
      .optional(),
    /** A regular expression the first column of the first row (as text) must match. */
    matches: z
      .string()
      .refine((r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      }, 'is not a valid regular expression')
      .optional(),
  })
  .strict();
export type ResultExpectation = z.output<typeof resultExpectation>;

function compare(op: (typeof COMPARISONS)[number], got: number | string, want: number | string): boolean {
  switch (op) {
    case 'eq':
      return got === want;
    case 'ne':
      return got !== want;
    case 'lt':
      return got < want;
    case 'le':
      return got <= want;
    case 'gt':
      return got > want;
    case 'ge':
      return got >= want;
  }
}

/**
 * A result cell as `expect.value` compares it: empty for NULL; a value with text of its own (numbers,
 * dates, arrays, a driver's decimals and ids) by that text; a plain object (a json column) as JSON,
 * where String() would give "[object Object]".
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value !== 'object') return ''; // a function or symbol: no driver gives one
  if (value.toString !== Object.prototype.toString) return (value as { toString(): string }).toString();
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Why a query's result does not meet the expectation, or undefined when it does (pure). */
export function resultProblem(result: { rowCount: number; firstValue: unknown }, expect: ResultExpectation | undefined): string | undefined {
  if (!expect) return undefined;
  if (expect.rows && !compare(expect.rows.op, result.rowCount, expect.rows.value)) {
    return `${result.rowCount} rows, expected ${expect.rows.op} ${expect.rows.value}`;
  }
  const text = cellText(result.firstValue);
  if (expect.value) {
    const want = expect.value.value;
    const asNumber = typeof want === 'number' && text.trim() !== '' && Number.isFinite(Number(text));
    const got = asNumber ? Number(text) : text;
    const wanted = asNumber ? want : String(want);
    if (!compare(expect.value.op, got, wanted)) return `first value ${JSON.stringify(text)}, expected ${expect.value.op} ${JSON.stringify(want)}`;
  }
  if (expect.matches !== undefined && !new RegExp(expect.matches).test(text)) return `first value ${JSON.stringify(text)} does not match /${expect.matches}/`;
  return undefined;
}

/** Node TLS options for a database driver from the check's TLS options (undefined when disabled). */
export function nodeTlsOptions(tls: DbTlsOptions, host: string): { rejectUnauthorized: boolean; ca?: Buffer; servername?: string } | undefined {
  if (tls.mode === 'disable') return undefined;
  return {
    rejectUnauthorized: tls.mode === 'verify',
    ...(tls.ca_file ? { ca: readFileSync(tls.ca_file) } : {}),
    // SNI takes names only: an IP target is verified against the certificate's IP entries.
    ...(tls.server_name || isIP(host) === 0 ? { servername: tls.server_name ?? host } : {}),
  };
}

/** Measures consecutive phases: `lap('connect')` records the time since the previous lap. */
/**
 * Reads a check's TLS files (its `ca_file`) before connecting: a file that cannot be read fails the
 * check as `config` (the configuration is wrong, the target may be fine).
 */
export function readTlsFiles<T>(read: () => T): { files: T } | { failure: ProbeResult } {
  try {
    return { files: read() };
  } catch (err) {
    return { failure: failure('config', `cannot read ca_file (${describeError(err)})`) };
  }
}

export function phaseClock(): { lap(phase: Phase): void; phases: Partial<Record<Phase, number>> } {
  const phases: Partial<Record<Phase, number>> = {};
  let last = performance.now();
  return {
    phases,
    lap(phase) {
      const now = performance.now();
      phases[phase] = (phases[phase] ?? 0) + (now - last) / 1000;
      last = now;
    },
  };
}

/** Replication metrics of the kinds that have a `replication` option, under the same keys. */
export const REPLICATION_METRICS = {
  is_replica: {
    name: METRIC.dbReplica,
    help: 'Whether the database server is a replica / standby (1) or a primary (0); reported when `replication` is on.',
    type: 'gauge',
    threshold: true,
  },
  replication_lag_seconds: {
    name: METRIC.dbReplicationLagSeconds,
    help: 'How far a replica is behind its primary (absent when it is not a replica or not replicating).',
    type: 'gauge',
    threshold: true,
  },
} as const satisfies Record<string, MetricSpec>;

/**
 * Imports a CommonJS driver lazily. Node's own loader puts its exports on the namespace, the
 * bundle's loader only under `default`: take `default` when it is there.
 */
export function lazyDriver<T>(load: () => Promise<unknown>): () => Promise<T> {
  let driver: Promise<T> | undefined;
  return () => (driver ??= load().then((m) => ((m as { default?: T }).default ?? m) as T));
}

/** A `user` needs its `password` (and, with `bothWays`, a password needs its user): one message for every kind. */
export function credentialPairProblems(o: { user?: unknown; password?: unknown }, ctx: z.RefinementCtx, bothWays = false): void {
  if (o.user !== undefined && o.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'is required with user' });
  if (bothWays && o.user === undefined && o.password !== undefined) ctx.addIssue({ code: 'custom', path: ['user'], message: 'is required with password' });
}
