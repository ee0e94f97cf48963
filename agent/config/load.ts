import { dirname, isAbsolute, resolve } from 'node:path';
import { loadYamlConfig, parseYamlConfig, type YamlConfigOptions } from '../../common/yaml-config.js';
import { agentConfigSchema, applyDefaults, type AgentConfig } from './schema.js';
import type { ConfigProblem } from '../../common/config-errors.js';
import { AGENT_SECRET_PLACES, literalSecretProblems, resolveSecrets, SECRET_KEYS } from '../../common/secrets.js';
import { PROBE_KINDS } from '../probes/index.js';

/** Receives the config's warnings (a secret written in the file), located like its errors. */
export type OnConfigWarning = (warning: ConfigProblem) => void;

function options(file: string, env: NodeJS.ProcessEnv, onWarning?: OnConfigWarning): YamlConfigOptions<typeof agentConfigSchema> {
  return {
    schema: agentConfigSchema,
    secretKeys: SECRET_KEYS,
    prepare: (doc) => [...literalSecretProblems(doc, AGENT_SECRET_PLACES), ...resolveSecrets(doc, dirname(file), env)],
    ...(onWarning ? { onWarning } : {}),
    unknownVariant: (value) => `unknown kind ${JSON.stringify(value)} (one of: ${PROBE_KINDS.join(', ')})`,
  };
}

/** Reads, resolves secrets in, and validates an agent config file; throws ConfigError listing every problem. */
export function loadAgentConfig(file: string, env: NodeJS.ProcessEnv = process.env, onWarning?: OnConfigWarning): AgentConfig {
  return resolvePaths(applyDefaults(loadYamlConfig(file, options(file, env, onWarning))), file);
}

export function parseAgentConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env, onWarning?: OnConfigWarning): AgentConfig {
  return resolvePaths(applyDefaults(parseYamlConfig(text, file, options(file, env, onWarning))), file);
}

/** Paths in the push section are relative to the config file, wherever the agent was started from. */
function resolvePaths(cfg: AgentConfig, file: string): AgentConfig {
  if (!cfg.push) return cfg;
  const rel = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(file), p));
  const push = {
    ...cfg.push,
    wal: { ...cfg.push.wal, dir: rel(cfg.push.wal.dir) },
    targets: cfg.push.targets.map((t) => ({ ...t, ca_file: t.ca_file && rel(t.ca_file) })),
  };
  return { ...cfg, push };
}
