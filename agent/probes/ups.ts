import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { METRIC } from '../../common/metrics.js';
import { defineProbe, failure, type ProbeResult } from './types.js';
import { withDeadline } from './deadline.js';
import { describeError, reasonFromError } from './errors.js';
import { endpointOf, endpointProblem } from './target.js';
import { assessUps, errCode, errReason, listVarRequest, parseListVarLine, quoteArg, UPS_NAME } from './nut-protocol.js';
import { credentialPairProblems } from './db-common.js';

/** upsd's registered port. */
const NUT_PORT = 3493;
/** Most variables a UPS reports (real ones list 50–150): a peer sending more is not upsd. */
const MAX_VARS = 1000;
const MAX_LINE = 4096;

const options = z
  .object({
    /** The UPS's name in upsd's ups.conf. Default `ups`. */
    ups: z.string().regex(UPS_NAME, 'is not a NUT UPS name').default('ups'),
    /** upsd user (upsd.users); LIST VAR needs none, so by default no login is sent. */
    user: z.string().regex(/^\S+$/, 'must not contain spaces').optional(),
    /** Password for `user` (a secret: also `password_file` or `${ENV}`). */
    password: z.string().optional(),
    /** On battery with less runtime than this (seconds) counts as low battery (down). Default 300. */
    min_runtime: z.number().nonnegative().default(300),
  })
  .strict()
  .superRefine((o, ctx) => credentialPairProblems(o, ctx));

/** Most lines one conversation has: two login replies, BEGIN, the variables, END. */
const MAX_LINES = MAX_VARS + 4;

/** upsd broke a bound (a line too long, too many lines): a protocol failure with its own message. */
class UpsdOverflow extends Error {
  readonly code = 'EPROTO';
}

/**
 * Reads `\n`-terminated lines from a socket, one at a time. Both what it holds are bounded as the
 * bytes arrive, not when a line is asked for: the unfinished line (MAX_LINE) and the lines of the
 * conversation (MAX_LINES); past either it stops reading, so a peer streaming forever costs one chunk.
 */
class LineReader {
  private buf = '';
  private lines: string[] = [];
  private received = 0;
  private failed: Error | undefined;
  private wake: (() => void) | undefined;
  constructor(socket: Socket) {
    socket.setEncoding('utf8');
    const overflow = (message: string): void => {
      this.lines = [];
      this.failed = new UpsdOverflow(message);
      socket.pause();
    };
    socket.on('data', (chunk: string) => {
      if (this.failed) return;
      this.buf += chunk;
      const parts = this.buf.split('\n');
      this.buf = parts.pop()!;
      this.received += parts.length;
      if (this.received > MAX_LINES) overflow(`upsd sent more than ${MAX_LINES} lines`);
      else if (this.buf.length > MAX_LINE) overflow(`upsd sent a line longer than ${MAX_LINE} characters`);
      else for (const l of parts) this.lines.push(l.replace(/\r$/, ''));
      this.wake?.();
    });
    socket.on('close', () => {
      this.failed ??= Object.assign(new Error('connection closed'), { code: 'ECONNRESET' });
      this.wake?.();
    });
  }

  /** The next line; rejects once the connection is closed or broke a bound (and no line is left). */
  async next(): Promise<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.failed) throw this.failed;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export const upsProbe = defineProbe({
  kind: 'ups',
  targetHelp: 'host[:port] of upsd (default port 3493)',
  targetRequired: true,
  targetProblem: (target) => {
    const problem = endpointProblem(target, NUT_PORT);
    // upsc names a UPS as ups@host: here the host is the target and the name an option.
    return problem && target.includes('@') ? `${problem} (the UPS name goes in options.ups)` : problem;
  },
  options,
  metrics: {
    upsRuntimeSeconds: { name: METRIC.upsRuntimeSeconds, help: 'Battery runtime left as the UPS estimates it', type: 'gauge', threshold: true },
    upsBatteryChargeRatio: { name: METRIC.upsBatteryChargeRatio, help: 'Battery charge, 0..1', type: 'gauge', threshold: true },
    upsLoadRatio: { name: METRIC.upsLoadRatio, help: 'Load on the UPS output, 0..1 of its rating', type: 'gauge', threshold: true },
    upsOnBattery: { name: METRIC.upsOnBattery, help: '1 while the UPS runs on battery (mains off)', type: 'gauge' },
  },
  async run(target, opts, ctx): Promise<ProbeResult> {
    const ep = endpointOf(target, ctx.line, NUT_PORT);
    if ('failure' in ep) return ep.failure;
    const { hp, bind } = ep;
    const start = performance.now();
    const phases: ProbeResult['phases'] = {};
    const socket = connect({ host: hp.host, port: hp.port, localAddress: bind.address });
    socket.on('error', () => {});
    return withDeadline(ctx.signal, async (deadline) => {
      try {
        await deadline.race(once(socket, 'connect'));
        phases.connect = (performance.now() - start) / 1000;
        const reader = new LineReader(socket);
        const nextLine = (): Promise<string> => deadline.race(reader.next());
        const send = (line: string): void => void socket.write(line);
        if (opts.user !== undefined && opts.password !== undefined) {
          const t0 = performance.now();
          // upsd checks the pair only when a privileged command uses it; an ERR here is still an auth failure.
          for (const cmd of [`USERNAME ${opts.user}\n`, `PASSWORD ${quoteArg(opts.password)}\n`]) {
            send(cmd);
            const reply = await nextLine();
            const code = errCode(reply);
            if (code !== undefined) return failure(errReason(code), `upsd refused login: ${code}`, { phases });
            if (!reply.startsWith('OK')) return failure('protocol', 'unexpected reply to login', { phases });
          }
          phases.auth = (performance.now() - t0) / 1000;
        }
        const t1 = performance.now();
        send(listVarRequest(opts.ups));
        const vars = new Map<string, string>();
        for (let begun = false; ;) {
          const parsed = parseListVarLine(await nextLine(), opts.ups);
          if (parsed.kind === 'err') {
            return failure(errReason(parsed.code), `upsd: ${parsed.code} for UPS ${opts.ups}`, { phases });
          }
          if (parsed.kind === 'begin' && !begun) begun = true;
          else if (parsed.kind === 'var' && begun && vars.size < MAX_VARS) vars.set(parsed.name, parsed.value);
          else if (parsed.kind === 'end' && begun) break;
          else return failure('protocol', 'unexpected reply to LIST VAR', { phases });
        }
        phases.query = (performance.now() - t1) / 1000;
        // Polite close, so upsd does not log a dropped client; its reply is not awaited.
        send('LOGOUT\n');
        const a = assessUps(vars, opts.min_runtime);
        const extra = { phases, observations: a.observations, message: `${opts.ups}: ${a.message}` };
        if (!a.up) return failure(a.reason, extra.message, extra);
        return { up: true, reason: a.reason, ...(a.degraded ? { degraded: true } : {}), ...extra };
      } catch (err) {
        const message = err instanceof UpsdOverflow && !ctx.signal.aborted ? err.message : describeError(err, ctx.signal);
        return failure(reasonFromError(err, ctx.signal), message, { phases });
      } finally {
        socket.end();
        socket.destroy();
      }
    });
  },
});
