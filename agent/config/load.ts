import { posix, win32 } from 'node:path';
import type { Document } from 'yaml';
import { loadYamlConfig, parseYamlConfig, type PreProblem, type YamlConfigOptions } from '../../common/yaml-config.js';
import { agentConfigSchema, applyDefaults, type AgentConfig } from './schema.js';
import { formatPath, type ConfigProblem } from '../../common/config-errors.js';
import { AGENT_SECRET_PLACES, literalSecretProblems, resolveSecrets, SECRET_KEYS } from '../../common/secrets.js';
import { PROBE_KINDS } from '../probes/index.js';
import { forPlatform, platformName, type PlatformName } from '../platform/index.js';
import { foreignConfigProblems, unsupportedChecks } from './platform.js';

/** Receives the config's warnings (a secret written in the file), located like its errors. */
export type OnConfigWarning = (warning: ConfigProblem) => void;

/** How the province server validates a profile rendered for an agent (see server/fleet/render.ts). */
export interface RenderedCheck {
  /** Runs first on the parsed document: fills in the profile's variables in place; returns its problems. */
  before: (doc: Document) => PreProblem[];
}

function options(
  file: string,
  env: NodeJS.ProcessEnv,
  onWarning: OnConfigWarning | undefined,
  platform: PlatformName,
  rendered?: RenderedCheck,
): YamlConfigOptions<typeof agentConfigSchema> {
  return {
    schema: agentConfigSchema,
    secretKeys: SECRET_KEYS,
    // A rendered profile is checked where it is rendered, not where it runs: secret files and ${ENV} name
    // the agent's machine, so they are resolved there, not on the server.
    prepare: (doc) => (rendered ? [...rendered.before(doc), ...platformProblems(doc, platform)] : prepare(doc, file, env, platform)),
    ...(onWarning ? { onWarning } : {}),
    unknownVariant: (value) => `unknown kind ${JSON.stringify(value)} (one of: ${PROBE_KINDS.join(', ')})`,
  };
}

/**
 * Problems found before validation: secrets written in the file, secrets that cannot be resolved, and
 * what does not fit the platform. A secret file named by a path for the other platform is said once,
 * as that (not also as unreadable).
 */
function prepare(doc: Document, file: string, env: NodeJS.ProcessEnv, platform: PlatformName): PreProblem[] {
  // Both read the document as written: resolving secrets turns `password_file` into `password`.
  // A file the agent wrote from the province's profile holds the secrets the server sent, owner-only: as
  // meant, so not warned about (their values are still kept out of the logs).
  const literal = doc.has('central') ? [] : literalSecretProblems(doc, AGENT_SECRET_PLACES);
  const foreign = foreignConfigProblems(doc.toJS(), platform);
  const said = new Set(foreign.map((p) => formatPath(p.path)));
  const secrets = resolveSecrets(doc, forPlatform({ linux: posix, win32 }, platform).dirname(file), env).filter((p) => !said.has(formatPath(p.path)));
  return [...literal, ...foreign, ...secrets, ...unsupportedChecks(doc.toJS(), platform)];
}

function platformProblems(doc: Document, platform: PlatformName): PreProblem[] {
  return [...foreignConfigProblems(doc.toJS(), platform), ...unsupportedChecks(doc.toJS(), platform)];
}

/**
 * Reads, resolves secrets in, and validates an agent config file; throws ConfigError listing every problem.
 * `platform` (this process's by default; tests pass the other) decides which paths, line bindings and
 * check kinds fit.
 */
export function loadAgentConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  onWarning?: OnConfigWarning,
  platform: PlatformName = platformName(),
): AgentConfig {
  return resolvePaths(applyDefaults(loadYamlConfig(file, options(file, env, onWarning, platform))), file, platform);
}

export function parseAgentConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  onWarning?: OnConfigWarning,
  platform: PlatformName = platformName(),
  rendered?: RenderedCheck,
): AgentConfig {
  return resolvePaths(applyDefaults(parseYamlConfig(text, file, options(file, env, onWarning, platform, rendered))), file, platform);
}

/**
 * Paths in the push section are relative to the config file, wherever the agent was started from; read
 * with the platform's path rules (a Windows config checked on Linux keeps its drive letters).
 */
function resolvePaths(cfg: AgentConfig, file: string, platform: PlatformName): AgentConfig {
  const path = forPlatform({ linux: posix, win32 }, platform);
  const rel = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(path.dirname(file), p));
  const central = cfg.central && { ...cfg.central, token_file: rel(cfg.central.token_file), ca_file: cfg.central.ca_file && rel(cfg.central.ca_file) };
  const push = cfg.push && {
    ...cfg.push,
    wal: { ...cfg.push.wal, dir: rel(cfg.push.wal.dir) },
    targets: cfg.push.targets.map((t) => ({ ...t, ca_file: t.ca_file && rel(t.ca_file) })),
  };
  return { ...cfg, ...(push ? { push } : {}), ...(central ? { central } : {}) };
}
