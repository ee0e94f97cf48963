import { failure, type ProbeResult } from './types.js';

/** The run's deadline as `withDeadline` hands it to the work. */
export interface Deadline {
  /** Settles as `work` does, or rejects with the signal's reason at the deadline (a later rejection of `work` is ignored). */
  race<T>(work: Promise<T>): Promise<T>;
  /** Runs `cut` at the deadline, or at once when it has passed: destroys what a driver holds open. */
  onAbort(cut: () => void): void;
}

/**
 * Runs a probe's work against its deadline, for work that awaits what does not take a signal (a
 * driver's lazy import, a driver's own promises). It looks at `signal.aborted` first and subscribes
 * before the work's first await, so a deadline that passes while a driver loads is heard; the
 * listener is removed however the work ends. The work races each await with `deadline.race`; an
 * abort that escapes it resolves as `timeout`, any other exception is left to the runner.
 */
export async function withDeadline(signal: AbortSignal, work: (deadline: Deadline) => Promise<ProbeResult>): Promise<ProbeResult> {
  if (signal.aborted) return failure('timeout', 'deadline exceeded');
  const cuts: Array<() => void> = [];
  let expire: (reason: unknown) => void = () => {};
  const expired = new Promise<never>((_, reject) => (expire = reject));
  expired.catch(() => {});
  const onAbort = (): void => {
    for (const cut of cuts.splice(0)) cut();
    expire(signal.reason);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const deadline: Deadline = {
    race<T>(w: Promise<T>): Promise<T> {
      w.catch(() => {}); // the loser of the race may still reject, with nobody waiting
      return Promise.race([w, expired]);
    },
    onAbort(cut) {
      if (signal.aborted) cut();
      else cuts.push(cut);
    },
  };
  try {
    return await work(deadline);
  } catch (err) {
    if (signal.aborted) return failure('timeout', 'deadline exceeded');
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
