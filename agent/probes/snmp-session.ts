import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type NetSnmp from 'net-snmp';
import { z } from 'zod';
import { lazyDriver } from './db-common.js';
import { bindAddress } from './binding.js';
import { describeError, reasonFromError } from './errors.js';
import { endpointProblem, familyOf, parseEndpoint } from './target.js';
import { withDeadline } from './deadline.js';
import { failure, type ProbeContext, type ProbeResult, type Reason } from './types.js';

/**
 * What every SNMP check shares (the printer's Printer-MIB mode, the router's IF-MIB): its options,
 * one session per run bound to the check's line, and how a failure is named. net-snmp is loaded on
 * the first SNMP run only.
 */

const loadSnmp = lazyDriver<typeof NetSnmp>(() => import('net-snmp'));
/** Set before any use below (every use follows a run's load). */
let snmp: typeof NetSnmp;

/** SNMP options (v2c community or v3 user). */
export const snmpOptions = z
  .object({
    /** SNMP version: `2c` (community) or `3` (user-based security). Default `2c`. */
    version: z.enum(['2c', '3']).default('2c'),
    /** v2c community. Default `public` (what most devices ship with). */
    community: z.string().min(1).default('public'),
    /** UDP port when the target names none. Default 161. */
    port: z.number().int().min(1).max(65535).default(161),
    /** v3 user name (required for version 3). */
    user: z.string().min(1).optional(),
    /** v3 security level. Default `authPriv` (`authNoPriv` or `noAuthNoPriv` for older devices). */
    security_level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']).default('authPriv'),
    /** v3 authentication protocol. Default `sha`. */
    auth_protocol: z.enum(['sha', 'md5']).default('sha'),
    /** v3 authentication password. */
    auth_password: z.string().optional(),
    /** v3 privacy protocol. Default `aes`. */
    priv_protocol: z.enum(['aes', 'des']).default('aes'),
    /** v3 privacy password. */
    priv_password: z.string().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.version !== '3') return;
    if (!o.user) ctx.addIssue({ code: 'custom', path: ['user'], message: 'is required for SNMP version 3' });
    if (o.security_level !== 'noAuthNoPriv' && !o.auth_password) {
      ctx.addIssue({ code: 'custom', path: ['auth_password'], message: `is required for security_level ${o.security_level}` });
    }
    if (o.security_level === 'authPriv' && !o.priv_password) {
      ctx.addIssue({ code: 'custom', path: ['priv_password'], message: 'is required for security_level authPriv' });
    }
  });
export type SnmpOptions = z.output<typeof snmpOptions>;

export type Varbind = { oid: string; type: number; value: unknown };

/** One run's session as the work sees it: every request is cut at a socket error or the deadline. */
export interface SnmpReader {
  /** Walks one table or column with GETBULK; a subtree the device lacks is empty, not an error. */
  walk(oid: string): Promise<Varbind[]>;
  /** GETs these OIDs; one the device lacks (noSuchObject/noSuchInstance) is left out. */
  get(oids: readonly string[]): Promise<Varbind[]>;
}

/** Exported by net-snmp but missing from its type declarations. */
const requestTimedOutError = (): new (...a: unknown[]) => Error =>
  (snmp as unknown as { RequestTimedOutError: new (...a: unknown[]) => Error }).RequestTimedOutError;

/**
 * Opens an SNMP session to `target` for one run, hands it to `work`, and closes it. Never throws for
 * the device: a bad target, no answer, a refused port or a rejected login is a failed result.
 * `load`: the agent loads net-snmp lazily, tests pass a slow loader.
 */
export async function runSnmp(
  target: string,
  opts: SnmpOptions,
  ctx: ProbeContext,
  work: (reader: SnmpReader) => Promise<ProbeResult>,
  load: () => Promise<typeof NetSnmp> = loadSnmp,
): Promise<ProbeResult> {
  const hp = parseEndpoint(target, opts.port);
  if (!hp) return failure('config', `target ${endpointProblem(target, opts.port)}`);
  const family = familyOf(hp.host);
  const bind = bindAddress(ctx.line, family);
  if (!bind.ok) return failure('unreachable', bind.message);
  // Rejects at a socket error or at the deadline: the library would wait for its own timer.
  let stop: (err: unknown) => void = () => {};
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  stopped.catch(() => {});
  const base = {
    port: hp.port,
    dgramModule: connectedDgram((err) => stop(err)),
    // One try per run: the scheduler retries by running again; SNMP's own retries would outlive the deadline.
    retries: 0,
    timeout: ctx.timeoutMs,
    transport: family === 6 ? ('udp6' as const) : ('udp4' as const),
    ...(bind.address ? { sourceAddress: bind.address } : {}),
  };
  return withDeadline(ctx.signal, async (deadline) => {
    snmp = await deadline.race(load());
    let session: NetSnmp.Session;
    try {
      session = openSession(hp.host, opts, base);
    } catch (err) {
      // net-snmp rejects some option combinations synchronously; never throw from a run.
      return failure('config', `cannot open SNMP session (${describeError(err)})`);
    }
    deadline.onAbort(() => stop(ctx.signal.reason));
    const s = session;
    const reader: SnmpReader = {
      walk: (oid) => Promise.race([walk(s, oid), stopped]),
      get: (oids) => Promise.race([get(s, oids), stopped]),
    };
    try {
      return await work(reader);
    } catch (err) {
      return failure(snmpReason(err, ctx.signal), snmpMessage(err, ctx.signal));
    } finally {
      try {
        // Clears the library's per-request timers, then the socket: nothing outlives the run.
        session.cancelRequests(new Error('closed'));
        session.close();
      } catch {
        // already closed
      }
    }
  });
}

type SessionBase = NetSnmp.SessionOptions & NetSnmp.SessionOptionsV3;

function openSession(host: string, opts: SnmpOptions, base: Omit<SessionBase, 'version'>): NetSnmp.Session {
  return opts.version === '3'
    ? snmp.createV3Session(
        host,
        {
          name: opts.user ?? '',
          level: snmp.SecurityLevel[opts.security_level],
          authProtocol: snmp.AuthProtocols[opts.auth_protocol],
          authKey: opts.auth_password ?? '',
          privProtocol: snmp.PrivProtocols[opts.priv_protocol],
          privKey: opts.priv_password ?? '',
        },
        { ...base, version: snmp.Version3 },
      )
    : snmp.createSession(host, opts.community, { ...base, version: snmp.Version2c });
}

/**
 * A dgram module for net-snmp whose socket is connected to the agent on first send. The kernel
 * reports an ICMP port unreachable only on a connected UDP socket (as ECONNREFUSED), so a device
 * that is on but has SNMP disabled fails at once with `refused` instead of waiting for the deadline.
 * Socket errors (refused, DNS) go to `onError` and never reach the process as unhandled events.
 */
function connectedDgram(onError: (err: Error) => void): { createSocket(type: 'udp4' | 'udp6'): UdpSocket } {
  return {
    createSocket(type) {
      const sock = createSocket(type);
      sock.on('error', onError);
      let connected: Promise<void> | undefined;
      const send = sock.send.bind(sock) as (buf: Buffer, offset: number, length: number, cb: (err: Error | null) => void) => void;
      // net-snmp calls send(buf, offset, length, port, address, cb); a connected socket takes no address.
      (sock as unknown as { send: unknown }).send = (
        buf: Buffer,
        offset: number,
        length: number,
        port: number,
        address: string,
        cb: (err: Error | null) => void,
      ): void => {
        // Node hands a failed lookup to the connect callback (with a callback, no 'error' event).
        connected ??= new Promise<void>((resolve, reject) => sock.connect(port, address, (err?: Error) => (err ? reject(err) : resolve())));
        connected.then(
          () => {
            try {
              send(buf, offset, length, cb);
            } catch (err) {
              cb(err as Error); // closed at the deadline while connecting
            }
          },
          (err: unknown) => {
            const error = err instanceof Error ? err : new Error(String(err));
            onError(error);
            cb(error);
          },
        );
      };
      return sock;
    },
  };
}

function walk(session: NetSnmp.Session, oid: string): Promise<Varbind[]> {
  return new Promise((resolve, reject) => {
    const out: Varbind[] = [];
    session.subtree(
      oid,
      20,
      (varbinds) => {
        for (const vb of varbinds) if (!snmp.isVarbindError(vb)) out.push(vb as Varbind);
      },
      (err) => (err ? reject(err) : resolve(out)),
    );
  });
}

function get(session: NetSnmp.Session, oids: readonly string[]): Promise<Varbind[]> {
  return new Promise((resolve, reject) => {
    session.get([...oids], (err, varbinds) => {
      if (err) return reject(err);
      resolve((varbinds ?? []).filter((vb) => !snmp.isVarbindError(vb)) as Varbind[]);
    });
  });
}

/** `<entry>.<column>.<index…>` → [column, index]. */
export function splitOid(oid: string, entry: string): [string, string] {
  const rest = oid.startsWith(entry + '.') ? oid.slice(entry.length + 1) : '';
  const dot = rest.indexOf('.');
  return dot < 0 ? [rest, ''] : [rest.slice(0, dot), rest.slice(dot + 1)];
}

/** By the library's error class and code, never its message text. */
function snmpReason(err: unknown, signal: AbortSignal): Reason {
  if (signal.aborted || err instanceof requestTimedOutError()) return 'timeout';
  if (err instanceof snmp.ResponseInvalidError) {
    const code = (err as { code?: number }).code;
    if (code === snmp.ResponseInvalidCode.EAuthFailure || code === snmp.ResponseInvalidCode.ECouldNotDecrypt) return 'auth';
    if (code === snmp.ResponseInvalidCode.ECommunityNoMatch) return 'auth';
    return 'protocol';
  }
  if (err instanceof snmp.RequestFailedError) return 'protocol';
  return reasonFromError(err, signal);
}

function snmpMessage(err: unknown, signal: AbortSignal): string {
  if (signal.aborted || err instanceof requestTimedOutError()) return 'no SNMP answer before the deadline';
  const name = (err as { name?: unknown } | null)?.name;
  if (err instanceof snmp.ResponseInvalidError) {
    const code = (err as { code?: number }).code;
    const what = code !== undefined ? snmp.ResponseInvalidCode[code] : undefined;
    return `SNMP response rejected (${typeof what === 'string' ? what : 'invalid'})`;
  }
  if (typeof name === 'string' && name.startsWith('Request')) return `SNMP ${name}`;
  return describeError(err, signal);
}
