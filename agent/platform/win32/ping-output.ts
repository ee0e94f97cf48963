import { isIP } from 'node:net';
import type { PingArgs, PingEvent, PingExit } from '../../probes/ping-output.js';
import { spawnFailureReason } from '../../probes/ping-output.js';
import type { Reason } from '../../probes/types.js';

/*
 * Windows ping.exe, read without its words. It prints in the display language (Vietnamese on many
 * counter PCs) and in the console's code page, so nothing here matches a word: a line is told by
 * its addresses, digits and punctuation, which every language and code page writes the same.
 *
 *   header      the first non-empty line, when it holds an IP address ("Pinging 10.0.0.1 with 32 bytes of data:")
 *   reply       an address and a time `=<n>ms` or `<1ms` ("Reply from ::1: time<1ms": IPv6 replies have no TTL)
 *   icmp error  an address, then a colon, no time ("Reply from 10.0.0.1: Destination host unreachable.")
 *   no answer   any other non-empty line ("Request timed out.", "PING: transmit failed. General failure.")
 *   statistics  everything after the first blank line that follows an echo line (printed only at exit)
 *
 * Windows prints no sequence numbers: each echo line is one request, numbered here from 1.
 */

/** Milliseconds as ping prints them: `=12ms`, `<1ms`, `= 12 ms` (French puts a space before the unit). */
const TIME = /([=<])\s*(\d+)\s*ms(?![a-z])/i;
/** Dotted IPv4, not part of a longer run of digits and dots. */
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g;
/** A candidate IPv6 literal (checked with isIP): hex digits and at least two colons, maybe a zone. */
const IPV6 = /(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?/g;
/** Below 1 ms Windows says `<1ms`: counted as half a millisecond, the middle of what it can mean. */
const BELOW_ONE_MS = 0.0005;
const SEQ_SPACE = 65536;

/** The first IP address in a line and where it ends, or undefined. */
export function findAddress(line: string): { address: string; end: number } | undefined {
  let best: { address: string; at: number; end: number } | undefined;
  for (const re of [IPV4, IPV6]) {
    re.lastIndex = 0;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      // "::1:" takes the colon that follows the address; give it back when what is left is an address.
      let text = m[0];
      if (isIP(text.replace(/%\w+$/, '')) === 0 && text.endsWith(':')) text = text.slice(0, -1);
      if (isIP(text.replace(/%\w+$/, '')) === 0) continue;
      if (!best || m.index < best.at) best = { address: text, at: m.index, end: m.index + text.length };
      break;
    }
  }
  return best && { address: best.address, end: best.end };
}

/** What one echo line says, or undefined for a line that is not an echo line. */
export function classifyEchoLine(line: string, seq: number): PingEvent {
  const addr = findAddress(line);
  const time = TIME.exec(line);
  if (addr && time) return { type: 'reply', seq, rttSeconds: time[1] === '<' ? BELOW_ONE_MS : Number(time[2]) / 1000, duplicate: false };
  const rest = addr ? line.slice(addr.end) : '';
  if (addr && /[:：]/.test(rest)) return { type: 'icmp_error', seq, from: addr.address, text: rest.replace(/^\s*[:：]\s*/, '').trim() };
  // "PING: transmit failed…": the program name is never translated; the failure is local.
  if (/^PING:/.test(line)) return { type: 'icmp_error', seq, from: 'this computer', text: line.slice(5).trim() };
  return { type: 'no_answer', seq };
}

/** Reads one ping.exe's stdout line by line and says, at its exit, what went wrong if anything. */
export class WindowsPingReader {
  private state: 'header' | 'echoes' | 'statistics' | 'refused' = 'header';
  private echoes = 0;
  /** What ping printed instead of a header (an unknown host, a bad option): the message at exit. */
  private refusal: string[] = [];

  constructor(private readonly target: string) {}

  line(raw: string): PingEvent | undefined {
    const line = raw.replace(/\r$/, '').trim();
    if (this.state === 'statistics') return undefined;
    if (this.state === 'refused') {
      if (line && this.refusal.length < 20) this.refusal.push(line);
      return undefined;
    }
    if (!line) {
      if (this.state === 'echoes' && this.echoes > 0) this.state = 'statistics';
      return undefined;
    }
    if (this.state === 'header') {
      this.state = findAddress(line) ? 'echoes' : 'refused';
      if (this.state === 'refused') this.refusal.push(line);
      return undefined;
    }
    this.echoes++;
    return classifyEchoLine(line, this.echoes % SEQ_SPACE);
  }

  /**
   * Why ping ended, or undefined for a normal end: killed by us, exit 0 (a reply came), or exit 1
   * after sending (nothing answered). Exit 1 before any echo line means ping refused to start; the
   * target name appearing in its words means the name did not resolve, else the command line was wrong.
   */
  exitProblem(exit: PingExit): { reason: Reason; message: string } | undefined {
    if (exit.spawnError !== undefined) {
      const reason = spawnFailureReason(exit.spawnError);
      const code = (exit.spawnError as NodeJS.ErrnoException | null)?.code;
      if (reason === 'missing_binary') {
        return { reason, message: `ping binary "${exit.binary}" not found: it is part of Windows (System32\\ping.exe); set CENTERWATCH_PING to its path` };
      }
      return { reason, message: `cannot run ping binary "${exit.binary}" (${typeof code === 'string' ? code : 'spawn error'})` };
    }
    if (exit.signal !== null || exit.code === 0 || this.echoes > 0) return undefined;
    const text = this.refusal.join(' ').slice(0, 200);
    const named = isIP(this.target) === 0 && this.refusal.some((l) => l.toLowerCase().includes(this.target.toLowerCase()));
    return { reason: named ? 'dns' : 'config', message: text || `ping exited with status ${exit.code} before sending` };
  }
}

/** Echo requests to send in continuous mode: the largest count ping.exe takes, 136 years at one a second. */
export const CONTINUOUS_COUNT = 4294967295;
/** Milliseconds ping.exe waits for each reply (`-w`), as iputils' `-W 1`. */
export const REPLY_TIMEOUT_MS = 1000;

/**
 * The command line for Windows ping.exe. Continuous mode is `-n 4294967295` rather than `-t`: the
 * same on Windows, and also what Wine's ping takes. `-S` binds the source address (Windows has no
 * device binding; its strong host model sends from an address through that address's interface).
 * `-6` only for a host name with ipv6 set; no `-4`, as on Linux (and Wine's ping refuses it: measured).
 */
export function windowsPingArgs(a: PingArgs & { source?: string }): string[] {
  const args = ['-n', String(a.count ?? CONTINUOUS_COUNT), '-w', String(REPLY_TIMEOUT_MS)];
  if (a.size !== undefined) args.push('-l', String(a.size));
  const literal = isIP(a.target);
  if (a.ipv6 && literal === 0) args.push('-6');
  const family = a.ipv6 || literal === 6 ? 6 : 4;
  if (a.source && isIP(a.source) === family) args.push('-S', a.source);
  args.push(a.target);
  return args;
}
