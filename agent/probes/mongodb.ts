import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { MongoClient, MongoClientOptions } from 'mongodb';
import { defineProbe, failure, success, type ProbeResult } from './types.js';
import { credentialPairProblems, dbTlsOptions, lazyDriver, phaseClock, resultExpectation, readTlsFiles, resultProblem } from './db-common.js';
import { mongoFailure } from './mongodb-errors.js';
import { commandProblem, replyResult } from './mongodb-reply.js';
import { endpointOf, familyOf, hostPortProblem } from './target.js';
import { withDeadline } from './deadline.js';

/**
 * A MongoDB check with the official driver (v6): one direct connection, the configured command,
 * then close. The driver opens two connections to the server — its monitor (hello) and one
 * pooled connection (auth + command) — and both are closed before `run` returns.
 */

/** Loaded on first use: an agent without a MongoDB check never pays for the driver. */
const loadDriverOnce = lazyDriver<typeof import('mongodb')>(() => import('mongodb'));

const options = z
  .object({
    /** User to log in as (SCRAM); no login without one. */
    user: z.string().min(1).optional(),
    /** Password (a secret: also `password_file` or `${ENV}`). */
    password: z.string().optional(),
    /** Database holding the user's credentials. Default `admin`. */
    auth_source: z.string().min(1).default('admin'),
    /** Database the command runs against. Default `admin`. */
    database: z.string().min(1).default('admin'),
    /** The command run as the check, as a JSON object whose first key names it. Default `{ ping: 1 }`. */
    command: z
      .record(z.string(), z.unknown())
      .default({ ping: 1 })
      .superRefine((cmd, ctx) => {
        const problem = commandProblem(cmd);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /**
     * Checks on the reply: a cursor reply (`find`, `aggregate`) has its first batch as rows and the
     * first field of its first document as value; any other reply is one row whose first field is
     * the value (`ok` for `ping`, `n` for `count`).
     */
    expect: resultExpectation.optional(),
    /** TLS. Default `{ mode: disable }`. */
    tls: dbTlsOptions.default({ mode: 'disable' }),
  })
  .strict()
  .superRefine((o, ctx) => credentialPairProblems(o, ctx, true));

/** The driver's TLS options for the check's TLS options (they read `ca_file` here: a bad one is a config error). */
function tlsOptions(tls: z.output<typeof dbTlsOptions>): MongoClientOptions {
  if (tls.mode === 'disable') return { tls: false };
  if (tls.mode === 'require') return { tls: true, tlsAllowInvalidCertificates: true, tlsAllowInvalidHostnames: true };
  return { tls: true, ...(tls.ca_file ? { ca: readFileSync(tls.ca_file) } : {}), ...(tls.server_name ? { servername: tls.server_name } : {}) };
}

/** Builds the probe over a driver loader: the agent loads the driver lazily, tests pass a slow one. */
export function createMongodbProbe(loadDriver: () => Promise<typeof import('mongodb')>) {
  return defineProbe({
    kind: 'mongodb',
    targetHelp: 'host:port',
    targetRequired: true,
    targetProblem: hostPortProblem,
    options,
    metrics: {},
    async run(target, opts, ctx): Promise<ProbeResult> {
      const ep = endpointOf(target, ctx.line);
      if ('failure' in ep) return ep.failure;
      const { hp, bind } = ep;
      const files = readTlsFiles(() => tlsOptions(opts.tls));
      if ('failure' in files) return files.failure;
      const tls = files.files;
      return withDeadline(ctx.signal, async (deadline) => {
        const { MongoClient } = await deadline.race(loadDriver());
        const ms = Math.max(1, ctx.timeoutMs);
        const host = familyOf(hp.host) === 6 ? `[${hp.host}]` : hp.host;
        // Credentials go in the options, never the URL: the driver quotes its URL in some errors.
        const client: MongoClient = new MongoClient(`mongodb://${host}:${hp.port}/`, {
          directConnection: true,
          maxPoolSize: 1,
          minPoolSize: 0,
          retryReads: false,
          retryWrites: false,
          serverSelectionTimeoutMS: ms,
          connectTimeoutMS: ms,
          socketTimeoutMS: ms,
          ...(bind.address ? { localAddress: bind.address } : {}),
          ...(opts.user !== undefined ? { auth: { username: opts.user, password: opts.password ?? '' }, authSource: opts.auth_source } : {}),
          ...tls,
        });
        const clock = phaseClock();
        const phases = clock.phases;
        // Rejects at the deadline, or at the first failed hello: with a direct connection the driver
        // would otherwise retry a refused or broken server until serverSelectionTimeoutMS.
        let stop: (err: unknown) => void = () => {};
        const stopped = new Promise<never>((_, reject) => (stop = reject));
        stopped.catch(() => {});
        deadline.onAbort(() => stop(ctx.signal.reason));
        client.once('serverHeartbeatFailed', (ev) => stop(ev.failure));
        // The monitor's first hello is the end of TCP + TLS + hello: the driver exposes no finer step.
        client.once('serverHeartbeatSucceeded', () => {
          if (phases.connect === undefined) clock.lap('connect');
        });
        try {
          // With credentials, connect() also opens the pooled connection and logs in on it.
          await Promise.race([client.connect(), stopped]);
          if (phases.connect === undefined) clock.lap('connect');
          if (opts.user !== undefined) clock.lap('auth');
          const reply = (await Promise.race([client.db(opts.database).command(opts.command), stopped])) as Record<string, unknown>;
          clock.lap('query');
          const problem = resultProblem(replyResult(reply), opts.expect);
          if (problem) return failure('assertion', problem, { phases });
          return success({ phases });
        } catch (err) {
          const { reason, message } = mongoFailure(err, ctx.signal);
          return failure(reason, message, { phases });
        } finally {
          client.removeAllListeners();
          // Destroys checked-out connections too, so a command the server never answers is cut.
          await client.close(true).catch(() => {});
        }
      });
    },
  });
}

export const mongodbProbe = createMongodbProbe(loadDriverOnce);
