import { connect as netConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Connection, ConnectionConfiguration } from 'tedious';
import { defineProbe, failure, success, type ProbeResult } from './types.js';
import { dbTlsOptions, lazyDriver, phaseClock, resultExpectation, readTlsFiles, resultProblem } from './db-common.js';
import { mssqlFailure } from './mssql-errors.js';
import { endpointOf, hostPortProblem } from './target.js';
import { withDeadline } from './deadline.js';

/**
 * A SQL Server check with `tedious` (v19): prelogin, TLS, login, the query, close. tedious opens
 * its socket through our connector, so the socket is ours: bound to the line, timed, and
 * destroyed at the deadline whatever step tedious is in.
 */

/** Loaded on first use: an agent without a SQL Server check never pays for the driver. */
const loadDriverOnce = lazyDriver<typeof import('tedious')>(() => import('tedious'));

/** TDS packet type of LOGIN7, the packet that carries the password. */
const TDS_LOGIN7 = 0x10;

const options = z
  .object({
    /** SQL Server login. */
    user: z.string().min(1),
    /** Its password (a secret: also `password_file` or `${ENV}`). Default empty. */
    password: z.string().default(''),
    /** Database to open at login; default the login's default database. */
    database: z.string().min(1).optional(),
    /** The query run as the check (sent as a plain batch). Default `SELECT 1`. */
    query: z.string().min(1).default('SELECT 1'),
    /** Checks on the result: rows of all result sets, value = first column of the first row. */
    expect: resultExpectation.optional(),
    /**
     * TLS: `disable` (default) sends no encryption request (a server that requires it fails with
     * `tls`), `require` encrypts and trusts any certificate, `verify` encrypts and verifies.
     * With TLS asked, a server that does not offer it fails with `tls` before the login is sent.
     */
    tls: dbTlsOptions.default({ mode: 'disable' }),
  })
  .strict();

/** Builds the probe over a driver loader: the agent loads the driver lazily, tests pass a slow one. */
export function createMssqlProbe(loadDriver: () => Promise<typeof import('tedious')>) {
  return defineProbe({
    kind: 'mssql',
    targetHelp: 'host:port',
    targetRequired: true,
    targetProblem: hostPortProblem,
    options,
    metrics: {},
    async run(target, opts, ctx): Promise<ProbeResult> {
      const ep = endpointOf(target, ctx.line);
      if ('failure' in ep) return ep.failure;
      const { hp, bind } = ep;
      const files = readTlsFiles(() => (opts.tls.mode === 'verify' && opts.tls.ca_file ? readFileSync(opts.tls.ca_file) : undefined));
      if ('failure' in files) return files.failure;
      const ca = files.files;
      return withDeadline(ctx.signal, async (deadline) => {
        const { Connection, Request } = await deadline.race(loadDriver());

        const clock = phaseClock();
        const phases = clock.phases;
        const wantTls = opts.tls.mode !== 'disable';
        let socket: Socket | undefined;
        let secured = false;
        let downgraded = false;
        const serverErrors: number[] = [];
        const ms = Math.max(1, ctx.timeoutMs);

        /** tedious calls this instead of connecting itself (with its own connectTimeout signal). */
        const connector = (_opts?: unknown, _lookup?: unknown, signal?: AbortSignal): Promise<Socket> =>
          new Promise((resolve, reject) => {
            const s = (socket = netConnect({ host: hp.host, port: hp.port, localAddress: bind.address, noDelay: true }));
            s.on('error', () => {}); // a late error after we are done must not crash the agent
            s.once('connect', () => {
              clock.lap('connect');
              signal?.removeEventListener('abort', onDriverAbort);
              if (wantTls) guardLogin(s);
              resolve(s);
            });
            s.once('error', reject);
            // Destroyed at our deadline before it connected: settle, so that tedious does not wait on.
            s.once('close', () => reject(Object.assign(new Error('socket closed'), { code: 'ECONNRESET' })));
            const onDriverAbort = (): void => void s.destroy();
            signal?.addEventListener('abort', onDriverAbort, { once: true });
          });
        // tedious sends LOGIN7 in clear when the server answers the prelogin without encryption, even
        // when asked to encrypt: refuse to let the password out unencrypted.
        const guardLogin = (s: Socket): void => {
          const write = s.write.bind(s) as (...args: unknown[]) => boolean;
          s.write = (chunk: unknown, ...rest: unknown[]) => {
            if (!secured && Buffer.isBuffer(chunk) && chunk[0] === TDS_LOGIN7) {
              downgraded = true;
              // With an error, so that tedious stops waiting for the login's answer at once.
              s.destroy(Object.assign(new Error('login would be sent unencrypted'), { code: 'EPROTO' }));
              return false;
            }
            return write(chunk, ...rest);
          };
        };

        const config: ConnectionConfiguration = {
          server: hp.host,
          authentication: { type: 'default', options: { userName: opts.user, password: opts.password } },
          options: {
            port: hp.port,
            ...(opts.database ? { database: opts.database } : {}),
            encrypt: wantTls,
            trustServerCertificate: opts.tls.mode === 'require',
            ...(opts.tls.server_name ? { serverName: opts.tls.server_name } : {}),
            ...(ca ? { cryptoCredentialsDetails: { ca } } : {}),
            connector,
            connectTimeout: ms,
            requestTimeout: ms,
            cancelTimeout: Math.min(ms, 1000),
            // One try per run: tedious would log in again after errors it deems transient (Azure's
            // 40613 "database unavailable", a lone 4060), stretching a failure over several runs' time.
            maxRetriesOnTransientErrors: 0,
            appName: 'centerwatch',
          },
        };
        const conn: Connection = new Connection(config);
        conn.on('errorMessage', (token) => serverErrors.push(token.number));
        conn.on('error', () => {}); // socket errors after login, reported through the request instead
        // The TLS phase holds the prelogin exchange too: tedious reports only the end of the handshake.
        conn.on('secure', () => {
          secured = true;
          clock.lap('tls');
        });

        deadline.onAbort(() => socket?.destroy());
        try {
          await deadline.race(new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve()))));
          // Prelogin + LOGIN7 + tedious' session settings: the server answers the login in one step.
          clock.lap('auth');
          if (wantTls && !secured) return failure('tls', 'server did not encrypt the connection', { phases });
          const result = await deadline.race(
            new Promise<{ rowCount: number; firstValue: unknown }>((resolve, reject) => {
              let rowCount = 0;
              let firstValue: unknown;
              const request = new Request(opts.query, (err) => (err ? reject(err) : resolve({ rowCount, firstValue })));
              request.on('row', (columns) => {
                if (rowCount++ === 0) firstValue = (columns as Array<{ value: unknown }>)[0]?.value;
              });
              conn.execSqlBatch(request);
            }),
          );
          clock.lap('query');
          const problem = resultProblem(result, opts.expect);
          if (problem) return failure('assertion', problem, { phases });
          return success({ phases });
        } catch (err) {
          if (downgraded && !ctx.signal.aborted) return failure('tls', 'server did not offer encryption (login not sent)', { phases });
          const { reason, message } = mssqlFailure(err, serverErrors, ctx.signal);
          return failure(reason, message, { phases });
        } finally {
          conn.close();
          socket?.destroy();
        }
      });
    },
  });
}

export const mssqlProbe = createMssqlProbe(loadDriverOnce);
