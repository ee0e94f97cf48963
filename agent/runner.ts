import { performance } from 'node:perf_hooks';
import type { ProbeContext, ProbeDefinition, ProbeLog, ProbeResult, Session, LineBinding } from './probes/types.js';
import { platformName, PLATFORM_TITLES } from './platform/index.js';
import { brokenThresholds, type Threshold } from './thresholds.js';

/** What the runner needs of a check (a subset of the config's check). */
export interface RunnableCheck {
  id: string;
  kind: string;
  target: string;
  interval: number;
  timeout: number;
  options: unknown;
  thresholds: readonly Threshold[];
}

export interface RunOutcome {
  result: ProbeResult;
  durationSeconds: number;
  /** True when the probe did not settle by its deadline (plus grace) and was given up on. */
  abandoned: boolean;
}

/** How long past its deadline a probe may take to report its own (richer) timeout result. */
export const DEADLINE_GRACE_MS = 100;

/**
 * Runs one check once under a hard deadline. Never throws: an exception from the probe becomes
 * `internal_error`, a probe that ignores its signal is abandoned at the deadline so it cannot hold
 * a concurrency slot, and thresholds turn an up result degraded.
 */
export async function runCheck(
  check: RunnableCheck,
  def: ProbeDefinition,
  deps: { log: ProbeLog; line?: LineBinding | undefined; sessions: Map<string, Session>; stop?: AbortSignal | undefined },
): Promise<RunOutcome> {
  const deadline = new AbortController();
  const signal = deps.stop ? AbortSignal.any([deadline.signal, deps.stop]) : deadline.signal;
  const ctx: ProbeContext = {
    signal,
    log: deps.log,
    timeoutMs: check.timeout,
    intervalMs: check.interval,
    ...(deps.line ? { line: deps.line } : {}),
    session<T extends Session>(create: () => T): T {
      let s = deps.sessions.get(check.id) as T | undefined;
      if (!s) {
        s = create();
        deps.sessions.set(check.id, s);
      }
      return s;
    },
  };
  const start = performance.now();
  const unsupported = def.unsupportedOn?.(platformName(), check.options, check.target);
  if (unsupported !== undefined) {
    const message = `${check.kind} on ${PLATFORM_TITLES[platformName()]}: ${unsupported}`;
    return { result: { up: false, reason: 'not_supported', message }, durationSeconds: (performance.now() - start) / 1000, abandoned: false };
  }
  let timer: NodeJS.Timeout | undefined;
  let abandoned = false;
  const probe = Promise.resolve()
    .then(() => def.run(check.target, check.options, ctx))
    .catch((err: unknown): ProbeResult => {
      deps.log.warn('probe threw', { check: check.id, error: (err as { name?: string })?.name ?? 'error' });
      return { up: false, reason: 'internal_error', message: 'probe failed unexpectedly' };
    });
  const hardDeadline = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      deadline.abort(new DOMException('deadline exceeded', 'TimeoutError'));
      timer = setTimeout(() => {
        abandoned = true;
        resolve({ up: false, reason: 'timeout', message: 'deadline exceeded' });
      }, DEADLINE_GRACE_MS);
    }, check.timeout);
  });
  let result = await Promise.race([probe, hardDeadline]);
  clearTimeout(timer);
  const durationSeconds = (performance.now() - start) / 1000;
  if (result.up) {
    const broken = brokenThresholds(check.thresholds, result.observations ?? []);
    if (broken.length > 0) {
      result = {
        ...result,
        degraded: true,
        reason: result.reason === 'ok' ? 'threshold' : result.reason,
        message: joinMessage(result.message, broken.join('; ')),
      };
    }
  }
  return { result, durationSeconds, abandoned };
}

function joinMessage(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b;
}
