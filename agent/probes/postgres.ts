import { Socket, type SocketConnectOpts } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { z } from 'zod';
import type { Client, ClientConfig, CustomTypesConfig, QueryArrayResult } from 'pg';
import { defineProbe, failure, success, type Observation, type ProbeResult } from './types.js';
import { dbTlsOptions, nodeTlsOptions, phaseClock, REPLICATION_METRICS, resultExpectation, readTlsFiles, resultProblem } from './db-common.js';
import { endpointOf, hostPortProblem } from './target.js';
import { withDeadline } from './deadline.js';
import { pgMessage, pgReason, type PgStage } from './postgres-errors.js';
import { REPLICATION_SQL, replicationStatus } from './postgres-replication.js';

const options = z
  .object({
    /** Role to log in as. Default `postgres`. */
    user: z.string().min(1).default('postgres'),
    /** Password (a secret; `password_file` and `${ENV}` are resolved by the config loader). Default none. */
    password: z.string().optional(),
    /** Database to connect to. Default `postgres`. */
    database: z.string().min(1).default('postgres'),
    /** Query to run once logged in; its first row and column feed `expect`. Default `SELECT 1`. */
    query: z.string().min(1).default('SELECT 1'),
    /** Checks on the query's result; a result that misses them fails with `assertion`. Default none. */
    expect: resultExpectation.optional(),
    /** TLS to the server. Default `{ mode: disable }`. */
    tls: dbTlsOptions.default({ mode: 'disable' }),
    /** `application_name` the session shows in pg_stat_activity. Default `centerwatch`. */
    application_name: z.string().max(63).default('centerwatch'),
    /** Also report whether the server is a standby and, if so, its replay lag. Default false. */
    replication: z.boolean().default(false),
  })
  .strict();

type PgModule = typeof import('pg');
let driver: Promise<PgModule> | undefined;
/** Loaded on the first run of a postgres check only: the agent without one never pays for `pg`. */
function loadDriverOnce(): Promise<PgModule> {
  driver ??= (async () => {
    // On load, pg asks whether it runs in Cloudflare Workers: by navigator.userAgent, and where
    // there is no navigator (Node 20) by constructing a fetch Response, which loads undici: 13 MiB
    // resident of the agent's 60 for nothing. A navigator that says Node while it loads avoids that.
    const g = globalThis as { navigator?: unknown };
    const shim = g.navigator === undefined;
    if (shim) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Node.js' }, configurable: true, writable: true });
    try {
      return await import('pg');
    } finally {
      if (shim) delete g.navigator;
    }
  })();
  return driver;
}

/** Values as the server's text (no Date or JSON parsing), booleans spelt `true`/`false` for `expect`. */
const TEXT_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number) => (oid === 16 ? (v: string) => (v === 't' ? 'true' : 'false') : (v: string) => v)) as CustomTypesConfig['getTypeParser'],
};

/** Builds the probe over a driver loader: the agent loads the driver lazily, tests pass a slow one. */
export function createPostgresProbe(loadDriver: () => Promise<PgModule>) {
  return defineProbe({
    kind: 'postgres',
    targetHelp: 'host:port of the PostgreSQL server',
    targetRequired: true,
    targetProblem: hostPortProblem,
    options,
    metrics: REPLICATION_METRICS,
    async run(target, opts, ctx): Promise<ProbeResult> {
      const ep = endpointOf(target, ctx.line);
      if ('failure' in ep) return ep.failure;
      const { hp, bind } = ep;
      const tls = readTlsFiles(() => nodeTlsOptions(opts.tls, hp.host));
      if ('failure' in tls) return tls.failure;
      const ssl = tls.files;
      if (ssl && opts.tls.mode === 'verify') {
        // pg replaces `servername` by the target host for a named target, so the name to verify is
        // given here instead: `server_name` when set, else the target host (IP names for an IP).
        const name = opts.tls.server_name ?? hp.host;
        Object.assign(ssl, { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert) });
      }
      return withDeadline(ctx.signal, async (deadline) => {
        const { Client, DatabaseError } = await deadline.race(loadDriver());
        const signal = ctx.signal;
        const clock = phaseClock();
        let stage: PgStage = 'connect';
        let tlsRefused = false;
        let peerClosed = false;
        let closing = false;

        // Our own socket, so that it binds to the line and can be destroyed at the deadline whatever
        // state the driver is in (pg has no localAddress option and no abort).
        const raw = new Socket();
        raw.on('error', () => {}); // reported through the driver; unheard, a late reset would crash the agent
        const plainConnect = raw.connect.bind(raw) as (o: SocketConnectOpts) => Socket;
        (raw as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) =>
          plainConnect({ port, host, ...(bind.address ? { localAddress: bind.address } : {}) });
        raw.once('lookup', () => clock.lap('resolve'));
        raw.once('connect', () => {
          clock.lap('connect');
          stage = ssl ? 'tls' : 'auth';
        });
        // The answer to the SSLRequest is one byte: `S` to go on with TLS, `N` when the server has none.
        if (ssl) raw.once('data', (b: Buffer) => (tlsRefused = b[0] === 0x4e));

        const config: ClientConfig = {
          host: hp.host,
          port: hp.port,
          user: opts.user,
          database: opts.database,
          // A function: the driver never falls back to PGPASSWORD or ~/.pgpass, and '' makes a
          // password request fail as a login problem.
          password: () => opts.password ?? '',
          application_name: opts.application_name,
          ssl: ssl ?? false,
          stream: () => raw,
          types: TEXT_TYPES,
        };
        const client: Client = new Client(config);
        client.on('error', () => {}); // a connection lost after the run is already reported or moot
        const con = (client as unknown as { connection: { stream: Socket; on(e: string, f: () => void): void } }).connection;
        let secure: TLSSocket | undefined;
        con.on('sslconnect', () => {
          secure = con.stream as TLSSocket;
          secure.on('error', () => {});
          secure.once('secureConnect', () => {
            clock.lap('tls');
            stage = 'auth';
          });
        });
        con.on('end', () => (peerClosed ||= !closing));

        const destroy = (): void => {
          closing = true;
          // TLS socket first: destroying the socket under a live TLSSocket crashes Node 20.
          secure?.destroy();
          raw.destroy();
        };
        deadline.onAbort(destroy);

        let connected = false;
        const observations: Observation[] = [];
        try {
          await deadline.race(client.connect());
          connected = true;
          clock.lap('auth');
          stage = 'query';
          const result = lastResult(await deadline.race(client.query<unknown[]>({ text: opts.query, rowMode: 'array' })));
          clock.lap('query');
          if (opts.replication) {
            stage = 'replication';
            const rep = lastResult(await deadline.race(client.query<unknown[]>({ text: REPLICATION_SQL, rowMode: 'array' })));
            const status = replicationStatus(rep.rows[0]);
            if (!status) return failure('protocol', 'replication status query returned an unexpected row', { phases: clock.phases });
            observations.push(...status.observations);
            if (status.note) ctx.log.debug('postgres replication lag not reported', { note: status.note });
          }
          const rowCount = result.fields.length > 0 ? result.rows.length : (result.rowCount ?? 0);
          const problem = resultProblem({ rowCount, firstValue: result.rows[0]?.[0] }, opts.expect);
          const extra = { phases: clock.phases, ...(observations.length ? { observations } : {}) };
          return problem ? failure('assertion', problem, extra) : success(extra);
        } catch (err) {
          const e = err as { code?: unknown } | null;
          const isDb = err instanceof DatabaseError;
          const f = {
            stage,
            sqlstate: isDb ? (err.code ?? 'XX000') : undefined,
            code: !isDb && typeof e?.code === 'string' ? e.code : undefined,
            tlsRefused,
            peerClosed,
            passwordSet: opts.password !== undefined,
            database: opts.database,
          };
          // The time spent in the step that failed or hung, so the phases show where it stopped.
          if (stage !== 'replication') clock.lap(stage);
          const wasAborted = signal.aborted;
          return failure(pgReason(f, wasAborted), pgMessage(f, wasAborted, err), { phases: clock.phases });
        } finally {
          if (connected && !signal.aborted) {
            closing = true;
            // Terminate, so the server does not log every probe as a client that vanished.
            await deadline.race(client.end()).catch(() => {});
          }
          destroy();
        }
      });
    },
  });
}

export const postgresProbe = createPostgresProbe(loadDriverOnce);

/** A query of several statements gives one result each; the check looks at the last. */
function lastResult(r: QueryArrayResult<unknown[]> | QueryArrayResult<unknown[]>[]): QueryArrayResult<unknown[]> {
  return Array.isArray(r) ? r[r.length - 1]! : r;
}
