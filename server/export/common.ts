/**
 * Helpers shared by the exporters (server/export/*.ts): Prometheus durations, PromQL string quoting and
 * the YAML rendering. Pure.
 */
import { stringify } from 'yaml';

/** Milliseconds as a Prometheus duration (`0s`, `10s`, `1m30s`, `500ms`): what rule files and Alertmanager accept. */
export function promDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

/** A PromQL / Alertmanager matcher string literal (double-quoted, backslash-escaped). */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** `a|b|c` for an `=~` matcher on exact values (identifiers here, but escaped all the same). */
export function alternation(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/**
 * YAML text with a header comment. Long strings (PromQL) stay on one logical line per expression as
 * folded blocks would re-wrap them; `lineWidth: 0` keeps each as written.
 */
export function renderYaml(header: string, doc: unknown): string {
  const comment = header
    .trim()
    .split('\n')
    .map((l) => (l ? `# ${l}` : '#'))
    .join('\n');
  return `${comment}\n${stringify(doc, { lineWidth: 0, blockQuote: 'literal' })}`;
}
