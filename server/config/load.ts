import { dirname, isAbsolute, resolve } from 'node:path';
import { loadYamlConfig } from '../../common/yaml-config.js';
import type { ConfigProblem } from '../../common/config-errors.js';
import { literalSecretProblems, resolveSecrets } from '../../common/secrets.js';
import { NOTIFIER_SECRET_KEYS, NOTIFIERS } from '../notifiers/index.js';
import type { RouteConfig } from './engine-schema.js';
import { serverConfigSchema, type ServerConfig } from './schema.js';

/**
 * Keys holding secrets in the server config: enrolment and API tokens, forward's bearer token and every
 * channel's own (from its definition). Each may be given as `<key>_file` and is never echoed in an error.
 */
export const SERVER_SECRET_KEYS: readonly string[] = [...new Set(['token', 'bearer_token', ...NOTIFIER_SECRET_KEYS])];

/** Secrets (`token_file`, `bearer_token_file`, `${ENV}`) are read only inside tokens and forward entries. */
const SECRET_PLACES = {
  test: (path: readonly PropertyKey[]) =>
    path[0] === 'tokens' || path[0] === 'forward' || (path[0] === 'engine' && (path[1] === 'api_tokens' || (path[1] === 'routes' && path[3] === 'options'))),
  where: 'under tokens, forward, engine.api_tokens and engine.routes[].options',
};

/** Reads and validates a server config; relative paths are taken from the config file's folder. */
export function loadServerConfig(file: string, env: NodeJS.ProcessEnv = process.env, onWarning?: (warning: ConfigProblem) => void): ServerConfig {
  const cfg = loadYamlConfig(file, {
    schema: serverConfigSchema,
    secretKeys: SERVER_SECRET_KEYS,
    prepare: (doc) => [
      ...literalSecretProblems(doc, SECRET_PLACES, SERVER_SECRET_KEYS),
      ...resolveSecrets(doc, dirname(file), env, SECRET_PLACES, SERVER_SECRET_KEYS),
    ],
    ...(onWarning ? { onWarning } : {}),
  });
  const rel = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(file), p));
  return {
    ...cfg,
    data_dir: rel(cfg.data_dir),
    fleet: { ...cfg.fleet, secrets_dir: rel(cfg.fleet.secrets_dir) },
    tls: cfg.tls && { cert_file: rel(cfg.tls.cert_file), key_file: rel(cfg.tls.key_file) },
    forward: cfg.forward.map((f) => ({ ...f, ca_file: f.ca_file && rel(f.ca_file) })),
    engine: { ...cfg.engine, routes: cfg.engine.routes.map((r) => withAbsolutePaths(r, rel)) },
  };
}

/** A route whose channel declares path options (`pathKeys`), with those paths made absolute. */
function withAbsolutePaths(r: RouteConfig, rel: (p: string) => string): RouteConfig {
  const options: Record<string, unknown> = { ...r.options };
  for (const key of NOTIFIERS[r.channel].pathKeys ?? []) {
    const value = options[key];
    if (typeof value === 'string' && value !== '') options[key] = rel(value);
  }
  return { ...r, options } as RouteConfig;
}
