import { describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import { withDeadline } from './deadline.js';
import { success } from './types.js';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;
const never = new Promise<never>(() => {});

describe('withDeadline', () => {
  it('a deadline already passed: timeout, the work never starts', async () => {
    let started = false;
    const r = await withDeadline(AbortSignal.abort(), async () => {
      started = true;
      return success();
    });
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(started).toBe(false);
  });

  it('subscribes before the work awaits anything and unsubscribes when it ends', async () => {
    const ac = new AbortController();
    let during = -1;
    const r = await withDeadline(ac.signal, async (deadline) => {
      during = listeners(ac.signal);
      await deadline.race(Promise.resolve());
      return success();
    });
    expect(r).toEqual({ up: true, reason: 'ok' });
    expect(during).toBe(1);
    expect(listeners(ac.signal)).toBe(0);
  });

  it('at the deadline: cuts run once, the pending race rejects, the run is a timeout', async () => {
    const ac = new AbortController();
    let cuts = 0;
    const pending = withDeadline(ac.signal, async (deadline) => {
      deadline.onAbort(() => cuts++);
      await deadline.race(never);
      return success();
    });
    ac.abort();
    ac.abort();
    expect(await pending).toMatchObject({ up: false, reason: 'timeout' });
    expect(cuts).toBe(1);
    expect(listeners(ac.signal)).toBe(0);
  });

  it('a cut registered after the deadline runs at once', async () => {
    const ac = new AbortController();
    let cut = false;
    await withDeadline(ac.signal, async (deadline) => {
      ac.abort();
      deadline.onAbort(() => (cut = true));
      return success();
    });
    expect(cut).toBe(true);
  });

  it("an exception before the deadline is the runner's (internal_error), and the listener is gone", async () => {
    const ac = new AbortController();
    const boom = new TypeError('bug');
    await expect(withDeadline(ac.signal, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(listeners(ac.signal)).toBe(0);
  });

  it('a race lost to the work leaves no unhandled rejection when the work later fails', async () => {
    const ac = new AbortController();
    let fail: (e: Error) => void = () => {};
    const late = new Promise<never>((_, reject) => (fail = reject));
    const pending = withDeadline(ac.signal, async (deadline) => {
      await deadline.race(late);
      return success();
    });
    ac.abort();
    expect(await pending).toMatchObject({ reason: 'timeout' });
    fail(new Error('driver gave up after the deadline'));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
