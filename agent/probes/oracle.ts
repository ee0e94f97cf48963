import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { defineProbe, failure, success, type ProbeResult } from './types.js';
import { dbTlsOptions, lazyDriver, resultExpectation, readTlsFiles, resultProblem } from './db-common.js';
import { easyConnect, RowCounter, SERVICE_NAME, timeoutSeconds } from './oracle-connect.js';
import { oracleFailure } from './oracle-errors.js';
import { closeAll, watchSockets } from './oracle-sockets.js';
import { endpointOf, hostPortProblem } from './target.js';
import { withDeadline } from './deadline.js';

/**
 * An Oracle Database check with oracledb in thin mode (pure JavaScript, no Oracle client; never
 * initOracleClient): connect to the service, log in, run the query, close. The driver hides its
 * socket and has no deadline once the listener accepted, so the probe watches the sockets the
 * driver opens (oracle-sockets.ts) and destroys them at the deadline and at the end of every run.
 */

/** The part of oracledb's API the probe uses (the package ships no type declarations). */
interface OracleDriver {
  getConnection(attrs: Record<string, unknown>): Promise<OracleConnection>;
  OUT_FORMAT_ARRAY: number;
}
interface OracleConnection {
  callTimeout: number;
  execute(sql: string, binds: unknown[], opts: Record<string, unknown>): Promise<{ resultSet?: OracleResultSet; rowsAffected?: number }>;
  close(): Promise<void>;
}
interface OracleResultSet {
  getRows(n: number): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** Loaded on first use: an agent without an Oracle check never pays for the driver. */
const loadDriverOnce = lazyDriver<OracleDriver>(
  // @ts-expect-error oracledb ships no type declarations: the shape used is OracleDriver above.
  () => import('oracledb'),
);

/** Rows fetched per round trip while counting a result; none are kept. */
const FETCH_BATCH = 100;
/** How long a clean logoff may take before the sockets are cut anyway. */
const CLOSE_GRACE_MS = 500;

const options = z
  .object({
    /** Database user. */
    user: z.string().min(1),
    /** Its password (a secret: also `password_file` or `${ENV}`). */
    password: z.string(),
    /** Service name registered with the listener. Default `XEPDB1` (Oracle XE's first pluggable database). */
    service_name: z.string().regex(SERVICE_NAME, 'is not a service name (letters, digits, _ . $ # -)').default('XEPDB1'),
    /** The query run as the check. Default `SELECT 1 FROM DUAL`. */
    query: z.string().min(1).default('SELECT 1 FROM DUAL'),
    /** Checks on the result: rows = rows returned (or affected), value = first column of the first row. */
    expect: resultExpectation.optional(),
    /**
     * TLS (tcps). The thin driver always verifies the certificate chain: `require` skips only the
     * host name match, `verify` checks both. `ca_file` is handed to the driver as its PEM wallet
     * (`ewallet.pem`: the trusted CAs, with a key); without it Node's bundled CAs are trusted.
     * Default `{ mode: disable }`.
     */
    tls: dbTlsOptions.default({ mode: 'disable' }).superRefine((tls, ctx) => {
      if (tls.server_name !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['server_name'], message: 'is not supported by the oracle probe (the thin driver matches the target host)' });
      }
    }),
  })
  .strict();

/** Builds the probe over a driver loader: the agent loads the driver lazily, tests pass a slow one. */
export function createOracleProbe(loadDriver: () => Promise<OracleDriver>) {
  return defineProbe({
    kind: 'oracle',
    targetHelp: 'host:port',
    targetRequired: true,
    targetProblem: hostPortProblem,
    options,
    metrics: {},
    async run(target, opts, ctx): Promise<ProbeResult> {
      const ep = endpointOf(target, ctx.line);
      if ('failure' in ep) return ep.failure;
      const { hp, bind } = ep;
      const tcps = opts.tls.mode !== 'disable';
      const files = readTlsFiles(() => (tcps && opts.tls.ca_file ? readFileSync(opts.tls.ca_file, 'utf8') : undefined));
      if ('failure' in files) return files.failure;
      const wallet = files.files;
      return withDeadline(ctx.signal, async (deadline) => {
        const oracledb = await deadline.race(loadDriver());

        const start = performance.now();
        const phases: ProbeResult['phases'] = {};
        const seconds = timeoutSeconds(ctx.timeoutMs);
        const { watch, result: connecting } = watchSockets(
          () =>
            oracledb.getConnection({
              user: opts.user,
              password: opts.password,
              connectString: easyConnect(hp.host, hp.port, opts.service_name, tcps),
              connectTimeout: seconds,
              transportConnectTimeout: seconds,
              retryCount: 0,
              ...(tcps ? { sslServerDNMatch: opts.tls.mode === 'verify' } : {}),
              ...(wallet !== undefined ? { walletContent: wallet } : {}),
            }),
          bind.address,
        );
        deadline.onAbort(() => closeAll(watch));
        let conn: OracleConnection | undefined;
        let step: 'connect' | 'query' = 'connect';
        try {
          conn = await deadline.race(connecting);
          // TCP is timed from the socket itself; TLS, the NS handshake and the login are one step to the driver.
          const loggedIn = performance.now();
          if (watch.connectedAt !== undefined) phases.connect = (watch.connectedAt - start) / 1000;
          phases.auth = (loggedIn - (watch.connectedAt ?? start)) / 1000;
          step = 'query';
          conn.callTimeout = Math.max(1, Math.ceil(ctx.timeoutMs - (loggedIn - start)));
          const counter = new RowCounter();
          const result = await deadline.race(conn.execute(opts.query, [], { resultSet: true, outFormat: oracledb.OUT_FORMAT_ARRAY }));
          if (result.resultSet) {
            const rs = result.resultSet;
            try {
              for (let rows = await deadline.race(rs.getRows(FETCH_BATCH)); rows.length > 0; rows = await deadline.race(rs.getRows(FETCH_BATCH))) {
                counter.add(rows);
              }
            } finally {
              await rs.close().catch(() => {});
            }
          } else {
            counter.rowCount = result.rowsAffected ?? 0;
          }
          phases.query = (performance.now() - loggedIn) / 1000;
          const problem = resultProblem(counter, opts.expect);
          if (problem) return failure('assertion', problem, { phases });
          return success({ phases });
        } catch (err) {
          if (phases.connect === undefined && watch.connectedAt !== undefined) phases.connect = (watch.connectedAt - start) / 1000;
          if (watch.bindFailed) return failure('unreachable', `line ${ctx.line?.name ?? ''}: cannot connect from ${bind.address ?? ''}`, { phases });
          const { reason, message } = oracleFailure(err, step, watch.error, ctx.signal);
          return failure(reason, message, { phases });
        } finally {
          if (conn && !ctx.signal.aborted) await closeWithin(conn, CLOSE_GRACE_MS);
          // Whatever state the driver is in, no socket of this run outlives it.
          closeAll(watch);
        }
      });
    },
  });
}

export const oracleProbe = createOracleProbe(loadDriverOnce);

/** Logs off cleanly if the server answers within `ms`; the caller cuts the sockets either way. */
async function closeWithin(conn: OracleConnection, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([conn.close().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
