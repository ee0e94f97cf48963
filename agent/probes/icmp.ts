import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { defineProbe, failure, success, type Observation, type ProbeContext, type ProbeResult } from './types.js';
import { PingTally, type WindowStats } from './ping-output.js';
import { PingSession, startPing, type PingCommand } from './ping-session.js';
import { METRIC } from '../../common/metrics.js';
import { hostProblem } from './target.js';
import { pingPlatform } from '../platform/ping.js';

const BURST_INTERVAL = 0.2;
/**
 * Continuous mode: a packet every 0.25 s, down after 3 s without a reply (12 packets lost in a row).
 * At 30 % random loss that happens about once in 130 hours (0.3^12 per packet), while a cut line is
 * reported ~3 s after its last reply. With 0.5 s / 2 s (4 in a row) a lossy line was declared down
 * ~130 times an hour: measured by bench:notify's loss scenario.
 */
const CONTINUOUS_INTERVAL = 0.25;
/** A run returns this long before its deadline so the runner gets the probe's own result. */
const DEADLINE_MARGIN_MS = 50;

const options = z
  .object({
    /**
     * `continuous`: one long-lived ping per check, read as replies arrive; each run reports the
     * window. `burst`: each run sends `count` packets and waits for them. Default: continuous when
     * the check is bound to a line, burst otherwise.
     */
    mode: z.enum(['continuous', 'burst']).optional(),
    /** Packets per burst. Default 5. */
    count: z.number().int().min(1).max(1000).default(5),
    /**
     * Seconds between packets, at least 0.002 (ping's floor). Default 0.2 in burst mode, 0.25 in
     * continuous mode. Windows ping always sends one a second: there, leave it out (or set 1).
     */
    packet_interval: z.number().min(0.002).max(60).optional(),
    /** Seconds over which loss, mean RTT and jitter are computed in continuous mode. Default 30. */
    window: z.number().positive().max(3600).default(30),
    /** Seconds without any reply before a continuous check is down. Default 3. */
    down_after: z.number().positive().max(600).default(3),
    /** ICMP payload bytes. Default: ping's (56). */
    size: z.number().int().min(0).max(65000).optional(),
    /** Use IPv6 for a host name (an IPv6 literal needs nothing). Default false. */
    ipv6: z.boolean().default(false),
  })
  .strict()
  .refine((o) => o.mode === 'burst' || o.down_after > (o.packet_interval ?? CONTINUOUS_INTERVAL), {
    path: ['down_after'],
    error: 'must be longer than packet_interval, or every gap between two packets would be an outage',
  });

type Options = z.output<typeof options>;

/** From 0.1 ms (loopback, LAN) to 2 s (a saturated or satellite line). */
export const RTT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2] as const;

export const icmpProbe = defineProbe({
  kind: 'icmp',
  targetHelp: 'host name or IP address',
  targetRequired: true,
  targetProblem: hostProblem,
  options,
  unsupportedOn: (platform, opts) => pingPlatform(platform).unsupported(opts),
  metrics: {
    loss_ratio: {
      name: METRIC.lineLossRatio,
      help: 'Share of echo requests without a reply, over the window (continuous) or the burst.',
      type: 'gauge',
      threshold: true,
    },
    rtt_seconds: { name: METRIC.lineRttSeconds, help: 'Mean round-trip time over the window or the burst.', type: 'gauge', threshold: true },
    jitter_seconds: {
      name: METRIC.lineJitterSeconds,
      help: 'Mean absolute difference of consecutive round-trip times (RFC 3550).',
      type: 'gauge',
      threshold: true,
    },
    rtt: { name: METRIC.icmpRttSeconds, help: 'Round-trip time of each echo reply.', type: 'histogram', buckets: RTT_BUCKETS },
    packets_sent: { name: METRIC.icmpPacketsSentTotal, help: 'Echo requests sent.', type: 'counter' },
    packets_received: { name: METRIC.icmpPacketsReceivedTotal, help: 'Echo replies received.', type: 'counter' },
  },
  async run(target, opts, ctx): Promise<ProbeResult> {
    const platform = pingPlatform();
    const continuous = (opts.mode ?? (ctx.line ? 'continuous' : 'burst')) === 'continuous';
    const interval = platform.fixedInterval ?? opts.packet_interval ?? (continuous ? CONTINUOUS_INTERVAL : BURST_INTERVAL);
    const spec = {
      target,
      interval,
      ipv6: opts.ipv6,
      ...(continuous ? {} : { count: opts.count }),
      ...(opts.size === undefined ? {} : { size: opts.size }),
      ...(ctx.line ? { line: ctx.line } : {}),
    };
    const built = platform.args(spec);
    if ('problem' in built) return failure('unreachable', built.problem);
    const cmd: PingCommand = { args: built.args, target, spec };
    return continuous ? runContinuous(cmd, interval, opts, ctx) : runBurst(cmd, ctx);
  },
});

function observe(stats: WindowStats, taken: { rtts: number[]; sent: number; received: number }): Observation[] {
  const obs: Observation[] = [
    { metric: 'packets_sent', value: taken.sent },
    { metric: 'packets_received', value: taken.received },
  ];
  if (stats.lossRatio !== undefined) obs.push({ metric: 'loss_ratio', value: stats.lossRatio });
  if (stats.rttSeconds !== undefined) obs.push({ metric: 'rtt_seconds', value: stats.rttSeconds });
  if (stats.jitterSeconds !== undefined) obs.push({ metric: 'jitter_seconds', value: stats.jitterSeconds });
  for (const rtt of taken.rtts) obs.push({ metric: 'rtt', value: rtt });
  return obs;
}

function lossText(stats: WindowStats): string {
  return `${stats.sent - stats.received} of ${stats.sent} packets lost`;
}

/** Sends `count` packets with a fresh ping; kills it at the deadline and reports what arrived. */
async function runBurst(cmd: PingCommand, ctx: ProbeContext): Promise<ProbeResult> {
  const tally = new PingTally();
  let icmpError: string | undefined;
  const proc = startPing(cmd, (ev) => {
    tally.add(ev, performance.now());
    if (ev.type === 'icmp_error') icmpError = `${ev.text} (from ${ev.from})`;
  });
  let onAbort = (): void => {};
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  const exit = await Promise.race([proc.done, aborted]);
  ctx.signal.removeEventListener('abort', onAbort);
  // Killed in the background: it exits within a second (SIGKILL after SIGTERM) and is reaped then.
  if (exit === 'aborted') proc.kill();
  const stats = tally.window(performance.now(), Infinity);
  const observations = observe(stats, tally.take());
  const problem = exit === 'aborted' ? undefined : proc.reader.exitProblem(exit);
  if (problem) return failure(problem.reason, problem.message, { observations });
  if (stats.received > 0) return success({ observations, ...(stats.received < stats.sent ? { message: lossText(stats) } : {}) });
  if (icmpError) return failure('unreachable', icmpError, { observations });
  return failure('timeout', stats.sent > 0 ? lossText(stats) : 'no reply before the deadline', { observations });
}

/**
 * Reads the check's long-lived ping. Up while a reply came within `down_after`; when replies are
 * overdue and the line would turn down before this run's deadline, the run waits for that moment
 * (or the next reply), so a dead line is reported `down_after` after its last reply rather than
 * up to one run interval later (with 1 s runs: about 2.0 s after a cut instead of up to 3 s).
 */
async function runContinuous(cmd: PingCommand, interval: number, opts: Options, ctx: ProbeContext): Promise<ProbeResult> {
  const downMs = opts.down_after * 1000;
  const session = ctx.session(() => new PingSession(cmd, ctx.log, downMs));
  const overdueMs = interval * 1500 + 100;
  const budgetEnd = performance.now() + Math.max(0, ctx.timeoutMs - DEADLINE_MARGIN_MS);
  let now = performance.now();
  for (;;) {
    const last = session.lastReplyAt;
    let until: number | undefined;
    if (last === undefined) {
      // A fresh session: wait for its first reply (ping sends at once), unless it already failed.
      if (!session.problem) until = session.startedAt + downMs;
    } else if (now - last <= downMs && now - last > overdueMs && last + downMs <= budgetEnd) {
      until = last + downMs;
    }
    if (until === undefined || now >= until || now >= budgetEnd || ctx.signal.aborted) break;
    await session.waitForNews(Math.min(until, budgetEnd) + 1, ctx.signal);
    now = performance.now();
  }
  const stats = session.tally.window(now, opts.window * 1000);
  const observations = observe(stats, session.tally.take());
  const last = session.lastReplyAt;
  if (last !== undefined && now - last <= downMs) {
    return success({ observations, ...(stats.received < stats.sent ? { message: `${lossText(stats)} in the last ${opts.window} s` } : {}) });
  }
  const problem = session.problem;
  if (problem && problem.at >= (last ?? -Infinity)) return failure(problem.reason, problem.message, { observations });
  const silence = last === undefined ? 'no reply yet' : `no reply for ${((now - last) / 1000).toFixed(1)} s`;
  return failure('timeout', silence, { observations });
}
