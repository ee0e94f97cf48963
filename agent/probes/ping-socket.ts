import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { IcmpSocket, errnoText, type Arrival } from '../platform/linux/icmp-socket.js';
import { echoRequest } from './icmp-packet.js';
import { pingExitProblem, type PingArgs, type PingEvent, type PingExit } from './ping-output.js';
import type { PingProcess } from './ping-session.js';

/*
 * ping without a `ping` process, on Linux: the icmp probe's packets from the agent's own ICMP socket
 * (agent/platform/linux/icmp-socket.ts), reported as the same events ping's output gives (reply,
 * no answer yet, ICMP error, transmitted) so the tally, the session and the probe do not know the
 * difference. One socket per family, source and device, shared by every check that sends the same
 * way: ten line checks and the province's thousands of outside-in probes cost one descriptor each.
 */

/** The name ping says it is in its messages (what classifyPingStderr and the exit problems read). */
const BINARY = 'icmp socket';
/** As ping's -W 1: a burst waits this long for the last reply. */
const LAST_REPLY_WAIT_MS = 1000;
/** While a burst waits for its last replies, the socket is read this often (RTTs come from the kernel's receive times). */
const FAST_DRAIN_MS = 10;
/** A request unanswered this long is forgotten (a late reply is then not counted). */
const FORGET_AFTER_MS = 10_000;

interface Waiter {
  arrive(a: Arrival): void;
}

interface Shared {
  key: string;
  socket: IcmpSocket;
  users: number;
  seq: number;
  waiters: Map<number, Waiter>;
  fastUsers: number;
  fastTimer?: NodeJS.Timeout;
}

const pool = new Map<string, Shared>();
/** Families whose socket cannot be opened for want of permission: those go to the system ping. */
const refused = new Set<number>();

function drain(s: Shared): void {
  s.socket.drain((a) => s.waiters.get(a.answer.seq)?.arrive(a));
}

function acquire(family: 4 | 6, source: string | undefined, device: string | undefined): Shared | { problem: string; errno: number } {
  const key = `${family}|${source ?? ''}|${device ?? ''}`;
  let s = pool.get(key);
  if (!s) {
    const opened = IcmpSocket.open({ family, source, device });
    if ('problem' in opened) return opened;
    s = { key, socket: opened.socket, users: 0, seq: 0, waiters: new Map(), fastUsers: 0 };
    pool.set(key, s);
  }
  s.users++;
  return s;
}

function release(s: Shared): void {
  if (--s.users > 0) return;
  clearInterval(s.fastTimer);
  s.socket.close();
  pool.delete(s.key);
}

function fast(s: Shared, on: boolean): void {
  s.fastUsers += on ? 1 : -1;
  if (s.fastUsers > 0 && !s.fastTimer) {
    s.fastTimer = setInterval(() => drain(s), FAST_DRAIN_MS);
    s.fastTimer.unref();
  } else if (s.fastUsers === 0 && s.fastTimer) {
    clearInterval(s.fastTimer);
    delete s.fastTimer;
  }
}

/**
 * Whether the icmp probe may use its own socket here: Linux, not told to use a ping binary
 * (`CENTERWATCH_PING`, or `CENTERWATCH_ICMP=ping`), and the family's socket not refused before.
 */
function socketWanted(family: 4 | 6): boolean {
  return process.platform === 'linux' && !process.env.CENTERWATCH_PING && process.env.CENTERWATCH_ICMP !== 'ping' && !refused.has(family);
}

/**
 * Starts the pings of `spec` on an ICMP socket, or returns undefined when this process cannot have one
 * (then the caller spawns the system ping, which has its own capability).
 */
export function startSocketPing(spec: PingArgs, onEvent: (ev: PingEvent) => void, onStderrLine?: (line: string) => void): PingProcess | undefined {
  const family: 4 | 6 = spec.ipv6 || isIP(spec.target) === 6 ? 6 : 4;
  if (!socketWanted(family)) return undefined;
  const source = spec.line?.source && isIP(spec.line.source) === family ? spec.line.source : undefined;
  const shared = acquire(family, source, spec.line?.interface);
  if ('problem' in shared) {
    // No permission (or no socket at all here): the system ping, from now on for this family.
    if (shared.errno === 0 || shared.errno === 1 || shared.errno === 13 || shared.errno === 97) {
      refused.add(family);
      return undefined;
    }
    return failed(`ping: ${shared.problem}`);
  }
  return new SocketPing(spec, family, shared, onEvent, onStderrLine);
}

function failed(stderr: string): PingProcess {
  const exit: PingExit = { binary: BINARY, code: 2, signal: null, stderr: `${stderr}\n` };
  return { done: Promise.resolve(exit), reader: { line: () => undefined, exitProblem: pingExitProblem }, kill() {} };
}

class SocketPing implements PingProcess {
  readonly done: Promise<PingExit>;
  readonly reader = { line: () => undefined, exitProblem: pingExitProblem };
  private finish!: (exit: PingExit) => void;
  private timer?: NodeJS.Timeout;
  private lastTimer?: NodeJS.Timeout;
  private to?: Buffer;
  /** This ping's own sequence (1, 2, …) as ping numbers its packets. */
  private sent = 0;
  private received = 0;
  /** Socket sequence → this ping's sequence and send time (epoch ms). */
  private readonly out = new Map<number, { mine: number; atMs: number; answered: boolean }>();
  private lastSocketSeq = -1;
  private ended = false;
  private waitingLast = false;
  private fastDrain = false;

  constructor(
    private readonly spec: PingArgs,
    private readonly family: 4 | 6,
    private readonly shared: Shared,
    private readonly onEvent: (ev: PingEvent) => void,
    private readonly onStderrLine?: (line: string) => void,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    void this.begin();
  }

  kill(): void {
    this.end({ binary: BINARY, code: null, signal: 'SIGTERM', stderr: '' });
  }

  private async begin(): Promise<void> {
    let address = this.spec.target;
    if (isIP(address) === 0) {
      try {
        address = (await lookup(address, { family: this.family })).address;
      } catch {
        this.end({ binary: BINARY, code: 2, signal: null, stderr: `ping: ${this.spec.target}: Name or service not known\n` });
        return;
      }
    }
    if (this.ended) return;
    const to = this.shared.socket.destination(address);
    if (!to) {
      this.end({ binary: BINARY, code: 2, signal: null, stderr: `ping: ${this.spec.target}: Address family for hostname not supported\n` });
      return;
    }
    this.to = to;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.spec.interval * 1000);
  }

  /** As ping -O: read what came, say the previous packet is unanswered if it is, send the next. */
  private tick(): void {
    drain(this.shared);
    if (this.ended) return;
    const prev = this.out.get(this.lastSocketSeq);
    if (prev && !prev.answered) this.onEvent({ type: 'no_answer', seq: prev.mine & 0xffff });
    if (this.spec.count !== undefined && this.sent >= this.spec.count) return this.awaitLast();
    this.forgetOld();
    const s = this.shared;
    let seq = (s.seq + 1) & 0xffff;
    // Skip a sequence still awaited by another ping on this socket (after a wrap).
    for (let i = 0; i < 0x10000 && s.waiters.has(seq); i++) seq = (seq + 1) & 0xffff;
    s.seq = seq;
    const sentNo = ++this.sent;
    const r = s.socket.send(echoRequest(this.family, s.socket.id, seq, this.spec.size ?? 56), this.to!);
    if ('errno' in r) {
      // As ping: the send error on stderr, the packet counted as sent and lost.
      this.onStderrLine?.(`ping: sendmsg: ${errnoText(r.errno)}`);
      this.onEvent({ type: 'no_answer', seq: sentNo & 0xffff });
      return;
    }
    this.out.set(seq, { mine: sentNo, atMs: r.atMs, answered: false });
    this.lastSocketSeq = seq;
    s.waiters.set(seq, this);
  }

  arrive(a: Arrival): void {
    const p = this.out.get(a.answer.seq);
    if (!p) return;
    if (a.answer.type === 'error') {
      this.onEvent({ type: 'icmp_error', seq: p.mine & 0xffff, from: a.from, text: a.answer.text });
      return;
    }
    const duplicate = p.answered;
    p.answered = true;
    if (!duplicate) this.received++;
    this.onEvent({ type: 'reply', seq: p.mine & 0xffff, rttSeconds: Math.max(0, a.atMs - p.atMs) / 1000, duplicate });
    if (this.waitingLast && [...this.out.values()].every((o) => o.answered)) this.endBurst();
  }

  private awaitLast(): void {
    clearInterval(this.timer);
    if (this.waitingLast) return;
    this.waitingLast = true;
    if ([...this.out.values()].every((o) => o.answered)) return this.endBurst();
    this.fastDrain = true;
    fast(this.shared, true);
    this.lastTimer = setTimeout(() => this.endBurst(), LAST_REPLY_WAIT_MS);
  }

  private endBurst(): void {
    drain(this.shared);
    if (this.ended) return;
    this.onEvent({ type: 'transmitted', count: this.sent });
    this.end({ binary: BINARY, code: this.received > 0 ? 0 : 1, signal: null, stderr: '' });
  }

  private forgetOld(): void {
    const horizon = this.shared.socket.nowMs() - FORGET_AFTER_MS;
    for (const [seq, o] of this.out) {
      if (o.atMs >= horizon) break;
      this.out.delete(seq);
      if (this.shared.waiters.get(seq) === this) this.shared.waiters.delete(seq);
    }
  }

  private end(exit: PingExit): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    clearTimeout(this.lastTimer);
    if (this.fastDrain) fast(this.shared, false);
    for (const seq of this.out.keys()) if (this.shared.waiters.get(seq) === this) this.shared.waiters.delete(seq);
    release(this.shared);
    this.finish(exit);
  }
}
