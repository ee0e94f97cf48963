/**
 * Runs each check on its own interval, with a random phase so checks spread over the interval
 * instead of firing together, at most `concurrency` runs at once. A run still in flight (or still
 * waiting for a slot) when its next tick comes makes that tick skip, counted, rather than queue up.
 */
export interface ScheduledCheck {
  id: string;
  interval: number;
}

export interface SchedulerOptions<C extends ScheduledCheck> {
  checks: readonly C[];
  concurrency: number;
  /** Runs one check; must settle by the check's deadline (the runner guarantees it). */
  run: (check: C) => Promise<void>;
  onSkip?: (check: C) => void;
  /** Phase offset in [0, interval) for a check; random by default. */
  phase?: (check: C) => number;
}

export class Scheduler<C extends ScheduledCheck> {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: Array<() => void> = [];
  private active = 0;
  private stopped = true;

  constructor(private readonly opts: SchedulerOptions<C>) {}

  start(): void {
    this.stopped = false;
    const now = Date.now();
    for (const check of this.opts.checks) {
      const phase = this.opts.phase?.(check) ?? Math.random() * check.interval;
      this.arm(check, now + phase);
    }
  }

  /** Stops scheduling and waits for the runs in flight to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    // Runs waiting for a slot will never get one now: release them so they return without running.
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.allSettled([...this.inFlight]);
  }

  get running(): number {
    return this.active;
  }

  /** Schedules ticks at fixed times (due, due + interval, …) so a slow run does not make the check drift. */
  private arm(check: C, due: number): void {
    if (this.stopped) return;
    const timer = setTimeout(
      () => {
        this.tick(check);
        let next = due + check.interval;
        const now = Date.now();
        if (next <= now) next += Math.ceil((now - next + 1) / check.interval) * check.interval;
        this.arm(check, next);
      },
      Math.max(0, due - Date.now()),
    );
    this.timers.set(check.id, timer);
  }

  private tick(check: C): void {
    if (this.busy.has(check.id)) {
      this.opts.onSkip?.(check);
      return;
    }
    this.busy.add(check.id);
    const p = this.execute(check).finally(() => {
      this.busy.delete(check.id);
      this.inFlight.delete(p);
    });
    this.inFlight.add(p);
  }

  private async execute(check: C): Promise<void> {
    if (this.active >= this.opts.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.stopped) return;
    }
    this.active++;
    try {
      await this.opts.run(check);
    } catch {
      // run() is not supposed to throw; a bug there must not stop the schedule.
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
