import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

/*
 * One long-lived PowerShell per agent, fed one query at a time on stdin.
 *
 * Why not a fresh `powershell.exe -Command …` per check: starting Windows PowerShell 5.1 loads the
 * .NET runtime and the CIM module, about 0.3–1 s of CPU each time on a counter PC; a usb, printer
 * and scanner check every 30 s would then keep a core a few percent busy for nothing. The session
 * pays that once; a query afterwards costs only the CIM call itself.
 *
 * Framing: every query gets a marker no output can guess (random per session, numbered per
 * query). PowerShell writes `<marker> OK` or `<marker> ERR` on a line of its own, then the answer as
 * one line of compressed JSON, then `<marker> END`. Anything else on stdout (a BOM, a warning,
 * a continuation prompt) lies outside a frame and is ignored, though it counts against the bound.
 *
 * Input: Windows PowerShell reads stdin in the console's OEM code page, so the script text sent is
 * ASCII only (the queries are fixed strings of ours; no user text is ever interpolated into them).
 * Output is set to UTF-8 without a BOM so Vietnamese device and printer names arrive intact.
 */

/** The flags the agent starts PowerShell with. */
export const POWERSHELL_ARGS = ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', '-'] as const;

/** Sent once after start: UTF-8 out (no BOM: `[Text.Encoding]::UTF8` would prefix one), errors stop the query, no progress bars. */
export const POWERSHELL_PRELUDE =
  "[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false; $ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'";

/** Default bound on one answer, frame and stray output included. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export interface PowerShellOptions {
  /** The program. Default `powershell.exe` (Windows PowerShell 5.1, present on every Windows 10/11). */
  command?: string;
  /** Its arguments. Default POWERSHELL_ARGS. */
  args?: readonly string[];
  /** Most bytes one query may print. Default MAX_ANSWER_BYTES. */
  maxAnswerBytes?: number;
  /** First wait before restarting a shell that died on its own; doubles per death in a row. Default 500 ms. */
  backoffMs?: number;
  /** Longest such wait. Default 30 s. */
  maxBackoffMs?: number;
  /** How long close() waits for `exit` before killing. Default 1 s. */
  closeGraceMs?: number;
}

/** Why a query gave no answer; a closed set, never the text of an error. */
export type QueryFailure =
  /** The query's signal aborted (deadline or shutdown); a query already running killed the shell. */
  | 'timeout'
  /** The shell could not be started (powershell.exe missing: ENOENT). */
  | 'spawn'
  /** The shell exited while the query ran. */
  | 'died'
  /** The answer passed the size bound; the shell was killed. */
  | 'too_large'
  /** A frame whose body is not JSON. */
  | 'protocol'
  /** PowerShell ran the query and it threw (the CIM class missing, access denied, …). */
  | 'error'
  /** close() was called. */
  | 'closed';

export type QueryAnswer = { ok: true; value: unknown } | { ok: false; failure: QueryFailure; detail: string };

/** What a query round trip needs of a session: the seam the CIM readers are tested through. */
export interface PowerShellQuery {
  query(script: string, signal: AbortSignal): Promise<QueryAnswer>;
}

interface Running {
  marker: string;
  bytes: number;
  lines: string[];
  state: 'before' | 'ok' | 'err';
  finish(a: QueryAnswer): void;
}

export class PowerShellSession implements PowerShellQuery {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly tag = randomBytes(8).toString('hex');
  private seq = 0;
  private queue: Promise<void> = Promise.resolve();
  private running: Running | undefined;
  private partial = '';
  private decoder = new StringDecoder('utf8');
  private closed = false;
  private deathsInRow = 0;
  private notBefore = 0;
  /** Shells started so far (the first start included). */
  spawns = 0;

  constructor(private readonly opts: PowerShellOptions = {}) {}

  /** The running shell's process id, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Runs `script` (one line of PowerShell whose value is converted to JSON) after the queries
   * before it. Never rejects.
   */
  query(script: string, signal: AbortSignal): Promise<QueryAnswer> {
    const turn = this.queue.then(() => this.run(script, signal));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async run(script: string, signal: AbortSignal): Promise<QueryAnswer> {
    if (this.closed) return { ok: false, failure: 'closed', detail: 'session closed' };
    if (signal.aborted) return { ok: false, failure: 'timeout', detail: 'deadline passed while queued' };
    const wait = this.notBefore - Date.now();
    if (!this.child && wait > 0 && !(await sleep(wait, signal))) {
      return { ok: false, failure: 'timeout', detail: `deadline passed while the shell waited ${wait} ms to restart` };
    }
    if (this.closed) return { ok: false, failure: 'closed', detail: 'session closed' };
    const started = this.ensureStarted();
    if (!started.ok) return started;
    const child = this.child!;
    const marker = `CW${this.tag}Q${++this.seq}`;
    return new Promise<QueryAnswer>((resolve) => {
      const onAbort = () => {
        // A CIM call stuck in WMI does not stop for a signal: only a fresh shell frees the queue.
        this.kill();
        done({ ok: false, failure: 'timeout', detail: 'deadline passed; shell restarted' });
      };
      const done = (a: QueryAnswer) => {
        if (this.running !== run) return;
        this.running = undefined;
        signal.removeEventListener('abort', onAbort);
        if (a.ok) this.deathsInRow = 0;
        resolve(a);
      };
      const run: Running = { marker, bytes: 0, lines: [], state: 'before', finish: done };
      this.running = run;
      this.partial = '';
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      child.stdin.write(`${frameScript(script, marker)}\n`);
    });
  }

  private ensureStarted(): { ok: true } | { ok: false; failure: 'spawn'; detail: string } {
    if (this.child) return { ok: true };
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(this.opts.command ?? 'powershell.exe', [...(this.opts.args ?? POWERSHELL_ARGS)], {
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      return { ok: false, failure: 'spawn', detail: errorCode(err) };
    }
    this.spawns++;
    this.child = child;
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
    child.stdout.on('data', (chunk: Buffer) => this.onData(child, chunk));
    // stderr is read and dropped so a chatty shell cannot fill the pipe and stall.
    child.stderr.resume();
    child.stdin.on('error', () => undefined); // EPIPE after a death: 'exit' says what happened
    child.on('error', (err) => this.onGone(child, 'spawn', errorCode(err)));
    child.on('exit', (code, sig) => this.onGone(child, 'died', `exited with ${code ?? sig}`));
    child.stdin.write(`${POWERSHELL_PRELUDE}\n`);
    return { ok: true };
  }

  private onData(child: ChildProcessWithoutNullStreams, chunk: Buffer): void {
    if (child !== this.child) return;
    const run = this.running;
    if (!run) return; // output between queries (the prelude's): nobody asked for it
    run.bytes += chunk.length;
    if (run.bytes > (this.opts.maxAnswerBytes ?? MAX_ANSWER_BYTES)) {
      this.kill();
      run.finish({ ok: false, failure: 'too_large', detail: `answer over ${this.opts.maxAnswerBytes ?? MAX_ANSWER_BYTES} bytes; shell restarted` });
      return;
    }
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (run.state === 'before') {
        if (line === `${run.marker} OK`) run.state = 'ok';
        else if (line === `${run.marker} ERR`) run.state = 'err';
        continue;
      }
      if (line !== `${run.marker} END`) {
        run.lines.push(line);
        continue;
      }
      run.finish(decodeFrame(run.state, run.lines.join('\n')));
      return;
    }
  }

  private onGone(child: ChildProcessWithoutNullStreams, failure: 'spawn' | 'died', detail: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    if (this.closed) return;
    // Died on its own: wait longer before each restart while it keeps dying.
    this.deathsInRow++;
    const base = this.opts.backoffMs ?? 500;
    this.notBefore = Date.now() + Math.min(base * 2 ** (this.deathsInRow - 1), this.opts.maxBackoffMs ?? 30_000);
    this.running?.finish({ ok: false, failure, detail });
  }

  /** Kills the shell on our own account (deadline, size): the next query starts a fresh one at once. */
  private kill(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGKILL');
  }

  /** Ends the shell (`exit`, then a kill after the grace) and fails queued queries with `closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.running?.finish({ ok: false, failure: 'closed', detail: 'session closed' });
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end('exit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.closeGraceMs ?? 1000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * One query as the line sent: its value (what `script` evaluates to, a hashtable by our
 * convention so the pipeline does not unroll it) framed as compressed JSON, or the exception's
 * type and HRESULT (language-independent) when it throws; its message is localized and only logged.
 */
export function frameScript(script: string, marker: string): string {
  return (
    `try { $__cw = & { ${script} }; $__j = ConvertTo-Json -InputObject $__cw -Compress -Depth 3; ` +
    `[Console]::Out.Write([char]10 + "${marker} OK" + [char]10 + $__j + [char]10 + "${marker} END" + [char]10) } ` +
    `catch { $__e = @{ type = $_.Exception.GetType().FullName; hresult = $_.Exception.HResult; message = [string]$_.Exception.Message }; ` +
    `[Console]::Out.Write([char]10 + "${marker} ERR" + [char]10 + (ConvertTo-Json -InputObject $__e -Compress) + [char]10 + "${marker} END" + [char]10) }; ` +
    `[Console]::Out.Flush()`
  );
}

function decodeFrame(state: 'ok' | 'err', body: string): QueryAnswer {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, failure: 'protocol', detail: 'answer is not JSON' };
  }
  if (state === 'ok') return { ok: true, value };
  const e = value as { type?: unknown; hresult?: unknown } | null;
  const type = typeof e?.type === 'string' ? e.type.slice(0, 120) : 'exception';
  const hresult = typeof e?.hresult === 'number' ? ` 0x${(e.hresult >>> 0).toString(16).padStart(8, '0')}` : '';
  return { ok: false, failure: 'error', detail: `${type}${hresult}` };
}

/** Resolves true after `ms`, false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'spawn failed';
}
