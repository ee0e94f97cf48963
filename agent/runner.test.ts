import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCheck, DEADLINE_GRACE_MS } from './runner.js';
import { defineProbe, success, failure, type Session } from './probes/types.js';

const quiet = { debug() {}, info() {}, warn() {} };
const check = (over: Partial<Parameters<typeof runCheck>[0]> = {}) => ({
  id: 'c',
  kind: 'test',
  target: 't',
  interval: 1000,
  timeout: 200,
  options: {},
  thresholds: [],
  ...over,
});
const deps = () => ({ log: quiet, sessions: new Map<string, Session>() });

function probe(run: Parameters<typeof defineProbe>[0]['run']) {
  return defineProbe({
    kind: 'test',
    targetHelp: '',
    targetRequired: true,
    targetProblem: () => undefined,
    options: z.object({}),
    metrics: { v: { name: 'v', help: '', type: 'gauge', threshold: true } },
    run,
  });
}

describe('runCheck', () => {
  it('passes the result through with its duration', async () => {
    const out = await runCheck(
      check(),
      probe(async () => success({ observations: [{ metric: 'v', value: 1 }] })),
      deps(),
    );
    expect(out.result).toEqual({ up: true, reason: 'ok', observations: [{ metric: 'v', value: 1 }] });
    expect(out.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(out.abandoned).toBe(false);
  });

  it('turns an exception into internal_error without its text', async () => {
    const out = await runCheck(
      check(),
      probe(async () => {
        throw new Error('password=hunter2');
      }),
      deps(),
    );
    expect(out.result).toEqual({ up: false, reason: 'internal_error', message: 'probe failed unexpectedly' });
  });

  it("aborts the signal at the timeout and keeps the probe's own timeout result", async () => {
    const t0 = Date.now();
    const out = await runCheck(
      check({ timeout: 150 }),
      probe((_t, _o, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(failure('timeout', 'connect timed out'))))),
      deps(),
    );
    expect(out.result).toEqual({ up: false, reason: 'timeout', message: 'connect timed out' });
    expect(out.abandoned).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
  });

  it('abandons a probe that ignores its signal, right after the deadline', async () => {
    const t0 = Date.now();
    const out = await runCheck(
      check({ timeout: 150 }),
      probe(() => new Promise(() => {})),
      deps(),
    );
    const took = Date.now() - t0;
    expect(out.result).toEqual({ up: false, reason: 'timeout', message: 'deadline exceeded' });
    expect(out.abandoned).toBe(true);
    expect(took).toBeLessThan(150 + DEADLINE_GRACE_MS + 200);
  });

  it('marks an up result degraded when a threshold breaks', async () => {
    const out = await runCheck(
      check({ thresholds: [{ metric: 'v', above: 0.5 }] }),
      probe(async () => success({ observations: [{ metric: 'v', value: 0.9 }] })),
      deps(),
    );
    expect(out.result).toMatchObject({ up: true, degraded: true, reason: 'threshold', message: 'v 0.900 > 0.5' });
  });

  it('gives each check its own session, kept across runs', async () => {
    const d = deps();
    let created = 0;
    const p = probe(async (_t, _o, ctx) => {
      ctx.session(() => {
        created++;
        return { close() {} };
      });
      return success();
    });
    await runCheck(check({ id: 'a' }), p, d);
    await runCheck(check({ id: 'a' }), p, d);
    await runCheck(check({ id: 'b' }), p, d);
    expect(created).toBe(2);
    expect([...d.sessions.keys()]).toEqual(['a', 'b']);
  });
});
