import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from './scheduler.js';

describe('Scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs each check every interval from its phase offset', async () => {
    const runs: Array<[string, number]> = [];
    const s = new Scheduler({
      checks: [
        { id: 'a', interval: 1000 },
        { id: 'b', interval: 3000 },
      ],
      concurrency: 4,
      phase: (c) => (c.id === 'a' ? 100 : 2500),
      run: async (c) => {
        runs.push([c.id, Date.now()]);
      },
    });
    s.start();
    await vi.advanceTimersByTimeAsync(6000);
    await s.stop();
    expect(runs).toEqual([
      ['a', 100],
      ['a', 1100],
      ['a', 2100],
      ['b', 2500],
      ['a', 3100],
      ['a', 4100],
      ['a', 5100],
      ['b', 5500],
    ]);
  });

  it('spreads checks over the interval with a random phase by default', async () => {
    const first = new Map<string, number>();
    const spy = vi.spyOn(Math, 'random').mockReturnValueOnce(0.25).mockReturnValueOnce(0.75);
    const s = new Scheduler({
      checks: [
        { id: 'a', interval: 4000 },
        { id: 'b', interval: 4000 },
      ],
      concurrency: 1,
      run: async (c) => {
        if (!first.has(c.id)) first.set(c.id, Date.now());
      },
    });
    s.start();
    spy.mockRestore();
    await vi.advanceTimersByTimeAsync(4000);
    await s.stop();
    expect(Object.fromEntries(first)).toEqual({ a: 1000, b: 3000 });
  });

  it('skips and counts a tick while the previous run of the same check is in flight', async () => {
    const skipped: string[] = [];
    let started = 0;
    const s = new Scheduler({
      checks: [{ id: 'slow', interval: 1000 }],
      concurrency: 4,
      phase: () => 0,
      run: async () => {
        started++;
        await new Promise((r) => setTimeout(r, 2500));
      },
      onSkip: (c) => skipped.push(c.id),
    });
    s.start();
    await vi.advanceTimersByTimeAsync(3500);
    const stopping = s.stop();
    await vi.advanceTimersByTimeAsync(3000);
    await stopping;
    // runs start at 0 and 3000; the ticks at 1000 and 2000 find the first run in flight.
    expect(started).toBe(2);
    expect(skipped).toEqual(['slow', 'slow']);
  });

  it('never has more runs in flight than the concurrency limit, and a slow check does not hold others back beyond it', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: string[] = [];
    const s = new Scheduler({
      checks: [
        { id: 'hung', interval: 10_000 },
        { id: 'b', interval: 10_000 },
        { id: 'c', interval: 10_000 },
      ],
      concurrency: 2,
      phase: (c) => ({ hung: 0, b: 10, c: 20 })[c.id]!,
      run: async (c) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, c.id === 'hung' ? 5000 : 100));
        inFlight--;
        done.push(`${c.id}@${Date.now()}`);
      },
    });
    s.start();
    await vi.advanceTimersByTimeAsync(400);
    expect(peak).toBe(2);
    // c waited for b's slot (free at 110), not for the hung run.
    expect(done).toEqual(['b@110', 'c@210']);
    await vi.advanceTimersByTimeAsync(5000);
    await s.stop();
  });

  it('stop() waits for runs in flight and schedules nothing after', async () => {
    let finished = 0;
    let started = 0;
    const s = new Scheduler({
      checks: [{ id: 'a', interval: 1000 }],
      concurrency: 1,
      phase: () => 0,
      run: async () => {
        started++;
        await new Promise((r) => setTimeout(r, 300));
        finished++;
      },
    });
    s.start();
    await vi.advanceTimersByTimeAsync(10);
    const stopping = s.stop();
    await vi.advanceTimersByTimeAsync(300);
    await stopping;
    await vi.advanceTimersByTimeAsync(5000);
    expect([started, finished]).toEqual([1, 1]);
  });
});
