import type { PreProblem } from '../../common/yaml-config.js';
import { PLATFORM_TITLES, type PlatformName } from '../platform/index.js';
import { foreignPathProblem } from '../platform/paths.js';
import { PROBES } from '../probes/index.js';
import type { ProbeDefinition } from '../probes/types.js';

/*
 * A config written for the other platform (copied from a Linux box to a counter PC, or back) is said
 * by --check-config with file, line and field, never found by a probe failing at run time.
 */

/** Keys whose string values (or lists of strings) are file system paths. */
function isPathKey(key: string): boolean {
  return key.endsWith('_file') || key === 'dir' || key === 'mounts';
}

/**
 * Paths and line bindings that cannot work on `platform` (errors). Runs on the document as written,
 * before secrets are resolved (which turns `password_file` into `password`).
 */
export function foreignConfigProblems(doc: unknown, platform: PlatformName): PreProblem[] {
  const problems: PreProblem[] = [];
  walk(doc, [], (path, value) => {
    const key = [...path].reverse().find((p) => typeof p === 'string');
    if (typeof value !== 'string' || typeof key !== 'string' || !isPathKey(key)) return;
    const problem = foreignPathProblem(value, platform);
    if (problem) problems.push({ path, atKey: false, message: problem });
  });
  if (platform === 'win32') {
    const lines = (doc as { lines?: unknown } | null)?.lines;
    (Array.isArray(lines) ? (lines as unknown[]) : []).forEach((line, i) => {
      const l = line as { interface?: unknown; source?: unknown } | null;
      if (typeof l?.interface !== 'string' || l.source !== undefined) return;
      problems.push({
        path: ['lines', i, 'interface'],
        atKey: false,
        message: `Windows binds a line by its source address, not by interface name ("${l.interface}"): give lines[${i}].source, the address the line's network card holds`,
      });
    });
  }
  return problems;
}

/**
 * Checks whose kind (with its options) cannot run on `platform` (warnings: the check then reports
 * `not_supported`). Runs on the resolved document, so that options parse as the probe will see them.
 */
export function unsupportedChecks(doc: unknown, platform: PlatformName, probes: Record<string, ProbeDefinition> = PROBES): PreProblem[] {
  const checks = (doc as { checks?: unknown } | null)?.checks;
  const problems: PreProblem[] = [];
  (Array.isArray(checks) ? (checks as unknown[]) : []).forEach((check, i) => {
    const c = check as { kind?: unknown; options?: unknown; target?: unknown } | null;
    if (typeof c?.kind !== 'string' || !Object.hasOwn(probes, c.kind)) return;
    const def = probes[c.kind]!;
    if (!def.unsupportedOn) return;
    const options = def.options.safeParse(c.options ?? {});
    if (!options.success) return; // said by the schema
    const reason = def.unsupportedOn(platform, options.data, typeof c.target === 'string' ? c.target : '');
    if (reason === undefined) return;
    problems.push({
      path: ['checks', i, 'kind'],
      atKey: false,
      warning: true,
      message: `kind ${c.kind} is not supported on ${PLATFORM_TITLES[platform]}: ${reason} (the check reports not_supported)`,
    });
  });
  return problems;
}

function walk(value: unknown, path: PropertyKey[], visit: (path: PropertyKey[], value: unknown) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i], visit));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k], visit);
  else visit(path, value);
}
