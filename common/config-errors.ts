import { isMap, isScalar, isSeq, type LineCounter, type Document, type Node } from 'yaml';

/** One problem in a config file, located as precisely as the YAML allows. */
export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Field path such as `checks[2].options.count`; empty for the document itself. */
  path: string;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Thrown by config loaders with every problem found, never just the first. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * The node a path points at, or the deepest existing ancestor when the field is missing.
 * With `atKey`, points at the key of the last segment (for unknown keys).
 */
export function locate(doc: Document, lc: LineCounter, path: readonly PropertyKey[], atKey = false): { line: number; column: number } {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (last && atKey) {
        offset = keyNode.range?.[0] ?? offset;
        break;
      }
      node = pair.value;
      offset = (pair.value as Node | null)?.range?.[0] ?? keyNode.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else break;
  }
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** Runs a config loader; on a ConfigError prints every problem and their count to stderr and returns undefined. */
export function loadOrReport<T>(load: () => T, write: (text: string) => void = (t) => process.stderr.write(t)): T | undefined {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    write(`${err.message}\n${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} in the config\n`);
    return undefined;
  }
}
