import type { z } from 'zod';
import type { Reason } from '../../common/catalogue.js';
import type { PlatformName } from '../platform/index.js';

/** Why a check failed or degraded: the closed set lives in common/catalogue.ts, each reason with its words. */
export { REASONS, type Reason } from '../../common/catalogue.js';

/** Named stages of one probe run, exported as `centerwatch_probe_phase_seconds{phase}`. */
export const PHASES = ['resolve', 'connect', 'tls', 'auth', 'request', 'first_byte', 'transfer', 'query'] as const;
export type Phase = (typeof PHASES)[number];

/** The source a check is bound to: the line's interface and/or source address. */
export interface LineBinding {
  name: string;
  interface?: string;
  source?: string;
}

export interface ProbeLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Something a probe keeps open between runs (a long-lived `ping`); the scheduler closes it on stop.
 */
export interface Session {
  close(): void | Promise<void>;
}

export interface ProbeContext {
  /** Aborted at the run's deadline or at shutdown; every socket and child process must honour it. */
  signal: AbortSignal;
  log: ProbeLog;
  /** The run's timeout in milliseconds (the deadline behind `signal`). */
  timeoutMs: number;
  /** The check's interval in milliseconds. */
  intervalMs: number;
  line?: LineBinding;
  /** Returns this check's long-lived session, creating it on first use. */
  session<T extends Session>(create: () => T): T;
}

/** One number a probe observed; `metric` is a key of the definition's `metrics`. */
export interface Observation {
  metric: string;
  value: number;
  labels?: Record<string, string>;
}

/** What one run found. A failed target is a result, never an exception. */
export interface ProbeResult {
  up: boolean;
  /** `ok` when up and not degraded; set by the runner to `threshold` when a threshold degrades it. */
  reason: Reason;
  /** Short human text for `--once` and logs. Must not contain secrets. */
  message?: string;
  degraded?: boolean;
  phases?: Partial<Record<Phase, number>>;
  observations?: Observation[];
}

/** A kind-specific metric a probe can report. Gauges are replaced each run; counters add; histograms observe. */
export interface MetricSpec {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  /** Labels beyond the check's own (bounded values only). */
  labels?: readonly string[];
  buckets?: readonly number[];
  /** Whether a `thresholds` entry may name this metric (gauges only). */
  threshold?: boolean;
}

export interface ProbeDefinition<Options = unknown> {
  kind: string;
  /** What `target` means for this kind, for the JSON Schema and messages. */
  targetHelp: string;
  /** Whether `target` is required (every kind but `host`). */
  targetRequired: boolean;
  /**
   * What is wrong with a non-empty `target` for this kind, or undefined when it is fine: said by
   * `--check-config` with file, line and field (agent/probes/target.ts has the common rules).
   * `options` are the check's options when they are valid, else undefined.
   */
  targetProblem(target: string, options: Options | undefined): string | undefined;
  options: z.ZodType<Options>;
  /**
   * The lines (names from `lines`) the options name, each with its path under `options`, for the
   * config's cross-field rules to check. Given the options as written (they may not parse). Absent: none.
   */
  lineRefs?(options: unknown): Array<{ path: PropertyKey[]; line: string }>;
  metrics: Record<string, MetricSpec>;
  run(target: string, options: Options, ctx: ProbeContext): Promise<ProbeResult>;
  /**
   * Why a check of this kind (with these options and target) cannot run on `platform`, or undefined when it can.
   * Absent: every platform. The runner then reports `not_supported` without calling `run`, and
   * `--check-config` warns with the file, line and field.
   */
  unsupportedOn?(platform: PlatformName, options: Options, target: string): string | undefined;
}

/** Declares a probe with its option type inferred from the schema. */
export function defineProbe<S extends z.ZodType>(def: Omit<ProbeDefinition<z.output<S>>, 'options'> & { options: S }): ProbeDefinition<z.output<S>> {
  return def as ProbeDefinition<z.output<S>>;
}

export function failure(reason: Reason, message?: string, extra: Partial<ProbeResult> = {}): ProbeResult {
  return { up: false, reason, ...(message === undefined ? {} : { message }), ...extra };
}

export function success(extra: Partial<ProbeResult> = {}): ProbeResult {
  return { up: true, reason: 'ok', ...extra };
}
