import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { METRIC } from '../../common/metrics.js';
import { defineProbe, failure, success, type ProbeResult } from './types.js';
import { bindAddress } from './binding.js';
import { describeError, reasonFromError } from './errors.js';
import { endpointProblem, familyOf, parseEndpoint } from './target.js';
import { decodeReply, encodeRequest, judgeReply, type SntpVerdict } from './sntp.js';

const NTP_PORT = 123;

const options = z
  .object({
    /** Clock offset (seconds, either sign) beyond which the check is degraded (clock_offset): signatures and TLS start failing past about 2 s. Default 2. */
    max_offset: z.number().positive().default(2),
    /** Clock offset (seconds) beyond which the check is down. Default: never down for the offset alone. */
    down_offset: z.number().positive().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.down_offset !== undefined && o.down_offset < o.max_offset) {
      ctx.addIssue({ code: 'custom', path: ['down_offset'], message: 'must not be below max_offset' });
    }
  });

export const ntpProbe = defineProbe({
  kind: 'ntp',
  targetHelp: 'host or host:port of an NTP server (UDP, default port 123)',
  targetRequired: true,
  targetProblem: (target) => endpointProblem(target, NTP_PORT),
  options,
  metrics: {
    clockOffsetSeconds: {
      name: METRIC.clockOffsetSeconds,
      help: "Offset of this host's clock from the NTP server (positive: this clock is behind)",
      type: 'gauge',
      threshold: true,
    },
    ntpRoundTripSeconds: { name: METRIC.ntpRoundTripSeconds, help: "Round-trip delay of the SNTP exchange, less the server's processing time", type: 'gauge' },
  },
  async run(target, opts, ctx): Promise<ProbeResult> {
    const hp = parseEndpoint(target, NTP_PORT);
    if (!hp) return failure('config', `target ${endpointProblem(target, NTP_PORT)}`);
    const family = familyOf(hp.host);
    const bind = bindAddress(ctx.line, family);
    if (!bind.ok) return failure('unreachable', bind.message);
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    // Errors after the exchange settled (a late ICMP error, a lookup finishing after close) are moot.
    socket.on('error', () => {});
    let verdict: SntpVerdict;
    try {
      verdict = await exchange(socket, hp, bind.address, ctx.signal);
    } catch (err) {
      return failure(reasonFromError(err, ctx.signal), describeError(err, ctx.signal));
    } finally {
      socket.close();
    }
    if (verdict.kind === 'kiss') return failure('protocol', `kiss-o'-death ${verdict.code}`);
    if (verdict.kind === 'unsynchronised') return failure('protocol', 'server clock unsynchronised (leap indicator 3)');
    if (verdict.kind === 'invalid') return failure('protocol', `invalid reply (${verdict.why})`);
    const { offsetSeconds: offset, delaySeconds: delay } = verdict;
    const observations = [
      { metric: 'clockOffsetSeconds', value: offset },
      { metric: 'ntpRoundTripSeconds', value: delay },
    ];
    const message = `offset ${offset.toFixed(3)} s, delay ${(delay * 1000).toFixed(1)} ms, stratum ${verdict.stratum}`;
    const extra = { observations, message, phases: { query: delay } };
    if (opts.down_offset !== undefined && Math.abs(offset) > opts.down_offset) return failure('clock_offset', message, extra);
    if (Math.abs(offset) > opts.max_offset) return { up: true, degraded: true, reason: 'clock_offset', ...extra };
    return success(extra);
  },
});

/**
 * Sends one request and resolves with the verdict on the first reply that answers it; stray
 * datagrams (wrong originate) are ignored. Connecting the socket makes an ICMP port-unreachable
 * arrive as ECONNREFUSED instead of silence.
 */
function exchange(socket: Socket, hp: { host: string; port: number }, localAddress: string | undefined, signal: AbortSignal): Promise<SntpVerdict> {
  return new Promise((resolve, reject) => {
    let sentRaw: Buffer | undefined;
    let t1 = 0;
    let sentAt = 0;
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort);
      socket.off('message', onMessage);
      socket.off('error', onError);
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal.reason);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onMessage = (msg: Buffer): void => {
      // T4 from the monotonic clock, so the delay is not skewed by a clock step mid-exchange.
      const t4 = t1 + (performance.now() - sentAt);
      const reply = decodeReply(msg);
      if (!reply || !sentRaw) return;
      const v = judgeReply(reply, sentRaw, t1, t4);
      if (v.kind === 'invalid' && v.why === 'reply to another request') return;
      cleanup();
      resolve(v);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', onError);
    socket.on('message', onMessage);
    const send = (): void => {
      // Node hands a failed lookup or connect to this callback (not to 'error').
      socket.connect(hp.port, hp.host, ((err?: Error) => {
        if (err) return onError(err);
        // Wall clock for T1: the offset is measured against the system clock, which is the point.
        t1 = Date.now();
        sentAt = performance.now();
        const req = encodeRequest(t1);
        sentRaw = Buffer.from(req.subarray(40, 48));
        try {
          socket.send(req, (err) => err && onError(err));
        } catch (err) {
          onError(err as Error); // closed at the deadline while connecting
        }
      }) as () => void);
    };
    if (localAddress) socket.bind({ address: localAddress, port: 0 }, send);
    else send();
  });
}
