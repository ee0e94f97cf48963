import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { assertionSchema, MAX_JSON_DEPTH } from './http-assertions.js';
import { BodyCheckWorker, type BodyJob } from './http-body-worker.js';

const workers: BodyCheckWorker[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.close();
});

function worker(limitMs?: number): BodyCheckWorker {
  const w = new BodyCheckWorker(limitMs);
  workers.push(w);
  return w;
}

function job(body: string | Buffer, assertions: unknown[]): BodyJob {
  return {
    assertions: assertions.map((a) => assertionSchema.parse(a)),
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    maxDepth: MAX_JSON_DEPTH,
  };
}

/** The longest the main loop went without running a 10 ms timer while `work` ran. */
async function loopStall<T>(work: Promise<T>): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  try {
    return { value: await work, stallMs };
  } finally {
    clearInterval(tick);
  }
}

describe('BodyCheckWorker', () => {
  it('evaluates body and json assertions in the worker', async () => {
    const w = worker();
    const ok = await w.check(
      job('{"status":"ok","items":[1,2]}', [
        { source: 'json', path: 'status', op: 'eq', value: 'ok' },
        { source: 'body', op: 'matches', value: 'items' },
      ]),
      new AbortController().signal,
    );
    expect(ok).toEqual({ failures: [] });
    const bad = await w.check(job('{"status":"down"}', [{ source: 'json', path: 'status', op: 'eq', value: 'ok' }]), new AbortController().signal);
    expect(bad).toEqual({ failures: ['json status: eq "ok" failed (got "down")'] });
  });

  it('refuses 1 MiB of nested [ without parsing it, and without stalling the loop', async () => {
    const w = worker();
    await w.check(job('{}', []), new AbortController().signal); // the worker is up: measure the job, not the start
    const { value, stallMs } = await loopStall(
      w.check(job(Buffer.alloc(1024 * 1024, '['), [{ source: 'json', path: 'status', op: 'exists' }]), new AbortController().signal),
    );
    expect(value).toEqual({ refused: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
    expect(stallMs).toBeLessThan(60);
  });

  it('stops a catastrophically backtracking regex at its time bound and answers the next job', async () => {
    const w = worker(300);
    const t0 = performance.now();
    const { value, stallMs } = await loopStall(
      w.check(job(`${'a'.repeat(40)}!`, [{ source: 'body', op: 'matches', value: '^(a+)+$' }]), new AbortController().signal),
    );
    const took = performance.now() - t0;
    expect(value).toEqual({ refused: 'body checks took over 300 ms' });
    expect(took).toBeLessThan(1000);
    expect(stallMs).toBeLessThan(60);
    expect(await w.check(job('ready', [{ source: 'body', op: 'contains', value: 'ready' }]), new AbortController().signal)).toEqual({ failures: [] });
  });

  it("ends a job at the probe's deadline; jobs queued behind it still run", async () => {
    const w = worker(10_000);
    const deadline = new AbortController();
    const slow = w.check(job(`${'a'.repeat(40)}!`, [{ source: 'body', op: 'matches', value: '^(a+)+$' }]), deadline.signal);
    const queued = w.check(job('x', [{ source: 'body', op: 'eq', value: 'x' }]), new AbortController().signal);
    setTimeout(() => deadline.abort(), 200);
    expect(await slow).toEqual({ aborted: true });
    expect(await queued).toEqual({ failures: [] });
  });

  it('refuses a body whose parse needs more than the heap cap, and the agent goes on', async () => {
    const w = worker(20_000);
    // 12 MiB of small objects: about 200 MiB of heap once parsed, over the worker's 48 MiB.
    const big = Buffer.from(`[${'{"a":1},'.repeat(1_500_000)}{}]`);
    const out = await w.check(job(big, [{ source: 'json', path: '[0].a', op: 'eq', value: 1 }]), new AbortController().signal);
    expect(out).toEqual({ refused: 'body checks needed more than 48 MiB' });
    expect(await w.check(job('{"a":1}', [{ source: 'json', path: 'a', op: 'eq', value: 1 }]), new AbortController().signal)).toEqual({ failures: [] });
  });
});
