import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatPath, locate, type ConfigProblem } from '../../common/config-errors.js';
import { agentConfigSchema, applyDefaults, type AgentConfig } from './schema.js';
import { resolveSecrets, SECRET_KEYS } from './secrets.js';
import { PROBE_KINDS } from '../probes/index.js';

/** Reads, resolves secrets in, and validates an agent config file; throws ConfigError listing every problem. */
export function loadAgentConfig(file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new ConfigError([{ file: displayName(file), line: 0, column: 0, path: '', message: `cannot read config file (${code})` }]);
  }
  return parseAgentConfig(text, file, env);
}

export function parseAgentConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const name = displayName(file);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return { file: name, line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const problems: ConfigProblem[] = resolveSecrets(doc, dirname(file), env).map((p) => ({
    file: name,
    ...locate(doc, lc, p.path, p.atKey),
    path: formatPath(p.path),
    message: p.message,
  }));
  const result = agentConfigSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    // A field whose secret could not be resolved has been reported already; its knock-on
    // schema errors (empty value, unknown `<name>_file` key) would only add noise.
    const reported = new Set(problems.map((p) => p.path));
    const more = result.error.issues.flatMap((issue) => toProblems(issue, doc, lc, name));
    problems.push(...more.filter((p) => !reported.has(p.path)));
  }
  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ConfigError(problems);
  }
  return applyDefaults(result.data);
}

function toProblems(issue: z.core.$ZodIssue, doc: ReturnType<typeof parseDocument>, lc: LineCounter, file: string): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { file, ...locate(doc, lc, path, true), path: formatPath(path), message: `unknown key "${key}"` };
    });
  }
  const path = issue.path;
  // Never echo a secret's value into a message, even a wrongly typed one.
  const secret = (SECRET_KEYS as readonly PropertyKey[]).includes(path[path.length - 1] ?? '');
  const value = secret ? HIDDEN : doc.getIn(path);
  return [{ file, ...locate(doc, lc, path), path: formatPath(path), message: messageOf(issue, value) }];
}

/** Short messages in our words rather than zod's defaults. */
function messageOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'required';
      return `expected ${issue.expected}, got ${describe(value)}`;
    case 'invalid_union':
      if ((issue as { note?: string }).note === 'No matching discriminator') {
        return `unknown kind ${JSON.stringify(value)} (one of: ${PROBE_KINDS.join(', ')})`;
      }
      return issue.message;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`;
    default:
      return issue.message;
  }
}

const HIDDEN = Symbol('hidden secret');

function describe(value: unknown): string {
  if (value === HIDDEN) return 'a value not shown (secret)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
