import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { z } from 'zod';
import { defineProbe, failure, success, type Phase, type ProbeResult } from './types.js';
import { withDeadline, type Deadline } from './deadline.js';
import { credentialPairProblems, dbTlsOptions, nodeTlsOptions, phaseClock, resultExpectation, readTlsFiles, resultProblem } from './db-common.js';
import { describeError, reasonFromError } from './errors.js';
import { commandProblem, replyReason, replyResult, type RedisStep } from './redis-replies.js';
import { encodeCommand, RespError, RespProtocolError, RespReader, type RespValue } from './resp.js';
import { endpointOf, hostPortProblem } from './target.js';

/**
 * A Redis check without a driver: RESP2 over node:net / node:tls, so that every step (connect,
 * TLS, AUTH + SELECT, the command) is timed on its own and the deadline holds at each of them.
 */

/** How long to wait, at most, for the server to close after QUIT before cutting the connection. */
const QUIT_GRACE_MS = 250;

const options = z
  .object({
    /** ACL user (Redis 6+); without it AUTH sends the password alone (the `default` user). */
    user: z.string().min(1).optional(),
    /** Password (a secret: also `password_file` or `${ENV}`); no AUTH is sent without one. */
    password: z.string().optional(),
    /** Database index to SELECT. Default 0 (no SELECT sent). */
    db: z.number().int().min(0).default(0),
    /** The command run as the check, as its words. Default `["PING"]`. */
    command: z
      .array(z.string())
      .min(1)
      .default(['PING'])
      .superRefine((cmd, ctx) => {
        const problem = commandProblem(cmd);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** Checks on the reply: rows = an array's length (1 for a single value, 0 for nil), value = the reply or its first element. */
    expect: resultExpectation.optional(),
    /** TLS (Redis 6+ `tls-port`). Default `{ mode: disable }`. */
    tls: dbTlsOptions.default({ mode: 'disable' }),
  })
  .strict()
  .superRefine((o, ctx) => credentialPairProblems(o, ctx));

export const redisProbe = defineProbe({
  kind: 'redis',
  targetHelp: 'host:port',
  targetRequired: true,
  targetProblem: hostPortProblem,
  options,
  metrics: {},
  async run(target, opts, ctx): Promise<ProbeResult> {
    const ep = endpointOf(target, ctx.line);
    if ('failure' in ep) return ep.failure;
    const { hp, bind } = ep;
    const tls = readTlsFiles(() => nodeTlsOptions(opts.tls, hp.host));
    if ('failure' in tls) return tls.failure;
    const tlsOpts = tls.files;
    const clock = phaseClock();
    const phases = clock.phases;
    const sockets: Socket[] = [];
    // The step under way, so a deadline says where it struck (a TLS client to a plain port hears nothing).
    let step: Phase = 'connect';
    const own = <T extends Socket>(s: T): T => {
      sockets.push(s);
      // Errors reach the step that waits on the socket; unheard, a late ECONNRESET would crash the agent.
      s.on('error', () => {});
      return s;
    };
    return withDeadline(ctx.signal, async (deadline) => {
      try {
        const plain = own(netConnect({ host: hp.host, port: hp.port, localAddress: bind.address, noDelay: true }));
        await deadline.race(once(plain, 'connect'));
        clock.lap('connect');
        let socket: Socket = plain;
        if (tlsOpts) {
          step = 'tls';
          socket = own(tlsConnect({ socket: plain, host: hp.host, ...tlsOpts }));
          await deadline.race(once(socket, 'secureConnect'));
          clock.lap('tls');
        }
        const talk = new Conversation(socket, deadline);

        // AUTH and SELECT go in one round trip; after a refused AUTH the SELECT reply (NOAUTH) is moot.
        const steps: Array<[RedisStep, string[]]> = [];
        if (opts.password !== undefined) steps.push(['auth', opts.user ? ['AUTH', opts.user, opts.password] : ['AUTH', opts.password]]);
        if (opts.db !== 0) steps.push(['select', ['SELECT', String(opts.db)]]);
        if (steps.length > 0) {
          step = 'auth';
          const replies = await talk.send(steps.map(([, cmd]) => cmd));
          clock.lap('auth');
          for (const [i, [kind]] of steps.entries()) {
            const reply = replies[i];
            if (reply instanceof RespError) {
              const what = kind === 'auth' ? 'AUTH' : `SELECT ${opts.db}`;
              return failure(replyReason(kind, reply.code), `${what} refused (${reply.code})`, { phases });
            }
          }
        }

        step = 'query';
        const [reply] = await talk.send([opts.command]);
        clock.lap('query');
        const name = opts.command[0]!.toUpperCase();
        if (reply instanceof RespError) return failure(replyReason('command', reply.code), `${name} failed (${reply.code})`, { phases });
        await talk.quit(QUIT_GRACE_MS);
        const problem = resultProblem(replyResult(reply ?? null), opts.expect);
        if (problem) return failure('assertion', problem, { phases });
        return success({ phases });
      } catch (err) {
        const message = ctx.signal.aborted
          ? `deadline exceeded during ${step}`
          : err instanceof RespProtocolError
            ? `not a RESP2 reply (${err.message})`
            : describeError(err);
        return failure(reasonFromError(err, ctx.signal), message, { phases });
      } finally {
        // TLS socket first: destroying the socket under a live TLSSocket crashes Node 20.
        for (const s of sockets.reverse()) s.destroy();
      }
    });
  },
});

/** The peer closed before answering: an error with a code, so the reason comes out as `protocol`. */
function closedError(): Error {
  return Object.assign(new Error('server closed the connection'), { code: 'ERR_SERVER_CLOSED' });
}

/** Request and replies on one connection, in order, each wait bounded by the deadline. */
class Conversation {
  private readonly reader = new RespReader();
  private broken: Error | undefined;
  private pending: { count: number; replies: RespValue[]; resolve(v: RespValue[]): void; reject(e: unknown): void } | undefined;
  private closed = false;
  private onClosed: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly deadline: Deadline,
  ) {
    socket.on('data', (chunk: Buffer) => {
      // Once broken, nothing more is read: a flooding peer is not buffered for the rest of the run.
      if (this.broken !== undefined) return;
      try {
        this.reader.push(chunk);
        this.deliver();
      } catch (err) {
        this.fail(err);
      }
    });
    socket.once('end', () => this.fail(closedError()));
    socket.once('error', (err) => this.fail(err));
    socket.once('close', () => {
      this.closed = true;
      this.fail(closedError());
      this.onClosed?.();
    });
  }

  private fail(err: unknown): void {
    this.broken ??= err instanceof Error ? err : new Error(String(err));
    this.socket.pause();
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.broken);
  }

  private deliver(): void {
    const p = this.pending;
    if (!p) return;
    while (p.replies.length < p.count) {
      const next = this.reader.shift();
      if (!next) return;
      p.replies.push(next.value);
    }
    this.pending = undefined;
    p.resolve(p.replies);
  }

  /** Sends the commands in one write (pipelined) and resolves with their replies, in order. */
  send(commands: string[][]): Promise<RespValue[]> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const replies = new Promise<RespValue[]>((resolve, reject) => {
      this.pending = { count: commands.length, replies: [], resolve, reject };
      this.socket.write(Buffer.concat(commands.map(encodeCommand)));
      this.deliver();
    });
    return this.deadline.race(replies);
  }

  /**
   * Says goodbye, so the server logs a clean quit rather than a dropped client, and waits briefly
   * for it to close. Never fails: the check's answer is already known.
   */
  quit(graceMs: number): Promise<void> {
    if (this.broken !== undefined || this.closed) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      this.onClosed = resolve;
      this.socket.write(encodeCommand(['QUIT']));
    });
    return this.deadline
      .race(closed)
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        this.onClosed = undefined;
      });
  }
}
