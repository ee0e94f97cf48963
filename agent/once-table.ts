import type { CheckConfig } from './config/schema.js';
import type { RunOutcome } from './runner.js';

/** The target as shown to people: a URL loses its query and fragment, which may carry tokens. */
export function displayTarget(target: string): string {
  if (!/^https?:\/\//i.test(target)) return target;
  try {
    const u = new URL(target);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return target;
  }
}

function status(o: RunOutcome): string {
  if (!o.result.up) return 'DOWN';
  return o.result.degraded ? 'DEGRADED' : 'UP';
}

/** A plain-text table of one run of every check, for `--once`. Pure: easy to test, no colours. */
export function formatOnceTable(rows: ReadonlyArray<{ check: CheckConfig; outcome: RunOutcome }>): string {
  const header = ['CHECK', 'KIND', 'LINE', 'TARGET', 'STATUS', 'REASON', 'TIME', 'DETAIL'];
  const body = rows.map(({ check, outcome }) => [
    check.id,
    check.kind,
    check.line ?? '-',
    displayTarget(check.target) || '-',
    status(outcome),
    outcome.result.reason,
    `${(outcome.durationSeconds * 1000).toFixed(1)}ms`,
    outcome.result.message ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const up = rows.filter((r) => r.outcome.result.up).length;
  return [fmt(header), ...body.map(fmt), '', `${up}/${rows.length} checks up`].join('\n');
}
