import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { classifyPingStderr, parsePingLine, pingArgs, pingExitProblem, type PingArgs, type PingEvent, type PingExit } from '../probes/ping-output.js';
import type { Reason } from '../probes/types.js';
import { forPlatform, type PlatformName } from './index.js';
import { windowsPingArgs, WindowsPingReader } from './win32/ping-output.js';

/*
 * The system ping, per platform: iputils `ping` on Linux, `ping.exe` on Windows. The icmp probe and
 * its session (agent/probes/ping-session.ts) spawn what this returns and read its lines through it.
 */

/** Reads one ping process's stdout, a line at a time, and judges its exit. */
export interface PingReader {
  line(text: string): PingEvent | undefined;
  /** What went wrong when the process ended, or undefined for a normal end. */
  exitProblem(exit: PingExit): { reason: Reason; message: string } | undefined;
}

/** The options of an icmp check that decide whether it can run here. */
export interface PingOptionsSeen {
  mode?: 'continuous' | 'burst' | undefined;
  packet_interval?: number | undefined;
  down_after: number;
}

export interface PingPlatform {
  /** The program: `CENTERWATCH_PING` when set (tests point it elsewhere), else the system's ping. */
  binary(): string;
  /** The child's environment. */
  env(): NodeJS.ProcessEnv;
  /** Seconds between echo requests when this ping cannot be told (Windows: 1), else undefined. */
  fixedInterval: number | undefined;
  /** The command line, or why the check cannot be sent as bound (a line's interface without an address). */
  args(a: PingArgs): { args: string[] } | { problem: string };
  reader(target: string): PingReader;
  /** Reason for one stderr line. */
  stderrReason(line: string): Reason;
  /** Why a check with these options cannot run on this platform, or undefined. */
  unsupported(opts: PingOptionsSeen): string | undefined;
}

const linux: PingPlatform = {
  binary: () => process.env.CENTERWATCH_PING || 'ping',
  // LC_ALL=C so the error texts are the ones classifyPingStderr knows.
  env: () => ({ ...process.env, LC_ALL: 'C', LANG: 'C' }),
  fixedInterval: undefined,
  args: (a) => ({ args: pingArgs(a) }),
  reader: () => ({ line: parsePingLine, exitProblem: pingExitProblem }),
  stderrReason: classifyPingStderr,
  unsupported: () => undefined,
};

const win32: PingPlatform = {
  binary: () => process.env.CENTERWATCH_PING || join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'ping.exe'),
  // Its language cannot be chosen from here (no LC_ALL on Windows): the reader needs none of its words.
  env: () => process.env,
  fixedInterval: 1,
  args(a) {
    const family = a.ipv6 || isIP(a.target) === 6 ? 6 : 4;
    let source = a.line?.source;
    if (a.line?.interface && (!source || isIP(source) !== family)) {
      // ping.exe binds by address only: an interface-bound line sends from the interface's address.
      const wanted = family === 4 ? 'IPv4' : 'IPv6';
      source = (networkInterfaces()[a.line.interface] ?? []).find((i) => i.family === wanted)?.address;
      if (!source) return { problem: `line ${a.line.name}: interface "${a.line.interface}" has no ${wanted} address` };
    }
    return { args: windowsPingArgs({ ...a, ...(source ? { source } : {}) }) };
  },
  reader: (target) => new WindowsPingReader(target),
  // ping.exe writes everything to stdout; anything on stderr is unexpected.
  stderrReason: () => 'protocol',
  unsupported(opts) {
    if (opts.packet_interval !== undefined && opts.packet_interval !== 1) {
      return 'packet_interval: Windows ping sends one echo request a second and cannot be given another interval; leave packet_interval out';
    }
    if (opts.mode !== 'burst' && opts.down_after <= 1) {
      return 'down_after: Windows ping sends one echo request a second, so down_after must be longer than 1 s';
    }
    return undefined;
  },
};

export const PING_PLATFORMS: Record<PlatformName, PingPlatform> = { linux, win32 };

/** This process's ping (or `platform`'s, for tests and --check-config). */
export function pingPlatform(platform?: PlatformName): PingPlatform {
  return forPlatform(PING_PLATFORMS, platform);
}
