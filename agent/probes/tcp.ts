import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { defineProbe, failure, success, type Observation, type ProbeResult } from './types.js';
import { settle } from './socket-settle.js';
import { describeError, reasonFromError } from './errors.js';
import { endpointOf, hostPortProblem } from './target.js';
import { CERT_METRICS, certObservations } from './tls-cert.js';

/** Most a probe reads while waiting for `expect` to match; a peer streaming more does not match. */
const MAX_READ_CHARS = 65536;

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
    /** Regular expression the first bytes received (up to 64 KiB) must match. */
    expect: z.string().refine(isRegExp, 'is not a valid regular expression').optional(),
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
    try {
      let lookupAt: number | undefined;
      const plain = own(netConnect({ host: hp.host, port: hp.port, localAddress: bind.address }));
      plain.once('lookup', () => (lookupAt ??= performance.now()));
      await settle(plain, 'connect', ctx.signal);
      const connectAt = performance.now();
      if (lookupAt !== undefined) phases.resolve = (lookupAt - start) / 1000;
      phases.connect = (connectAt - (lookupAt ?? start)) / 1000;

      let socket: Socket = plain;
      if (opts.tls) {
        const servername = opts.server_name ?? (isIP(hp.host) ? undefined : hp.host);
        // Verified by hand after the handshake, so an untrusted certificate's expiry is still reported.
        const t: TLSSocket = own(tlsConnect({ socket: plain, host: hp.host, ...(servername ? { servername } : {}), ca, rejectUnauthorized: false }));
        await settle(t, 'secureConnect', ctx.signal);
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
      if (opts.send !== undefined) await write(socket, opts.send, ctx.signal);
      if (opts.expect !== undefined) {
        const matched = await readUntil(socket, new RegExp(opts.expect), ctx.signal);
        if (!matched) return failure('assertion', `reply did not match /${opts.expect}/`, { phases, observations });
      }
      return success({ phases, observations });
    } catch (err) {
      return failure(reasonFromError(err, ctx.signal), describeError(err, ctx.signal), { phases, observations });
    } finally {
      // TLS socket first: destroying the socket under a live TLSSocket crashes Node 20 (SIGSEGV).
      for (const s of sockets.reverse()) s.destroy();
    }
  },
});


/** Writes and waits until the data is handed to the kernel: destroying the socket earlier would drop it. */
function write(socket: Socket, data: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.write(data, (err) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * Reads until the text so far matches (true), or the peer closes, sends too much, or the deadline
 * passes after it sent something (false: it answered, just not as expected). Silence until the
 * deadline throws (a timeout).
 */
function readUntil(socket: Socket, pattern: RegExp, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // A multi-byte character split across two chunks must not turn into replacement characters.
    const decoder = new StringDecoder('utf8');
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += decoder.write(chunk);
      if (pattern.test(text)) done(true);
      else if (text.length > MAX_READ_CHARS) done(false);
    };
    const onEnd = (): void => done(false);
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAbort = (): void => {
      if (text.length > 0) return done(false);
      cleanup();
      reject(signal.reason);
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const done = (v: boolean): void => {
      cleanup();
      resolve(v);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
