import type { Observation, Reason } from './types.js';

/** printer-state values (RFC 8011 §5.4.11). */
export const PRINTER_STATE = { idle: 3, processing: 4, stopped: 5 } as const;

type Severity = 'down' | 'degraded';

/** printer-state-reasons keywords the probe turns into a reason, with the severity of the plain/-error form. */
const KEYWORDS: Record<string, { reason: Reason; severity: Severity }> = {
  'media-empty': { reason: 'media_empty', severity: 'down' },
  'media-needed': { reason: 'media_empty', severity: 'down' },
  'media-jam': { reason: 'media_jam', severity: 'down' },
  'toner-empty': { reason: 'marker_empty', severity: 'down' },
  'marker-supply-empty': { reason: 'marker_empty', severity: 'down' },
  'door-open': { reason: 'door_open', severity: 'down' },
  'cover-open': { reason: 'door_open', severity: 'down' },
  offline: { reason: 'offline', severity: 'down' },
  shutdown: { reason: 'offline', severity: 'down' },
  'toner-low': { reason: 'marker_low', severity: 'degraded' },
  'marker-supply-low': { reason: 'marker_low', severity: 'degraded' },
  'media-low': { reason: 'media_low', severity: 'degraded' },
};

/** Order among reasons of equal severity: what blocks the counter's work most comes first. */
const ORDER: Reason[] = ['media_jam', 'door_open', 'marker_empty', 'media_empty', 'offline', 'marker_low', 'media_low'];

export interface PrinterVerdict {
  up: boolean;
  degraded: boolean;
  reason: Reason;
  /** The state reasons that decided the verdict, for the message (bounded: keywords only). */
  detail: string;
}

interface Parsed {
  keyword: string;
  suffix: 'error' | 'warning' | 'report';
}

/** Splits the RFC 8011 §5.4.12 severity suffix; a keyword without one is an error. */
export function splitSuffix(value: string): Parsed {
  const m = /^(.*)-(error|warning|report)$/.exec(value);
  if (m) return { keyword: m[1]!, suffix: m[2] as Parsed['suffix'] };
  return { keyword: value, suffix: 'error' };
}

/**
 * Judges a printer from its printer-state and printer-state-reasons.
 * - `-report` reasons are informational (RFC 8011) and ignored.
 * - `-warning` reasons are capped at degraded: by definition the printer still works.
 * - a plain or `-error` reason has its full severity (media empty, jam, door open, … → down).
 * - stopped is down whatever the reasons, with the most telling reason it gives, else `offline`.
 */
export function judgePrinter(state: number | undefined, reasons: readonly string[]): PrinterVerdict {
  const found: { reason: Reason; severity: Severity; raw: string; informational: boolean }[] = [];
  for (const raw of reasons) {
    const p = splitSuffix(raw);
    const k = KEYWORDS[p.keyword];
    if (!k) continue;
    const severity: Severity = p.suffix === 'warning' ? 'degraded' : k.severity;
    found.push({ reason: k.reason, severity, raw, informational: p.suffix === 'report' });
  }
  const rank = (f: (typeof found)[number]): number => (f.severity === 'down' ? 0 : 100) + ORDER.indexOf(f.reason);
  const active = found.filter((f) => !f.informational).sort((a, b) => rank(a) - rank(b));
  if (state === PRINTER_STATE.stopped) {
    // A stopped printer may still call its cause a report or a warning: use it to say why.
    const any = [...active, ...found.filter((f) => f.informational).sort((a, b) => rank(a) - rank(b))];
    const first = any[0];
    return { up: false, degraded: false, reason: first?.reason ?? 'offline', detail: first ? `stopped: ${first.raw}` : 'stopped' };
  }
  if (state !== PRINTER_STATE.idle && state !== PRINTER_STATE.processing) {
    return { up: false, degraded: false, reason: 'protocol', detail: `printer-state ${state ?? 'missing'}` };
  }
  const worst = active[0];
  if (!worst) return { up: true, degraded: false, reason: 'ok', detail: state === PRINTER_STATE.idle ? 'idle' : 'processing' };
  if (worst.severity === 'down') return { up: false, degraded: false, reason: worst.reason, detail: worst.raw };
  return { up: true, degraded: true, reason: worst.reason, detail: worst.raw };
}

/** Most supplies reported per printer: keeps the `supply` label's cardinality bounded. */
export const MAX_SUPPLIES = 16;

/** A marker name as a bounded label value: lower case [a-z0-9_], at most 32 characters. */
export function supplyLabel(name: string | undefined, index: number): string {
  const s = (name ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/đ/g, 'd') // the one Vietnamese letter NFKD does not decompose
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 32);
  return s || `supply_${index + 1}`;
}

/**
 * Supply levels from marker-names and marker-levels (RFC 3995 / PWG 5100.9): 0..100 becomes a
 * ratio; -1 (unavailable), -2 (unknown) and -3 (some remaining) are not numbers and are skipped.
 * Duplicate names get their position appended so two supplies never share a series.
 */
export function markerObservations(names: readonly unknown[], levels: readonly unknown[], metric: string): Observation[] {
  const out: Observation[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < Math.min(levels.length, MAX_SUPPLIES); i++) {
    const level = levels[i];
    if (typeof level !== 'number' || level < 0 || level > 100) continue;
    let supply = supplyLabel(typeof names[i] === 'string' ? (names[i] as string) : undefined, i);
    if (seen.has(supply)) supply = `${supply}_${i + 1}`;
    seen.add(supply);
    out.push({ metric, value: level / 100, labels: { supply } });
  }
  return out;
}
