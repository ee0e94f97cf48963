/**
 * The host probe reads several independent things (CPU, memory, uptime, each filesystem, the default
 * route). Each is read on its own and may fail on its own: the check stays up with what it could
 * read, and says what it could not and why.
 */
import { describeError, reasonFromError } from './errors.js';
import type { Reason } from './types.js';

/** A part of the host reading that could not be read, with a reason from the closed set and a short text. */
export class HostPartError extends Error {
  constructor(
    readonly reason: Reason,
    /** Why, for the message: "route.exe not found". Never an error's own text. */
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'HostPartError';
  }
}

/** What could not be read in one run. */
export interface HostProblem {
  /** For the message: "default route unknown: route.exe not found". */
  text: string;
  reason: Reason;
  /** Only a filesystem the check lists fails the check; anything else degrades it. */
  fails: boolean;
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `work`, turning a throw (synchronous or not) into a value. */
export async function settle<T>(work: () => T | Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** `<part> unknown: <why>`, with the reason the error carries (a HostPartError) or its code gives. */
export function partProblem(part: string, error: unknown, signal?: AbortSignal, fails = false): HostProblem {
  if (error instanceof HostPartError) return { text: `${part} unknown: ${error.detail}`, reason: error.reason, fails };
  const reason = reasonFromError(error, signal);
  // reasonFromError's fallback is a network word; a local read that failed for no known reason is the agent's own error.
  return { text: `${part} unknown: ${describeError(error, signal)}`, reason: reason === 'protocol' ? 'internal_error' : reason, fails };
}
