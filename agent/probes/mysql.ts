import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import type { Connection } from 'mysql2';
import { z } from 'zod';
import { defineProbe, failure, success, type Observation, type ProbeResult } from './types.js';
import { dbTlsOptions, lazyDriver, nodeTlsOptions, phaseClock, REPLICATION_METRICS, resultExpectation, readTlsFiles, resultProblem } from './db-common.js';
import { mysqlMessage, mysqlReason, serverError, type MysqlStep } from './mysql-errors.js';
import { ER_PARSE_ERROR, queryResult, REPLICA_STATUS_QUERIES, replicaStatus } from './mysql-results.js';
import { endpointOf, hostPortProblem } from './target.js';
import { withDeadline, type Deadline } from './deadline.js';

/**
 * A MySQL / MariaDB check through mysql2. The probe opens the TCP connection itself and hands it
 * to the driver (its `stream` option): so the socket binds to the line, the connect is timed apart,
 * and at the deadline the probe destroys what it owns. mysql2 has no hook between the server's
 * greeting and the login; the TLS upgrade inside the handshake is timed by wrapping the driver's
 * startTLS (see watchTls), the rest of the handshake counts as `auth`.
 */

/** How long to wait, at most, for the server to close after COM_QUIT before cutting the connection. */
const QUIT_GRACE_MS = 250;

/** The driver, loaded on the first mysql check only (the agent's memory budget). */
const loadDriverOnce = lazyDriver<typeof import('mysql2')>(() => import('mysql2'));

const options = z
  .object({
    /** User to log in as. Default `root`. */
    user: z.string().min(1).default('root'),
    /** Password (a secret: also `password_file` or `${ENV}`). Default none. */
    password: z.string().optional(),
    /** Database to open at login; a missing one fails with `database_missing`. Default none. */
    database: z.string().min(1).optional(),
    /** The query run as the check. Default `SELECT 1`. */
    query: z.string().min(1).default('SELECT 1'),
    /** Checks on the query's result (rows of a result set, or affected rows of a statement). */
    expect: resultExpectation.optional(),
    /** TLS, negotiated inside the MySQL handshake. Default `{ mode: disable }`. */
    tls: dbTlsOptions.default({ mode: 'disable' }),
    /**
     * Also report replication: `is_replica` (0/1) and `replication_lag_seconds` (Seconds_Behind_Master).
     * Needs the REPLICA MONITOR / REPLICATION CLIENT privilege. Default false.
     */
    replication: z.boolean().default(false),
  })
  .strict();

/** Builds the probe over a driver loader: the agent loads the driver lazily, tests pass a slow one. */
export function createMysqlProbe(loadDriver: () => Promise<typeof import('mysql2')>) {
  return defineProbe({
    kind: 'mysql',
    targetHelp: 'host:port',
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
      const tlsOpts = tls.files;
      return withDeadline(ctx.signal, async (deadline) => {
        const mysql = await deadline.race(loadDriver().catch(() => undefined));
        if (!mysql) return failure('internal_error', 'the mysql2 driver cannot be loaded');

        const clock = phaseClock();
        const phases = clock.phases;
        const observations: Observation[] = [];
        let step: MysqlStep = 'connect';
        let tlsCode: string | undefined;
        const raw = netConnect({ host: hp.host, port: hp.port, localAddress: bind.address, noDelay: true });
        // Errors reach the step that waits; unheard, a late ECONNRESET would crash the agent.
        raw.on('error', () => {});
        let conn: Connection | undefined;
        try {
          await deadline.race(once(raw, 'connect'));
          clock.lap('connect');
          step = 'auth';
          conn = mysql.createConnection({
            stream: raw,
            host: hp.host,
            port: hp.port,
            user: opts.user,
            ...(opts.password !== undefined ? { password: opts.password } : {}),
            ...(opts.database !== undefined ? { database: opts.database } : {}),
            ...(tlsOpts ? { ssl: { rejectUnauthorized: tlsOpts.rejectUnauthorized, ...(tlsOpts.ca ? { ca: tlsOpts.ca } : {}) } } : {}),
            // The deadline is ctx.signal's; the driver's own 10 s connect timer would only race it.
            connectTimeout: 0,
            rowsAsArray: true,
            dateStrings: true,
            supportBigNumbers: true,
            bigNumberStrings: true,
            // The check never prepares statements: without this each connection allocates a 16000-slot cache.
            maxPreparedStatements: 1,
          });
          // The driver emits fatal errors on the connection too; the step waiting on it hears them.
          conn.on('error', () => {});
          if (tlsOpts) {
            const verifyName = tlsOpts.rejectUnauthorized ? (opts.tls.server_name ?? hp.host) : undefined;
            watchTls(conn, verifyName, {
              started: () => {
                clock.lap('auth');
                step = 'tls';
              },
              finished: (code) => {
                tlsCode = code;
                clock.lap('tls');
                step = 'auth';
              },
            });
          }
          await deadline.race(once(conn, 'connect'));
          clock.lap('auth');

          step = 'query';
          const { rows, fields } = await deadline.race(query(conn, opts.query, true));
          clock.lap('query');
          const problem = resultProblem(queryResult(rows, fields), opts.expect);

          let note: string | undefined;
          if (opts.replication) {
            step = 'replication';
            const status = replicaStatus(await replicaRows(conn, deadline));
            clock.lap('query');
            observations.push({ metric: 'is_replica', value: status.isReplica ? 1 : 0 });
            if (status.lagSeconds !== undefined) observations.push({ metric: 'replication_lag_seconds', value: status.lagSeconds });
            if (status.stoppedChannels > 0) note = `replica not replicating on ${status.stoppedChannels} channel(s): lag unknown`;
          }
          await deadline.race(quit(conn, raw)).catch(() => {});
          const extra = { phases, ...(observations.length > 0 ? { observations } : {}) };
          if (problem) return failure('assertion', problem, extra);
          return success({ ...extra, ...(note ? { message: note } : {}) });
        } catch (err) {
          return failure(mysqlReason(err, step, ctx.signal), mysqlMessage(err, step, ctx.signal, tlsCode), { phases });
        } finally {
          // The driver's TLS socket (if any) first: destroying the socket under a live TLSSocket crashes Node 20.
          const stream = (conn as unknown as { stream?: Socket } | undefined)?.stream;
          if (stream && stream !== raw) stream.destroy();
          raw.destroy();
        }
      });
    },
  });
}

export const mysqlProbe = createMysqlProbe(loadDriverOnce);

/**
 * Times the TLS upgrade and checks the certificate's name. mysql2 checks names only for a host
 * name target and never against a configured server_name, so its own check stays off and the
 * probe checks `verifyName` (server_name, else the target, IP or name) before the password is sent.
 * startTLS is the driver's internal method; without it, only its own checks apply.
 */
function watchTls(conn: Connection, verifyName: string | undefined, on: { started(): void; finished(code?: string): void }): void {
  const c = conn as unknown as { startTLS?: (onSecure: (err?: Error) => void) => void; stream: TLSSocket; config: { ssl?: { verifyIdentity?: boolean } } };
  const original = c.startTLS;
  if (typeof original !== 'function') {
    if (verifyName !== undefined && c.config.ssl) c.config.ssl.verifyIdentity = true;
    return;
  }
  c.startTLS = function (onSecure) {
    on.started();
    original.call(this, (err?: Error) => {
      let failed = err;
      if (!failed && verifyName !== undefined) failed = checkServerIdentity(verifyName, c.stream.getPeerCertificate());
      // The driver replaces the TLS library's code with its own: keep it for the message.
      const code = (failed as { code?: unknown } | undefined)?.code;
      on.finished(typeof code === 'string' ? code : failed ? 'error' : undefined);
      onSecure(failed);
    });
  };
}

/** Runs one statement; the caller races it with the deadline (and then destroys the connection). */
function query(conn: Connection, sql: string, rowsAsArray: boolean): Promise<{ rows: unknown; fields: unknown }> {
  return new Promise((resolve, reject) => {
    conn.query({ sql, rowsAsArray }, (err: unknown, rows: unknown, fields: unknown) => (err ? reject(err as Error) : resolve({ rows, fields })));
  });
}

/** The rows of the first replica status statement the server knows (column names as keys). */
async function replicaRows(conn: Connection, deadline: Deadline): Promise<Array<Record<string, unknown>>> {
  let last: unknown;
  for (const sql of REPLICA_STATUS_QUERIES) {
    try {
      const { rows } = await deadline.race(query(conn, sql, false));
      return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
    } catch (err) {
      if (serverError(err)?.errno !== ER_PARSE_ERROR) throw err;
      last = err;
    }
  }
  throw last;
}

/**
 * Sends COM_QUIT, so the server counts a clean quit rather than an aborted client, and waits
 * briefly for it to close. Never fails: the check's answer is already known.
 */
function quit(conn: Connection, raw: Socket): Promise<void> {
  if (raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      raw.off('close', finish);
      resolve();
    };
    const timer = setTimeout(finish, QUIT_GRACE_MS);
    raw.once('close', finish);
    conn.end();
  });
}
