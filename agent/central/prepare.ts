/**
 * A config from the province server made into the agent's file: composed with the central section,
 * written beside the running file and loaded there, ready to be renamed over it, or refused.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, formatProblem, type ConfigProblem } from '../../common/config-errors.js';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { composeEnrolledConfig } from './compose.js';
import { stageFile, type StagedFile } from './files.js';
import { centralSchema, type CentralConfig } from './schema.js';

/** A config written beside `file`, loaded: ready to be renamed over it, or refused with its problems. */
export type PreparedConfig = { ok: true; staged: StagedFile; config: AgentConfig } | { ok: false; problems: string[] };

/**
 * Composes the server's rendering with the central section, writes it to a temp file beside `file` and
 * loads it there (relative paths resolve alike). Problems name `file`, not the temp file.
 */
export function prepareConfig(file: string, rendered: string, central: CentralConfig, load: (file: string) => AgentConfig = loadAgentConfig): PreparedConfig {
  let text: string;
  try {
    text = composeEnrolledConfig(rendered, central);
  } catch (err) {
    return { ok: false, problems: [`${basename(file)}: the server's answer is not YAML (${(err as Error).name})`] };
  }
  const staged = stageFile(file, text);
  try {
    return { ok: true, staged, config: load(staged.path) };
  } catch (err) {
    staged.discard();
    const tmp = basename(staged.path);
    const named = (p: ConfigProblem): string => formatProblem({ ...p, file: p.file.endsWith(tmp) ? p.file.slice(0, -tmp.length) + basename(file) : p.file });
    return { ok: false, problems: err instanceof ConfigError ? err.problems.map(named) : [`${basename(file)}: ${(err as Error).message}`] };
  }
}

/**
 * The `central:` section as the file has it (paths relative to it, as enroll wrote them), for the next
 * file; from the loaded config when the file cannot be read back.
 */
export function writtenCentral(file: string, loaded: CentralConfig): CentralConfig {
  try {
    const raw: unknown = parseDocument(readFileSync(file, 'utf8')).toJS();
    const parsed = centralSchema.safeParse((raw as { central?: unknown } | null)?.central);
    if (parsed.success) return parsed.data;
  } catch {
    // fall back to the loaded paths, made relative again
  }
  const rel = (p: string): string => (isAbsolute(p) ? relative(dirname(file), p) : p);
  return { ...loaded, token_file: rel(loaded.token_file), ...(loaded.ca_file ? { ca_file: rel(loaded.ca_file) } : {}) };
}
