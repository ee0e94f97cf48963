import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { PingTally, type PingArgs, type PingEvent, type PingExit } from './ping-output.js';
import { startSocketPing } from './ping-socket.js';
import type { ProbeLog, Reason, Session } from './types.js';
import { pingPlatform, type PingReader } from '../platform/ping.js';

/** The ping binary: `CENTERWATCH_PING` when set (tests point it at a missing path), else the system's ping. */
export function pingBinary(): string {
  return pingPlatform().binary();
}

/**
 * One ping: its command line, the target it names (the Windows reader needs it to judge an early
 * exit), and what it asks for (the agent's own ICMP socket sends from that instead).
 */
export interface PingCommand {
  args: string[];
  target: string;
  spec: PingArgs;
}

export interface PingProcess {
  /** Settles once the process has exited and its output has been read; never rejects. */
  done: Promise<PingExit>;
  /** Reads this process's output; says what its exit means. */
  reader: PingReader;
  /** SIGTERM, then SIGKILL a second later if it is still there. Safe to call more than once. */
  kill(): void;
}

const KILL_GRACE_MS = 1000;

/**
 * Pings through the agent's own ICMP socket where it can have one (ping-socket.ts: Linux, root or
 * CAP_NET_RAW or an allowed ping group); otherwise spawns ping and feeds each parsed stdout line to `onEvent` as it arrives (ping flushes every line).
 * The platform (agent/platform/ping.ts) gives the binary, its environment and the line reader. If
 * the agent dies without killing it: on Linux ping's next write hits a closed pipe and SIGPIPE ends
 * it; on Windows libuv puts every child in a job object that is killed when the agent exits.
 */
export function startPing(cmd: PingCommand, onEvent: (ev: PingEvent) => void, onStderrLine?: (line: string) => void): PingProcess {
  const viaSocket = startSocketPing(cmd.spec, onEvent, onStderrLine);
  if (viaSocket) return viaSocket;
  const platform = pingPlatform();
  const binary = platform.binary();
  const reader = platform.reader(cmd.target);
  let spawnError: unknown;
  let stderr = '';
  let killTimer: NodeJS.Timeout | undefined;
  const child = spawn(binary, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], env: platform.env(), windowsHide: true });
  child.on('error', (err) => {
    spawnError ??= err;
  });
  lines(child.stdout, (line) => {
    const ev = reader.line(line);
    if (ev) onEvent(ev);
  });
  lines(child.stderr, (line) => {
    stderr = (stderr + line + '\n').slice(-2000);
    onStderrLine?.(line);
  });
  const done = new Promise<PingExit>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(killTimer);
      resolve({ binary, code, signal, stderr, ...(spawnError === undefined ? {} : { spawnError }) });
    });
  });
  return {
    done,
    reader,
    kill() {
      if (child.exitCode !== null || child.signalCode !== null || spawnError !== undefined || killTimer) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    },
  };
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    if (buf.length > 4096) buf = '';
  });
}

export interface Problem {
  reason: Reason;
  message: string;
  /** When it was seen (ms, performance.now()). */
  at: number;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/**
 * One long-lived ping for a line check, read as replies arrive. Restarted with exponential
 * backoff (1 s … 30 s) if it exits; the backoff resets on the first reply. `close()` kills it
 * and waits for it to exit, so no process outlives the scheduler.
 */
export class PingSession implements Session {
  readonly tally: PingTally;
  readonly startedAt = performance.now();
  /** When the last reply arrived (ms, performance.now()). */
  lastReplyAt?: number;
  /** The latest sign of trouble: an ICMP error, a send error on stderr, ping exiting. */
  problem?: Problem;
  private proc?: PingProcess;
  private closed = false;
  private backoffMs = MIN_BACKOFF_MS;
  private restartTimer?: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();

  /** @param downMs silence after which the line is down: its outage is left out of the quality window. */
  constructor(
    private readonly cmd: PingCommand,
    private readonly log: ProbeLog,
    downMs = Infinity,
  ) {
    this.tally = new PingTally(downMs);
    this.spawn();
  }

  /** Resolves at the next reply or problem, at `until` (performance.now() ms), or on abort. */
  waitForNews(until: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - performance.now()));
      this.listeners.add(done);
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.notify();
    const proc = this.proc;
    if (proc) {
      proc.kill();
      await proc.done;
    }
  }

  private spawn(): void {
    if (this.closed) return;
    this.tally.newProcess();
    const proc = startPing(
      this.cmd,
      (ev) => this.onEvent(ev),
      (line) => this.setProblem(pingPlatform().stderrReason(line), line.slice(0, 200)),
    );
    this.proc = proc;
    void proc.done.then((exit) => {
      this.proc = undefined;
      if (this.closed) return;
      const p = proc.reader.exitProblem(exit) ?? { reason: 'protocol', message: `ping exited (${exit.code ?? exit.signal})` };
      this.setProblem(p.reason, p.message);
      this.log.warn('ping exited, restarting', { reason: p.reason, restart_in_ms: this.backoffMs });
      this.restartTimer = setTimeout(() => this.spawn(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    });
  }

  private onEvent(ev: PingEvent): void {
    const now = performance.now();
    this.tally.add(ev, now);
    if (ev.type === 'reply') {
      this.lastReplyAt = now;
      this.backoffMs = MIN_BACKOFF_MS;
      this.notify();
    } else if (ev.type === 'icmp_error') {
      this.setProblem('unreachable', `${ev.text} (from ${ev.from})`);
    }
  }

  private setProblem(reason: Reason, message: string): void {
    this.problem = { reason, message, at: performance.now() };
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
