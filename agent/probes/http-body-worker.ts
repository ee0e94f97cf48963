import { Worker } from 'node:worker_threads';
import { bodyChecks, type AssertionData, type Evaluation } from './http-body-checks.js';

/**
 * Body assertions run in one worker thread, never on the probe loop: checking a 1 MiB JSON body
 * costs 30-250 ms of CPU and 20-60 MiB of heap even when it nests no deeper than 64 levels
 * (measured under the agent's --lite-mode), and a regex over a hostile body can backtrack for
 * minutes. The worker's heap is capped, each job has a deadline, and a job past it or over the
 * cap is stopped by terminating the worker (V8 interrupts even a running regex); the next job
 * gets a fresh one.
 */

/** A job's time bound when the probe's own deadline is later: checks of a sane body take milliseconds. */
export const BODY_CHECK_MS = 2000;
/** The worker's V8 old generation, in MiB: with the agent's own heap it stays inside the shipped 150 MiB. */
const WORKER_HEAP_MB = 48;
/** An idle worker is ended after this long; a check every 30 s keeps it. */
const IDLE_MS = 60_000;

const SOURCE = `const { parentPort } = require('node:worker_threads');
const checks = (${bodyChecks.toString()})();
parentPort.on('message', (m) => {
  let out;
  try { out = checks.evaluate(m.assertions, { status: m.status, headers: m.headers, body: new Uint8Array(m.body) }, m.maxDepth); }
  catch { out = { refused: 'body checks failed' }; }
  parentPort.postMessage(out);
});`;

export interface BodyJob {
  assertions: readonly AssertionData[];
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  maxDepth: number;
}

/** Evaluated, refused (too deep, too big for the heap cap, too slow), or stopped by the probe's deadline. */
export type BodyOutcome = Evaluation | { aborted: true };

interface Pending {
  job: BodyJob;
  signal: AbortSignal;
  settle: (o: BodyOutcome) => void;
  /** Its time bound, once it runs. */
  timer?: NodeJS.Timeout;
}

/** One worker, one job at a time, in arrival order. */
export class BodyCheckWorker {
  private worker: Worker | undefined;
  private current: Pending | undefined;
  private readonly queue: Pending[] = [];
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly limitMs = BODY_CHECK_MS) {}

  check(job: BodyJob, signal: AbortSignal): Promise<BodyOutcome> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve({ aborted: true });
      const p: Pending = {
        job,
        signal,
        settle: (o) => {
          signal.removeEventListener('abort', onAbort);
          resolve(o);
        },
      };
      const onAbort = (): void => {
        if (this.current === p) this.stop({ aborted: true });
        else {
          this.queue.splice(this.queue.indexOf(p), 1);
          p.settle({ aborted: true });
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(p);
      this.pump();
    });
  }

  /** Ends the worker now (at agent stop); jobs in flight end as aborted. */
  close(): void {
    for (const p of this.queue.splice(0)) p.settle({ aborted: true });
    if (this.current) this.stop({ aborted: true });
    else void this.worker?.terminate();
    this.worker = undefined;
  }

  private pump(): void {
    if (this.current) return;
    const next = this.queue.shift();
    if (!next) {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => this.close(), IDLE_MS).unref();
      return;
    }
    clearTimeout(this.idle);
    const worker = (this.worker ??= this.spawn());
    next.timer = setTimeout(() => this.stop({ refused: `body checks took over ${this.limitMs} ms` }), this.limitMs);
    this.current = next;
    // A copy the worker owns: the probe's Buffer may share Node's pooled memory.
    const body = new Uint8Array(next.job.body).buffer;
    const { assertions, status, headers, maxDepth } = next.job;
    worker.postMessage({ assertions, status, headers, maxDepth, body }, [body]);
  }

  private spawn(): Worker {
    const worker = new Worker(SOURCE, { eval: true, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 4 } });
    worker.on('message', (out: Evaluation) => this.finish(worker, out));
    // ERR_WORKER_OUT_OF_MEMORY, or anything else that kills it: the job in flight is what did it.
    worker.on('error', () => this.finish(worker, { refused: `body checks needed more than ${WORKER_HEAP_MB} MiB` }, true));
    worker.on('exit', () => this.finish(worker, { refused: 'body checks stopped' }, true));
    // A worker must never keep the agent alive; after the listeners, which would ref it again.
    worker.unref();
    return worker;
  }

  private finish(worker: Worker, out: BodyOutcome, dead = false): void {
    if (worker !== this.worker) return;
    if (dead) this.worker = undefined;
    this.settleCurrent(out);
  }

  /** Stops the job in flight by ending its worker; the next job starts a fresh one. */
  private stop(out: BodyOutcome): void {
    void this.worker?.terminate();
    this.worker = undefined;
    this.settleCurrent(out);
  }

  private settleCurrent(out: BodyOutcome): void {
    const done = this.current;
    this.current = undefined;
    if (done) {
      clearTimeout(done.timer);
      done.settle(out);
    }
    this.pump();
  }
}

/** The agent's one body-check worker, started on first use. */
export const bodyCheckWorker = new BodyCheckWorker();
