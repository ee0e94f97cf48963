/**
 * Office hours of a ward center, pure. Vietnam keeps one offset all year (UTC+7, no daylight saving),
 * so local time is UTC + 7 h exactly; no time-zone database is needed.
 *
 * Default: Monday–Friday 07:30–11:30 and 13:30–17:00 (the lunch break closes the counters), optional
 * Saturday morning, public holidays as configured dates (the lunar ones — Tết, Hùng Kings — change
 * every year, so they are listed, not computed). A province may override hours and holidays.
 */

const OFFSET_MS = 7 * 3600_000;
const DAY_MS = 86_400_000;

/** A span of one day, minutes since local midnight: [start, end). */
export interface Span {
  start: number;
  end: number;
}

export interface OfficeCalendar {
  /** Spans per weekday, index 0 = Sunday … 6 = Saturday. */
  week: readonly (readonly Span[])[];
  /** Local dates `YYYY-MM-DD` when the center is closed. */
  holidays: ReadonlySet<string>;
  /** Working days moved onto a weekend (Vietnam swaps days around holidays): local dates with weekday hours. */
  extraWorkdays: ReadonlySet<string>;
}

const hm = (text: string): number => {
  const [h, m] = text.split(':').map(Number);
  return h! * 60 + m!;
};

export const WEEKDAY_SPANS: readonly Span[] = [
  { start: hm('07:30'), end: hm('11:30') },
  { start: hm('13:30'), end: hm('17:00') },
];

export function defaultCalendar(opts: { saturdayMorning?: boolean; holidays?: readonly string[]; extraWorkdays?: readonly string[] } = {}): OfficeCalendar {
  const saturday = opts.saturdayMorning ? [WEEKDAY_SPANS[0]!] : [];
  return {
    week: [[], WEEKDAY_SPANS, WEEKDAY_SPANS, WEEKDAY_SPANS, WEEKDAY_SPANS, WEEKDAY_SPANS, saturday],
    holidays: new Set(opts.holidays ?? []),
    extraWorkdays: new Set(opts.extraWorkdays ?? []),
  };
}

/** Local date `YYYY-MM-DD`, weekday and minute of day of an instant. */
export function localTime(tMs: number): { date: string; weekday: number; minute: number; dayStartMs: number } {
  const local = tMs + OFFSET_MS;
  const dayStartLocal = Math.floor(local / DAY_MS) * DAY_MS;
  const d = new Date(dayStartLocal);
  return {
    date: d.toISOString().slice(0, 10),
    weekday: d.getUTCDay(),
    minute: Math.floor((local - dayStartLocal) / 60_000),
    dayStartMs: dayStartLocal - OFFSET_MS,
  };
}

/** The open spans of the local day starting at `dayStartMs`, as instants [start, end). */
function daySpans(cal: OfficeCalendar, dayStartMs: number): Array<[number, number]> {
  const { date, weekday } = localTime(dayStartMs);
  if (cal.holidays.has(date)) return [];
  const spans = cal.extraWorkdays.has(date) ? WEEKDAY_SPANS : cal.week[weekday]!;
  return spans.map((s) => [dayStartMs + s.start * 60_000, dayStartMs + s.end * 60_000]);
}

export function isOpen(cal: OfficeCalendar, tMs: number): boolean {
  return daySpans(cal, localTime(tMs).dayStartMs).some(([a, b]) => tMs >= a && tMs < b);
}

/** The next instant the center opens at or after `tMs` (undefined if none within `horizonDays`). */
export function nextOpening(cal: OfficeCalendar, tMs: number, horizonDays = 60): number | undefined {
  const today = localTime(tMs).dayStartMs;
  for (let d = 0; d <= horizonDays; d++) {
    for (const [a, b] of daySpans(cal, today + d * DAY_MS)) {
      if (tMs < a) return a;
      if (tMs < b) return tMs; // open now
    }
  }
  return undefined;
}

/**
 * Whether results count at `tMs`: open, or within `leadMs` before an opening (problems found at 07:00
 * must be fixed before citizens arrive at 07:30).
 */
export function isEvaluated(cal: OfficeCalendar, tMs: number, leadMs: number): boolean {
  const next = nextOpening(cal, tMs, 1);
  return next !== undefined && next - tMs <= leadMs;
}

/** Office time (ms) inside [fromMs, toMs): the denominator of "share of office hours ready". */
export function officeMsBetween(cal: OfficeCalendar, fromMs: number, toMs: number): number {
  let total = 0;
  for (let day = localTime(fromMs).dayStartMs; day < toMs; day += DAY_MS) {
    for (const [a, b] of daySpans(cal, day)) total += Math.max(0, Math.min(b, toMs) - Math.max(a, fromMs));
  }
  return total;
}
