import { createHash } from 'node:crypto';
import { z } from 'zod';
import { duration, identifier } from '../../common/zod-helpers.js';
import { byteSize } from '../../common/byte-size.js';
import { engineConfigSchema } from './engine-schema.js';
import { outsideInConfigSchema } from './outside-in-schema.js';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'must be host:port');

/**
 * An enrolment token. Only its SHA-256 is kept in memory; give `sha256` (hex, what
 * `centerwatch-server token` prints), or the token itself through `token_file` / `token`.
 */
const token = z
  .object({
    /** Names the token in logs and metrics (never the token). */
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, "_", ".", ":" or "-", at most 128'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
      .optional(),
    token: z.string().min(16, 'at least 16 characters').optional(),
    /** Still here only when the file could not be read: that problem is reported already. */
    token_file: z.unknown().optional(),
    province: identifier,
    center: identifier,
    /** Set: a per-agent token, the `agent` label is this. Absent: a per-center token; the request's `agent` label names the agent. */
    agent: identifier.optional(),
  })
  .strict()
  .refine((t) => t.token_file !== undefined || (t.sha256 === undefined) !== (t.token === undefined), {
    error: 'set exactly one of "sha256" or "token"/"token_file"',
  })
  .transform(({ token: secret, token_file: _unread, sha256, ...rest }) => ({
    ...rest,
    sha256:
      sha256 ??
      createHash('sha256')
        .update(secret ?? '')
        .digest('hex'),
  }));

const count = (fallback: number) => z.number().int('must be a whole number').positive('must be more than 0').default(fallback);

/** Bounds on one request and one agent; answered with 413/400/429, never with a crash. */
const limits = z
  .object({
    /** Compressed body. Default 4 MiB. */
    max_compressed_bytes: byteSize.default(4 * 2 ** 20),
    /** Body after snappy. Default 32 MiB. */
    max_uncompressed_bytes: byteSize.default(32 * 2 ** 20),
    /** Default 10000 (a backlog batch of an agent holds ~150). */
    max_series_per_request: count(10_000),
    /** Default 30. */
    max_labels_per_series: count(30),
    /** Default 1000 (a replayed backlog carries many samples per series). */
    max_samples_per_series: count(1000),
    /** Default 128. */
    max_label_name_bytes: count(128),
    /** Default 1024. */
    max_label_value_bytes: count(1024),
    /** Distinct series one agent may have; more → 429. Default 5000. */
    max_series_per_agent: count(5000),
    /** A series not updated for this long is forgotten (and no longer counts toward the limit). Default 1h. */
    series_ttl: duration.default(3600_000),
    /**
     * A sample stamped further ahead of the server's clock is dropped from its request (the rest is
     * accepted): one far-future sample would make upstreams refuse every center's current samples. Default 10m.
     */
    sample_max_future: duration.default(600_000),
    /** A sample older than this is dropped from its request. Default 73h: the agent's WAL keeps 72h of backlog. */
    sample_max_age: duration.default(73 * 3600_000),
    /**
     * Agents of one center. Past it, a new agent named through a per-center token gets 429 until one of the
     * center's agents has been silent for series_ttl (agents with a token of their own are never refused). Default 64.
     */
    max_agents_per_center: count(64),
    /**
     * Distinct series of one center across its agents; more → 429. Default 20000: a large center runs a
     * dozen PCs × ~150 series (~2,000), so this leaves ten times that, while 64 agents × max_series_per_agent
     * (320,000 series, ~90 MiB) would let one leaked per-center token fill the server's memory.
     */
    max_series_per_center: count(20_000),
  })
  .strict();

const forward = z
  .object({
    name: identifier,
    /** A remote_write URL: Prometheus (`/api/v1/write`, with --web.enable-remote-write-receiver), VictoriaMetrics, Mimir. */
    url: z
      .url({ protocol: /^https?$/ })
      .refine((u) => !new URL(u).username && !new URL(u).password, { error: 'credentials do not belong in the URL; use bearer_token_file' }),
    bearer_token: z.string().optional(),
    /** PEM CA bundle to trust (a private CA). */
    ca_file: z.string().optional(),
    /** Default 10s. */
    timeout: duration.default(10_000),
  })
  .strict();

/** The forwarding queue on disk, shared by every upstream (one cursor each). */
const forwardWal = z
  .object({
    /** Default 1 GiB. */
    max_size: byteSize.default(2 ** 30),
    /** Default 72h. */
    max_age: duration.default(72 * 3600_000),
    /** `interval` (default) acknowledges a push before its fsync: a power cut of the server may lose up to a second. */
    fsync: z.enum(['always', 'interval', 'never']).default('interval'),
  })
  .strict();

export const serverConfigSchema = z
  .object({
    /** host:port of the receiver, /metrics and /healthz. Default 127.0.0.1:9480. */
    listen: hostPort.default('127.0.0.1:9480'),
    /** HTTPS with this certificate and key; without it, run behind a TLS proxy. */
    tls: z.object({ cert_file: z.string(), key_file: z.string() }).strict().optional(),
    /** WALs and state; relative to the config file's folder. Default data/server. */
    data_dir: z.string().default('data/server'),
    log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    tokens: z.array(token).default([]),
    limits: limits.prefault({}),
    /**
     * A secret written in the file itself (rather than as `<key>_file` or `${ENV}`): `warn` (default) says
     * so in `--check-config` and the log; `refuse` makes it an error (for machines whose config files are
     * copied around, where secrets must live in files of their own).
     */
    literal_secrets: z.enum(['warn', 'refuse']).default('warn'),
    forward: z.array(forward).default([]),
    forward_wal: forwardWal.prefault({}),
    engine: engineConfigSchema.prefault({}),
    /**
     * Outside-in checks: the server pings (and optionally connects to) each center's public addresses per
     * line, the inventory lines' `public:` entries that are single addresses (prefixes are not probed),
     * so a power cut (agent and every address silent) is told apart from a cut fiber (agent heard over
     * 4G, the fiber's address silent). Results reach the engine as `outside-in:<line>` checks (impact info).
     */
    outside_in: outsideInConfigSchema.prefault({}),
    /** Enrolment with one-time codes, central config profiles and the fleet view. */
    fleet: z
      .object({
        /** The profile an agent gets when neither its code nor its center names one. */
        default_profile: identifier.optional(),
        /** How often enrolled agents fetch their config. Default 5m. */
        fetch_interval: duration.default(5 * 60_000),
        /** How long a new enrolment code lives unless `--expires` says otherwise. Default 72h. */
        code_ttl: duration.default(72 * 3600_000),
        /** Province-wide profile variables (`{{ vars.his_url }}`); a center's and an agent's own override them. */
        vars: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_"'), z.string().max(2000)).default({}),
        /**
         * Secrets for profiles (`{{ secret.his_db_password }}`): the file `<secrets_dir>/<center>/<name>` if it
         * exists, else `<secrets_dir>/<name>`. Relative to the config file's folder. Only an agent whose
         * rendered profile names a secret receives it.
         */
        secrets_dir: z.string().default('fleet-secrets'),
        /**
         * Enrolment sends a code and returns a token: over plain HTTP it is accepted only from loopback
         * addresses, unless this is set because a TLS proxy in front of the server terminates HTTPS.
         */
        behind_tls_proxy: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The readiness page. */
    web: z
      .object({
        /** Require a login (HTTP Basic; use HTTPS) for the page and the API's reads. Off by default. */
        login: z
          .object({
            realm: z.string().max(100).default('centerwatch'),
            users: z
              .array(
                z
                  .object({
                    name: z
                      .string()
                      .min(1)
                      .max(64)
                      .regex(/^[^:]+$/, 'no ":"'),
                    password_hash: z.string().regex(/^scrypt\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'make it with `centerwatch-server password`'),
                  })
                  .strict(),
              )
              .min(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.tokens.forEach((t, i) => {
      if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'id'], message: `duplicate token id "${t.id}" (also tokens[${seen.get(t.id)}])` });
      seen.set(t.id, i);
    });
    const hashes = new Map<string, number>();
    cfg.tokens.forEach((t, i) => {
      if (hashes.has(t.sha256)) ctx.addIssue({ code: 'custom', path: ['tokens', i], message: `same token as tokens[${hashes.get(t.sha256)}]` });
      hashes.set(t.sha256, i);
    });
    const names = new Set<string>();
    cfg.forward.forEach((f, i) => {
      if (names.has(f.name)) ctx.addIssue({ code: 'custom', path: ['forward', i, 'name'], message: `duplicate forward name "${f.name}"` });
      names.add(f.name);
    });
  });

export type ServerConfig = z.output<typeof serverConfigSchema>;
export type TokenConfig = ServerConfig['tokens'][number];
export type Limits = ServerConfig['limits'];
export type ForwardConfig = ServerConfig['forward'][number];
