import { isIP } from 'node:net';
import type { LineBinding, Reason } from './types.js';

/**
 * What one line of iputils `ping -n -D -O` output says. Sequence numbers are the 16-bit values ping
 * prints (they wrap at 65536); `PingTally` unwraps them.
 */
export type PingEvent =
  | { type: 'reply'; seq: number; rttSeconds: number; duplicate: boolean }
  | { type: 'no_answer'; seq: number }
  | { type: 'icmp_error'; seq: number; from: string; text: string }
  | { type: 'transmitted'; count: number };

// `-D` prefixes each line with `[unix.micros] `; we time lines on arrival, so the prefix is only skipped.
const STAMP = /^(?:\[\d+(?:\.\d+)?\]\s*)?/.source;
const REPLY = new RegExp(`${STAMP}\\d+ bytes from .*?icmp_seq=(\\d+)\\b.*?\\btime=(\\d+(?:\\.\\d+)?) ms(.*)$`);
const NO_ANSWER = new RegExp(`${STAMP}no answer yet for icmp_seq=(\\d+)\\s*$`);
const ICMP_ERROR = new RegExp(`${STAMP}From (\\S+)(?: \\([^)]*\\))?:? icmp_seq=(\\d+) (.+?)\\s*$`);
const TRANSMITTED = /^(\d+) packets transmitted, \d+ received/;

/** Parses one stdout line of ping; undefined for lines that carry nothing we count (header, blank, rtt summary). */
export function parsePingLine(line: string): PingEvent | undefined {
  let m = REPLY.exec(line);
  if (m) return { type: 'reply', seq: Number(m[1]), rttSeconds: Number(m[2]) / 1000, duplicate: m[3]!.includes('DUP!') };
  m = NO_ANSWER.exec(line);
  if (m) return { type: 'no_answer', seq: Number(m[1]) };
  m = ICMP_ERROR.exec(line);
  if (m) return { type: 'icmp_error', seq: Number(m[2]), from: m[1]!, text: m[3]! };
  m = TRANSMITTED.exec(line);
  if (m) return { type: 'transmitted', count: Number(m[1]) };
  return undefined;
}

/**
 * Why ping failed, from its stderr. Ping reports every setup error with exit status 2, so the
 * text is the only thing that tells a permission problem from a bad name; the child runs with
 * LC_ALL=C so these are the C library's English messages. This is the one place that reads them.
 */
export function classifyPingStderr(text: string): Reason {
  if (/Operation not permitted|Permission denied|cap_net_raw|setuid/i.test(text)) return 'not_permitted';
  if (/Name or service not known|Temporary failure in name resolution|No address associated|unknown host/i.test(text)) return 'dns';
  if (/No such device|Cannot assign requested address|Network is (unreachable|down)|No route to host|Host is down/i.test(text)) return 'unreachable';
  if (/invalid|usage:|option requires|out of range|bad value/i.test(text)) return 'config';
  return 'protocol';
}

/** Reason for a failed spawn, by the error's code: a missing binary is not a failed line. */
export function spawnFailureReason(err: unknown): Reason {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'missing_binary';
  if (code === 'EACCES' || code === 'EPERM') return 'not_permitted';
  return 'internal_error';
}

export interface PingArgs {
  target: string;
  /** Seconds between packets. */
  interval: number;
  /** Stop after this many packets (burst); continuous when absent. */
  count?: number;
  size?: number;
  ipv6: boolean;
  line?: LineBinding;
}

/**
 * The command line for iputils ping. `-O` reports each unanswered packet when the next one is
 * sent, so a loss is seen as it happens; `-n` keeps DNS out of every reply. A line binds by device
 * (`-I <interface>`, SO_BINDTODEVICE: traffic cannot leave by another line) and/or by source address.
 */
export function pingArgs(a: PingArgs): string[] {
  const args = ['-n', '-D', '-O', '-i', String(a.interval), '-W', '1'];
  if (a.count !== undefined) args.push('-c', String(a.count));
  if (a.size !== undefined) args.push('-s', String(a.size));
  if (a.ipv6) args.push('-6');
  if (a.line?.interface) args.push('-I', a.line.interface);
  // A source of the other family would make ping fail; the interface binding still holds then.
  const family = a.ipv6 || isIP(a.target) === 6 ? 6 : 4;
  if (a.line?.source && isIP(a.line.source) === family) args.push('-I', a.line.source);
  args.push('--', a.target);
  return args;
}

/** Summary of a window of packets. `rtt`/`jitter` are absent when fewer replies than they need. */
export interface WindowStats {
  sent: number;
  received: number;
  lossRatio?: number;
  rttSeconds?: number;
  jitterSeconds?: number;
}

interface Packet {
  /** When we first learned the packet was sent (ms, monotonic). */
  seenAt: number;
  rttSeconds?: number;
}

const SEQ_SPACE = 65536;

/**
 * Counts packets of one or more ping processes, as events arrive, and summarises a time window.
 * Pure bookkeeping: time is a parameter (ms on any monotonic clock).
 *
 * The window measures the quality of a line while it is up: a reply that ends a silence longer than
 * `outageMs` (the check's `down_after`: the line was down) starts the window afresh, so the packets
 * lost during the outage do not turn the line that just came back "degraded" for a whole window.
 * The counters (`take`) still count every packet.
 */
export class PingTally {
  /** When the last reply (or, before any, the first packet) was seen: the start of the current silence. */
  private quietSince: number | undefined;

  /** @param outageMs silence after which the line counts as down (default: never, as in a burst). */
  constructor(private readonly outageMs = Infinity) {}

  /** Packets by unwrapped sequence number (per process generation), in sequence order. */
  private readonly packets = new Map<number, Packet>();
  /** Replies in arrival order, for RTT mean and jitter over the window. */
  private replies: Array<{ at: number; rtt: number }> = [];
  private generation = 0;
  /** Highest unwrapped sequence number of the current process, 0 before the first. */
  private top = 0;
  /** Totals since creation. */
  sent = 0;
  received = 0;
  /** RTTs (seconds) not yet taken by `take`. */
  private fresh: number[] = [];
  private taken = { sent: 0, received: 0 };

  /** A new ping process starts its sequence numbers again at 1. */
  newProcess(): void {
    this.generation++;
    this.top = 0;
  }

  add(ev: PingEvent, now: number): void {
    if (ev.type === 'transmitted') {
      for (let s = this.top + 1; s <= ev.count; s++) this.packet(s, now);
      return;
    }
    const seq = this.unwrap(ev.seq);
    // Ping reports every packet (-O), but fill gaps anyway so a missed line cannot hide a loss.
    for (let s = this.top + 1; s < seq; s++) this.packet(s, now);
    const p = this.packet(seq, now);
    if (ev.type === 'reply' && !ev.duplicate && p.rttSeconds === undefined) {
      if (now - (this.quietSince ?? now) > this.outageMs) this.forgetBefore(this.key(seq));
      this.quietSince = now;
      p.rttSeconds = ev.rttSeconds;
      this.received++;
      this.replies.push({ at: now, rtt: ev.rttSeconds });
      this.fresh.push(ev.rttSeconds);
      // Bounded in case runs stop taking them (the histogram then misses the oldest).
      if (this.fresh.length > 10_000) this.fresh.splice(0, this.fresh.length - 10_000);
    }
  }

  /** What arrived since the last call: RTTs for the histogram, and counter increments. */
  take(): { rtts: number[]; sent: number; received: number } {
    const out = { rtts: this.fresh, sent: this.sent - this.taken.sent, received: this.received - this.taken.received };
    this.fresh = [];
    this.taken = { sent: this.sent, received: this.received };
    return out;
  }

  /** Loss, mean RTT and jitter of packets first seen within `windowMs` before `now`; forgets older ones. */
  window(now: number, windowMs: number): WindowStats {
    const from = now - windowMs;
    for (const [key, p] of this.packets) {
      if (p.seenAt >= from) break;
      this.packets.delete(key);
    }
    this.replies = this.replies.filter((r) => r.at >= from);
    let sent = 0;
    let received = 0;
    for (const p of this.packets.values()) {
      sent++;
      if (p.rttSeconds !== undefined) received++;
    }
    const stats: WindowStats = { sent, received };
    if (sent > 0) stats.lossRatio = (sent - received) / sent;
    const rtts = this.replies.map((r) => r.rtt);
    if (rtts.length > 0) stats.rttSeconds = rtts.reduce((a, b) => a + b, 0) / rtts.length;
    const j = jitter(rtts);
    if (j !== undefined) stats.jitterSeconds = j;
    return stats;
  }

  /** The line is back after an outage: its window starts with the packet that was answered. */
  private forgetBefore(key: number): void {
    for (const k of this.packets.keys()) if (k < key) this.packets.delete(k);
    this.replies = [];
  }

  private key(seq: number): number {
    return this.generation * 2 ** 32 + seq;
  }

  private packet(seq: number, now: number): Packet {
    const key = this.key(seq);
    this.quietSince ??= now;
    let p = this.packets.get(key);
    if (!p) {
      p = { seenAt: now };
      this.packets.set(key, p);
      this.sent++;
    }
    if (seq > this.top) this.top = seq;
    return p;
  }

  /** The unwrapped number congruent to `seq16` closest to the highest seen so far. */
  private unwrap(seq16: number): number {
    let s = this.top - (this.top % SEQ_SPACE) + seq16;
    if (s - this.top > SEQ_SPACE / 2 && s >= SEQ_SPACE) s -= SEQ_SPACE;
    else if (this.top - s > SEQ_SPACE / 2) s += SEQ_SPACE;
    return s;
  }
}

/** Mean absolute difference of consecutive RTTs (RFC 3550's D, unsmoothed); undefined below two samples. */
export function jitter(rtts: readonly number[]): number | undefined {
  if (rtts.length < 2) return undefined;
  let sum = 0;
  for (let i = 1; i < rtts.length; i++) sum += Math.abs(rtts[i]! - rtts[i - 1]!);
  return sum / (rtts.length - 1);
}

/** How a ping process ended, as `startPing` reports it. */
export interface PingExit {
  binary: string;
  code: number | null;
  signal: string | null;
  /** The spawn error (e.g. ENOENT) when the process never ran. */
  spawnError?: unknown;
  /** The tail of stderr. */
  stderr: string;
}

/**
 * What went wrong when ping ended, or undefined for a normal end: exit 0 (replies), exit 1 (no
 * reply) or killed by us. Exit 2 is ping's status for every setup error; its stderr says which.
 */
export function pingExitProblem(exit: PingExit): { reason: Reason; message: string } | undefined {
  if (exit.spawnError !== undefined) {
    const reason = spawnFailureReason(exit.spawnError);
    const code = (exit.spawnError as NodeJS.ErrnoException | null)?.code;
    if (reason === 'missing_binary') {
      return { reason, message: `ping binary "${exit.binary}" not found: install iputils-ping (apt install iputils-ping) or set CENTERWATCH_PING` };
    }
    return { reason, message: `cannot run ping binary "${exit.binary}" (${typeof code === 'string' ? code : 'spawn error'})` };
  }
  if (exit.code === 0 || exit.code === 1 || exit.signal !== null) return undefined;
  const last = exit.stderr.trim().split('\n').pop()?.slice(0, 200);
  const reason = exit.code === 2 ? classifyPingStderr(exit.stderr) : 'protocol';
  return { reason, message: last ? last : `ping exited with status ${exit.code}` };
}
