import { readFileSync } from 'node:fs';

/** Set by packaging/package.mjs (esbuild `define`): the packaged agent has no package.json beside it. */
declare const CENTERWATCH_VERSION: string | undefined;

/** The package version, read from package.json whether running from source (agent/) or from dist/agent/. */
export function agentVersion(): string {
  if (typeof CENTERWATCH_VERSION === 'string') return CENTERWATCH_VERSION;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'centerwatch' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}
