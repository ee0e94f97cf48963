/**
 * A copy of the source tree in a temporary directory (node_modules linked, not copied), for tests that
 * edit the code as a developer would (add a probe kind, a notifier channel) and ask the compiler what
 * it then names. Type checks are incremental within one copy: the first takes the full time (~12 s
 * here), the next ones a few seconds.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What tsconfig.json includes, plus what the generated reference and the loader read. */
const TREE = ['agent', 'server', 'common', 'test', 'bench', 'dashboards', 'docs', 'config', 'tsconfig.json', 'package.json', 'vitest.config.ts'];

export interface TreeCopy {
  dir: string;
  /** `file: TSxxxx message` of each type error, without positions (edits move lines). */
  typeErrors(): Promise<Set<string>>;
  /** Rewrites one file of the copy; throws when the change finds nothing to change. */
  edit(file: string, change: (text: string) => string): void;
  write(file: string, text: string): void;
  remove(): void;
}

export function copyTree(prefix: string): TreeCopy {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of TREE) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true, filter: (src) => !src.includes('node_modules') });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    async typeErrors() {
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
      const args = [tsc, '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', join(dir, '.tsbuildinfo')];
      const out = await run(process.execPath, args, { cwd: dir, maxBuffer: 1 << 24 }).then(
        (r) => r.stdout,
        (err: unknown) => (err as { stdout?: string }).stdout ?? '',
      );
      return new Set(
        out
          .split('\n')
          .map((l) => /^(\S+?)\(\d+,\d+\): error (TS\d+: .*)$/.exec(l))
          .filter((m) => m !== null)
          .map((m) => `${m[1]}: ${m[2]}`),
      );
    },
    edit(file, change) {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const next = change(text);
      if (next === text) throw new Error(`${file}: the edit found nothing to change`);
      writeFileSync(path, next);
    },
    write(file, text) {
      writeFileSync(join(dir, file), text);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The files the errors are in. */
export const filesOf = (errors: Iterable<string>): string[] => [...new Set([...errors].map((e) => e.slice(0, e.indexOf(':'))))].sort();
/** Errors in `after` that were not in `before` (errors already in the tree are another change's). */
export const newErrors = (after: Set<string>, before: Set<string>): string[] => [...after].filter((e) => !before.has(e));
