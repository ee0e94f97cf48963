import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, Scalar, visit, type Document } from 'yaml';
import { registerSecret } from './log.js';

/** Option names that hold secrets; each may instead be given as `<name>_file`. */
export const SECRET_KEYS = ['password', 'bearer_token', 'client_secret', 'token', 'api_key', 'secret', 'secret_key', 'refresh_token'] as const;

/** Where secret references may appear: ids, targets and labels reach metrics and logs, so not there. */
export interface SecretPlaces {
  test: (path: readonly PropertyKey[]) => boolean;
  /** Said in the error message, e.g. "under options". */
  where: string;
}

export interface SecretProblem {
  path: PropertyKey[];
  atKey: boolean;
  message: string;
  /** Said, not refused (a literal secret while `literal_secrets` is `warn`). */
  warning?: boolean;
}

/**
 * Secrets written in the file itself (`password: hunter2` rather than `password_file:` or `${ENV}`): a
 * warning, or an error where the config says `literal_secrets: refuse`. Runs before resolution, which
 * turns files and references into literal values. Values are never echoed.
 */
export function literalSecretProblems(doc: Document, places: SecretPlaces, keys: readonly string[] = SECRET_KEYS): SecretProblem[] {
  const refuse = doc.get('literal_secrets') === 'refuse';
  const problems: SecretProblem[] = [];
  visit(doc, {
    Pair(_key, pair, ancestry) {
      if (!isScalar(pair.key) || !keys.includes(String(pair.key.value))) return;
      if (!isScalar(pair.value) || typeof pair.value.value !== 'string' || pair.value.value.includes('${')) return;
      const path = pathOf(ancestry, pair);
      if (!places.test(path)) return;
      const name = String(pair.key.value);
      problems.push({
        path,
        atKey: true,
        warning: !refuse,
        message: `a secret written in the file: give it as ${name}_file (a file readable by this service only) or \${ENV}${refuse ? ' (literal_secrets: refuse)' : ''}`,
      });
    },
  });
  return problems;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Resolves secret references in place, before validation, so the schema only ever sees values:
 * `${NAME}` inside any `options` block (and, by default, under `push.targets`) is replaced from the
 * environment, and `<secret>_file: path` becomes `<secret>: <file contents>` (relative paths from the
 * config file's folder). References elsewhere are refused: ids, targets and labels reach metrics and logs.
 */
/** Where the agent's secrets may be: check options and push targets. */
export const AGENT_SECRET_PLACES: SecretPlaces = {
  test: (path) => path.includes('options') || (path[0] === 'push' && path[1] === 'targets'),
  where: 'under options and push.targets',
};

export function resolveSecrets(
  doc: Document,
  baseDir: string,
  env: NodeJS.ProcessEnv,
  allowed: SecretPlaces = AGENT_SECRET_PLACES,
  /** The option names that hold secrets in this config (the server passes its own). */
  keys: readonly string[] = SECRET_KEYS,
): SecretProblem[] {
  const problems: SecretProblem[] = [];
  visit(doc, {
    Scalar(_key, node, ancestry) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const path = pathOf(ancestry, node);
      if (!allowed.test(path)) {
        problems.push({ path, atKey: false, message: `environment references (\${...}) are allowed only ${allowed.where}` });
        return;
      }
      node.value = node.value.replace(ENV_REF, (_m, name: string) => {
        const value = env[name];
        if (value === undefined) {
          problems.push({ path, atKey: false, message: `environment variable ${name} is not set` });
          return '';
        }
        return value;
      });
    },
    Pair(_key, pair, ancestry) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') return;
      const name = pair.key.value;
      const base = name.endsWith('_file') ? name.slice(0, -'_file'.length) : '';
      if (!keys.includes(base)) return;
      const path = pathOf(ancestry, pair);
      if (!allowed.test(path)) return;
      const parent = ancestry[ancestry.length - 1];
      if (isMap(parent) && parent.has(base)) {
        problems.push({ path, atKey: true, message: `set either ${base} or ${name}, not both` });
        return;
      }
      const file = isScalar(pair.value) ? String(pair.value.value) : '';
      const full = isAbsolute(file) ? file : resolve(baseDir, file);
      try {
        const content = readFileSync(full, 'utf8').replace(/\r?\n$/, '');
        pair.key = new Scalar(base);
        (pair.key as Scalar).range = (pair.value as Scalar).range;
        pair.value = new Scalar(content);
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error';
        problems.push({ path, atKey: false, message: `cannot read secret file "${file}" (${code})` });
      }
    },
  });
  registerSecretValues(doc, keys);
  return problems;
}

/** Keys whose string value is a credential, resolved or written inline (header names included). */
const SECRET_NAME = /password|passwd|token|secret|api[-_]?key|authorization/i;

/** Every secret value of the (resolved) document is redacted from the process's logs from now on. */
function registerSecretValues(doc: Document, keys: readonly string[]): void {
  visit(doc, {
    Pair(_key, pair) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      if ((SECRET_NAME.test(name) || keys.includes(name)) && isScalar(pair.value) && typeof pair.value.value === 'string') registerSecret(pair.value.value);
    },
  });
}

/** The field path of a node from the visitor's ancestry (maps give keys, sequences give indexes). */
function pathOf(ancestry: readonly unknown[], node: unknown): PropertyKey[] {
  const path: PropertyKey[] = [];
  const chain = [...ancestry, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isSeq(parent)) path.push(parent.items.indexOf(child));
    else if (isMap(parent)) {
      const pair = child as { key?: unknown };
      if (isScalar(pair.key)) path.push(String(pair.key.value));
    }
  }
  return path;
}
