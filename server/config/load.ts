import { dirname, isAbsolute, resolve } from 'node:path';
import { loadYamlConfig } from '../../common/yaml-config.js';
import { resolveSecrets, SECRET_KEYS } from '../../agent/config/secrets.js';
import { serverConfigSchema, type ServerConfig } from './schema.js';

/** Secrets (`token_file`, `bearer_token_file`, `${ENV}`) are read only inside tokens and forward entries. */
const SECRET_PLACES = {
  test: (path: readonly PropertyKey[]) =>
    path[0] === 'tokens' || path[0] === 'forward' || (path[0] === 'engine' && (path[1] === 'api_tokens' || (path[1] === 'routes' && path[3] === 'options'))),
  where: 'under tokens, forward, engine.api_tokens and engine.routes[].options',
};

/** Reads and validates a server config; relative paths are taken from the config file's folder. */
export function loadServerConfig(file: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const cfg = loadYamlConfig(file, { schema: serverConfigSchema, secretKeys: SECRET_KEYS, prepare: (doc) => resolveSecrets(doc, dirname(file), env, SECRET_PLACES) });
  const rel = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(file), p));
  return {
    ...cfg,
    data_dir: rel(cfg.data_dir),
    tls: cfg.tls && { cert_file: rel(cfg.tls.cert_file), key_file: rel(cfg.tls.key_file) },
    forward: cfg.forward.map((f) => ({ ...f, ca_file: f.ca_file && rel(f.ca_file) })),
    engine: {
      ...cfg.engine,
      routes: cfg.engine.routes.map((r) => (r.channel === 'email' && r.options.ca_file ? { ...r, options: { ...r.options, ca_file: rel(r.options.ca_file) } } : r)),
    },
  };
}
