import { attr, requestStart, TAG, V, type IppResponse } from './ipp-codec.js';

/**
 * Get-Jobs (RFC 8011 §4.2.6) for the CUPS mode: how long the oldest job has been waiting. A queue
 * whose printer is switched off or unplugged stays `processing` with no state reason at all
 * (cupsd only sets a printer-state-message); the one sign is a job that does not leave. Pure.
 */

export const OP_GET_JOBS = 0x000a;

/** job-state values (RFC 8011 §5.3.7) of a job still waiting to be printed. */
const WAITING_STATES = new Set([
  3, // pending
  5, // processing
  6, // processing-stopped
]);
// pending-held (4) is left out: a job held on purpose (job-hold-until) waits by design.

/** Most jobs asked for: the oldest is what matters, and cupsd lists jobs oldest first. */
export const MAX_JOBS = 50;

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}

/**
 * A Get-Jobs request for the jobs not completed, with only the attributes the age needs.
 * `job-printer-up-time` is the printer's clock when it answers, so the age never depends on the
 * agent's clock agreeing with the print server's.
 */
export function encodeGetJobs(req: { printerUri: string; requestId: number; user?: string }): Buffer {
  const parts = requestStart(OP_GET_JOBS, req);
  parts.push(attr(V.integer, 'limit', int32(MAX_JOBS)));
  parts.push(attr(V.keyword, 'which-jobs', Buffer.from('not-completed', 'ascii')));
  parts.push(attr(V.boolean, 'my-jobs', Buffer.from([0])));
  ['job-id', 'job-state', 'time-at-creation', 'job-printer-up-time'].forEach((kw, i) =>
    parts.push(attr(V.keyword, i === 0 ? 'requested-attributes' : '', Buffer.from(kw, 'ascii'))),
  );
  parts.push(Buffer.from([TAG.end]));
  return Buffer.concat(parts);
}

/**
 * Seconds the oldest waiting job has been in the queue, by the print server's clock; 0 when no
 * job waits. Undefined when the answer does not carry the times (then there is nothing to report).
 */
export function oldestJobAge(res: IppResponse): number | undefined {
  let oldest = 0;
  let jobs = 0;
  for (const g of res.groups) {
    if (g.tag !== TAG.job) continue;
    const state = g.attributes.get('job-state')?.[0];
    if (typeof state !== 'number' || !WAITING_STATES.has(state)) continue;
    const created = g.attributes.get('time-at-creation')?.[0];
    const now = g.attributes.get('job-printer-up-time')?.[0];
    if (typeof created !== 'number' || typeof now !== 'number') return undefined;
    jobs++;
    oldest = Math.max(oldest, now - created);
  }
  return jobs === 0 ? 0 : oldest;
}
