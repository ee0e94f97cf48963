import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { Deadline } from './deadline.js';
import { bodyCheckWorker, type BodyCheckWorker } from './http-body-worker.js';

/** Default of `read_limit`: banners and greetings fit in a few hundred characters. */
export const DEFAULT_READ_LIMIT = 4096;
/** Most `read_limit` may be: the window a user's regex runs over stays small. */
export const MAX_READ_LIMIT = 65536;

/** How a wait for `expect` ended. `refused`: the regex was stopped (too slow or too big for the worker). */
export type ReplyOutcome = { matched: true } | { matched: false; refused?: true };

/**
 * The reply as it arrives, cut at `limit` characters: a peer sending more adds nothing the regex
 * sees. `changed()` resolves when there is text not yet looked at, or the reply is over (peer
 * closed or limit reached); it rejects on a socket error.
 */
class Reply {
  text = '';
  over = false;
  private seen = 0;
  private failed: Error | undefined;
  private wake: (() => void) | undefined;
  constructor(socket: Socket, limit: number) {
    // A multi-byte character split across two chunks must not turn into replacement characters.
    const decoder = new StringDecoder('utf8');
    const onData = (chunk: Buffer): void => {
      this.text += decoder.write(chunk);
      if (this.text.length >= limit) {
        this.text = this.text.slice(0, limit);
        this.end();
      }
      this.wake?.();
    };
    const onEnd = (): void => this.end();
    const onError = (err: Error): void => {
      this.failed = err;
      this.end();
    };
    this.stop = (): void => {
      this.over = true;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      this.wake?.();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
  }

  private readonly stop: () => void;

  /** Stops reading: what came so far is the whole reply. */
  end(): void {
    this.stop();
  }

  /** The text not yet looked at (with all before it), once there is some or the reply is over. */
  async changed(): Promise<string> {
    while (this.text.length === this.seen && !this.over) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.failed) throw this.failed;
    this.seen = this.text.length;
    return this.text;
  }
}

/** What waitForMatch leaves for the caller's report at the deadline. */
export interface MatchState {
  /** Characters received so far: at the deadline, none means silence (a timeout), some means no match. */
  received: number;
  /** The regex was running when the deadline struck. */
  matching: boolean;
}

/**
 * Reads until the text so far matches `pattern` or the reply is over (peer closed, `limit`
 * reached). The regex never runs on the probe loop: it runs in the shared check worker, which
 * stops it at the probe's deadline or its own time bound, so a backtracking pattern over a crafted
 * reply costs one worker, not the schedule. Chunks that arrive while a match runs are looked at
 * together in the next one.
 */
export async function waitForMatch(
  socket: Socket,
  pattern: string,
  limit: number,
  deadline: Deadline,
  signal: AbortSignal,
  state: MatchState,
  worker: BodyCheckWorker = bodyCheckWorker,
): Promise<ReplyOutcome> {
  const reply = new Reply(socket, limit);
  deadline.onAbort(() => reply.end());
  try {
    for (;;) {
      const text = await deadline.race(reply.changed());
      state.received = text.length;
      if (text.length === 0) return { matched: false };
      state.matching = true;
      const job = { assertions: [{ source: 'body' as const, op: 'matches', value: pattern }], status: 0, headers: {}, body: Buffer.from(text), maxDepth: 0 };
      const out = await deadline.race(worker.check(job, signal));
      state.matching = false;
      if ('aborted' in out) throw signal.reason;
      // Past the worker's own time bound or heap cap; its text speaks of body checks, so it is not passed on.
      if ('refused' in out) return { matched: false, refused: true };
      if (out.failures.length === 0) return { matched: true };
      if (reply.over) return { matched: false };
    }
  } finally {
    reply.end();
  }
}
