import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { z } from 'zod';
import { defineProbe, failure, success, type Observation, type ProbeResult } from './types.js';
import { withDeadline, type Deadline } from './deadline.js';
import { DEFAULT_READ_LIMIT, MAX_READ_LIMIT, waitForMatch, type MatchState } from './tcp-reply.js';
import { describeError, reasonFromError } from './errors.js';
import { endpointOf, hostPortProblem } from './target.js';
import { CERT_METRICS, certObservations } from './tls-cert.js';

function isRegExp(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

const options = z
  .object({
    /** Wrap the connection in TLS. Default false. */
    tls: z.boolean().default(false),
    /** SNI and verification name; defaults to the target host (an IP target is verified against the certificate's IP names, without SNI). */
    server_name: z.string().optional(),
    /** PEM file of the CAs to trust instead of Node's bundled ones (a provincial private CA). */
    ca_file: z.string().optional(),
    /** Accept any certificate. Only when asked; the expiry is still reported. Default false. */
    insecure_skip_verify: z.boolean().default(false),
    /** Text to send after connecting (e.g. a protocol greeting). */
    send: z.string().optional(),
    /** Regular expression the reply's first `read_limit` characters must match. */
    expect: z.string().refine(isRegExp, 'is not a valid regular expression').optional(),
    /** Characters of the reply `expect` looks at; a peer sending more adds nothing. Default 4096, at most 65536. */
    read_limit: z.number().int().min(1).max(MAX_READ_LIMIT).default(DEFAULT_READ_LIMIT),
  })
  .strict();

export const tcpProbe = defineProbe({
  kind: 'tcp',
  targetHelp: 'host:port',
  targetRequired: true,
  targetProblem: hostPortProblem,
  options,
  metrics: {
    ...CERT_METRICS,
  },
  async run(target, opts, ctx): Promise<ProbeResult> {
    const ep = endpointOf(target, ctx.line);
    if ('failure' in ep) return ep.failure;
    const { hp, bind } = ep;
    let ca: Buffer | undefined;
    if (opts.tls && opts.ca_file) {
      try {
        ca = await readFile(opts.ca_file);
      } catch (err) {
        return failure('config', `cannot read ca_file (${describeError(err)})`);
      }
    }
    const start = performance.now();
    const phases: ProbeResult['phases'] = {};
    const observations: Observation[] = [];
    const sockets: Socket[] = [];
    const own = <T extends Socket>(s: T): T => {
      sockets.push(s);
      // Errors after the step that awaited them are already reported (or moot once we are done);
      // unheard, a late ECONNRESET would crash the agent.
      s.on('error', () => {});
      return s;
    };
    const reply: MatchState = { received: 0, matching: false };
    return withDeadline(ctx.signal, async (deadline) => {
      try {
        let lookupAt: number | undefined;
        const plain = own(netConnect({ host: hp.host, port: hp.port, localAddress: bind.address }));
        plain.once('lookup', () => (lookupAt ??= performance.now()));
        await deadline.race(once(plain, 'connect'));
        const connectAt = performance.now();
        if (lookupAt !== undefined) phases.resolve = (lookupAt - start) / 1000;
        phases.connect = (connectAt - (lookupAt ?? start)) / 1000;

        let socket: Socket = plain;
        if (opts.tls) {
          const servername = opts.server_name ?? (isIP(hp.host) ? undefined : hp.host);
          // Verified by hand after the handshake, so an untrusted certificate's expiry is still reported.
          const t: TLSSocket = own(tlsConnect({ socket: plain, host: hp.host, ...(servername ? { servername } : {}), ca, rejectUnauthorized: false }));
          await deadline.race(once(t, 'secureConnect'));
          phases.tls = (performance.now() - connectAt) / 1000;
          const cert = t.getPeerCertificate();
          if (cert?.valid_to) observations.push(...certObservations(Date.parse(cert.valid_to) / 1000));
          if (!t.authorized && !opts.insecure_skip_verify) {
            // Node gives the OpenSSL verification code (a string) here, e.g. DEPTH_ZERO_SELF_SIGNED_CERT.
            const why = t.authorizationError as unknown;
            const code = typeof why === 'string' ? why : describeError(why);
            return failure('tls', `certificate not trusted (${code})`, { phases, observations });
          }
          socket = t;
        }
        if (opts.send !== undefined) await write(socket, opts.send, deadline);
        if (opts.expect !== undefined) {
          const out = await waitForMatch(socket, opts.expect, opts.read_limit, deadline, ctx.signal, reply);
          if ('refused' in out)
            return failure('assertion', `expect /${opts.expect}/ was stopped: too slow or too big over this reply`, { phases, observations });
          if (!out.matched) return failure('assertion', `reply did not match /${opts.expect}/`, { phases, observations });
        }
        return success({ phases, observations });
      } catch (err) {
        // The peer answered, just not as expected by the deadline; only silence is a timeout.
        if (ctx.signal.aborted && reply.received > 0) {
          const note = reply.matching ? ' by the deadline (the match was still running)' : '';
          return failure('assertion', `reply did not match /${opts.expect}/${note}`, { phases, observations });
        }
        return failure(reasonFromError(err, ctx.signal), describeError(err, ctx.signal), { phases, observations });
      } finally {
        // TLS socket first: destroying the socket under a live TLSSocket crashes Node 20 (SIGSEGV).
        for (const s of sockets.reverse()) s.destroy();
      }
    });
  },
});

/** Writes and waits until the data is handed to the kernel: destroying the socket earlier would drop it. */
function write(socket: Socket, data: string, deadline: Deadline): Promise<void> {
  return deadline.race(new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve()))));
}
