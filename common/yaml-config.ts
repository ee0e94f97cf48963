import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatPath, locate, type ConfigProblem } from './config-errors.js';
import { placeholderProblems } from './placeholders.js';

/** A problem found before validation (e.g. an unresolved secret), located by field path. */
export interface PreProblem {
  path: PropertyKey[];
  atKey: boolean;
  message: string;
  /** Told to `onWarning`, not refused. */
  warning?: boolean;
}

export interface YamlConfigOptions<S extends z.ZodType> {
  schema: S;
  /** Field names whose values are never echoed in a message. */
  secretKeys: readonly string[];
  /** Runs on the parsed document before validation (secret resolution); returns its problems. */
  prepare?: (doc: Document) => PreProblem[];
  /** Receives what `prepare` said as warnings, located like errors (`--check-config` prints them). */
  onWarning?: (warning: ConfigProblem) => void;
  /** Message for a failed discriminated union (e.g. an unknown check kind). */
  unknownVariant?: (value: unknown) => string;
}

/** Reads a YAML config file and validates it; throws ConfigError listing every problem, each at file:line:column. */
export function loadYamlConfig<S extends z.ZodType>(file: string, options: YamlConfigOptions<S>): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new ConfigError([{ file: displayName(file), line: 0, column: 0, path: '', message: `cannot read config file (${code})` }]);
  }
  return parseYamlConfig(text, file, options);
}

export function parseYamlConfig<S extends z.ZodType>(text: string, file: string, options: YamlConfigOptions<S>): z.output<S> {
  const name = displayName(file);
  const lc = new LineCounter();
  // merge: YAML merge keys (`<<: *defaults`), which people use to share check options.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return { file: name, line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const located = (p: PreProblem): ConfigProblem => ({ file: name, ...locate(doc, lc, p.path, p.atKey), path: formatPath(p.path), message: p.message });
  const pre = [...placeholderProblems(doc), ...(options.prepare?.(doc) ?? [])];
  for (const w of pre.filter((p) => p.warning)) options.onWarning?.(located(w));
  const problems: ConfigProblem[] = pre.filter((p) => !p.warning).map(located);
  const result = options.schema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    // A field whose secret could not be resolved has been reported already; its knock-on
    // schema errors (empty value, unknown `<name>_file` key) would only add noise.
    const reported = new Set(problems.map((p) => p.path));
    const more = result.error.issues.flatMap((issue) => toProblems(issue, doc, lc, name, options));
    problems.push(...more.filter((p) => !reported.has(p.path)));
  }
  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ConfigError(problems);
  }
  return result.data;
}

function toProblems(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter, file: string, options: YamlConfigOptions<z.ZodType>): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { file, ...locate(doc, lc, path, true), path: formatPath(path), message: `unknown key "${key}"` };
    });
  }
  const path = issue.path;
  // Never echo a secret's value into a message, even a wrongly typed one.
  const secret = (options.secretKeys as readonly PropertyKey[]).includes(path[path.length - 1] ?? '');
  const value = secret ? HIDDEN : doc.getIn(path);
  return [{ file, ...locate(doc, lc, path), path: formatPath(path), message: messageOf(issue, value, options) }];
}

/** Short messages in our words rather than zod's defaults. */
function messageOf(issue: z.core.$ZodIssue, value: unknown, options: YamlConfigOptions<z.ZodType>): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'required';
      return `expected ${issue.expected}, got ${describe(value)}`;
    case 'invalid_union':
      if ((issue as { note?: string }).note === 'No matching discriminator' && options.unknownVariant) return options.unknownVariant(value);
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
