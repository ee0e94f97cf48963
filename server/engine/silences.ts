/**
 * Silences and maintenance windows, pure. Matchers follow Alertmanager: every matcher must hold, a
 * missing label reads as '', and regexes are fully anchored, so `center=~"sa-.*"` never matches
 * "xa-sa-huynh" by accident.
 *
 * A recurring silence carries a rule evaluated at Vietnam local time (UTC+7, no daylight saving):
 *
 *   weekly sat 07:00-09:00        weekly mon-fri,sun 22:00-02:00
 *   daily 12:00-13:00             monthly 15 20:00-23:00
 *
 * A window that crosses midnight (22:00-02:00) belongs to the day it starts: `weekly fri 22:00-02:00`
 * covers Friday 22:00 to Saturday 02:00.
 */
import { localTime } from '../calendar.js';
import type { Silence, SilenceMatcher } from '../store/types.js';

const DAY_MS = 86_400_000;

/** Longer patterns are refused: the regex runs against every alert on every evaluation. */
export const MAX_PATTERN_LENGTH = 256;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const regexCache = new Map<string, RegExp | null>();

/** The anchored regex of a pattern, or null when it does not compile. Cached: matchers run every cycle. */
function anchored(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = pattern.length > MAX_PATTERN_LENGTH ? null : new RegExp(`^(?:${pattern})$`, 'u');
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear(); // bounded: patterns come from operators, not traffic
    regexCache.set(pattern, re);
  }
  return re;
}

function matcherHolds(m: SilenceMatcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
    case '!~': {
      const re = anchored(m.value);
      // A pattern that does not compile silences nothing, whichever way round it is.
      if (re === null) return false;
      return re.test(value) === (m.op === '=~');
    }
  }
}

/** True when every matcher holds for `labels`; an empty list matches nothing (it would silence everything). */
export function matches(matchers: readonly SilenceMatcher[], labels: Record<string, string>): boolean {
  if (matchers.length === 0) return false;
  return matchers.every((m) => matcherHolds(m, labels[m.label] ?? ''));
}

/**
 * The first problem with a matcher list, or undefined when it is usable. Like Alertmanager, at least
 * one matcher must not match the empty string, or the silence would cover every alert.
 */
export function validateMatchers(matchers: readonly SilenceMatcher[]): string | undefined {
  if (matchers.length === 0) return 'at least one matcher is required';
  for (const [i, m] of matchers.entries()) {
    if (!LABEL_NAME.test(m.label)) return `matchers[${i}]: label name ${JSON.stringify(m.label)} is not valid (letters, digits, _; not starting with a digit)`;
    if (!['=', '!=', '=~', '!~'].includes(m.op)) return `matchers[${i}]: operator ${JSON.stringify(m.op)} is not one of =, !=, =~, !~`;
    if (m.op === '=~' || m.op === '!~') {
      if (m.value.length > MAX_PATTERN_LENGTH) return `matchers[${i}]: regex is longer than ${MAX_PATTERN_LENGTH} characters`;
      if (anchored(m.value) === null) return `matchers[${i}]: regex ${JSON.stringify(m.value)} does not compile`;
    }
  }
  if (matchers.every((m) => matcherHolds(m, ''))) return 'at least one matcher must not match the empty string';
  return undefined;
}

/** The first silence whose matchers hold for `labels` (pass the silences active now). */
export function silencedBy<S extends Pick<Silence, 'matchers'>>(silences: readonly S[], labels: Record<string, string>): S | undefined {
  return silences.find((s) => matches(s.matchers, labels));
}

// ---- recurrence rules ----

/** A parsed recurrence rule; minutes since local midnight, `end` < `start` when crossing midnight. */
export type Recurrence =
  | { kind: 'daily'; start: number; end: number }
  | { kind: 'weekly'; weekdays: ReadonlySet<number>; start: number; end: number }
  | { kind: 'monthly'; dayOfMonth: number; start: number; end: number };

export type ParsedRecurrence = { ok: true; rule: Recurrence } | { ok: false; error: string };

/** Index as in Date.getUTCDay(): 0 = Sunday. */
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseClock(text: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return undefined;
  return h * 60 + min;
}

function parseWindow(text: string): { start: number; end: number } | string {
  const [a, b, ...rest] = text.split('-');
  const start = a === undefined ? undefined : parseClock(a);
  const end = b === undefined ? undefined : parseClock(b);
  if (rest.length > 0 || start === undefined || end === undefined || start === 1440) {
    return `time window ${JSON.stringify(text)} is not HH:MM-HH:MM`;
  }
  if (start === end) return `time window ${JSON.stringify(text)} is empty`;
  return { start, end: end === 1440 ? 0 : end };
}

function parseWeekdays(text: string): ReadonlySet<number> | string {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to, ...rest] = part.split('-');
    const a = WEEKDAYS.indexOf(from ?? '');
    const b = to === undefined ? a : WEEKDAYS.indexOf(to);
    if (rest.length > 0 || a < 0 || b < 0) return `days ${JSON.stringify(text)} are not like mon,wed or mon-fri`;
    // A range may wrap the week end (fri-mon), as people write it.
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return days;
}

/** Parses a recurrence rule; the error names what is wrong. */
export function parseRecurrence(text: string): ParsedRecurrence {
  const words = text.trim().toLowerCase().split(/\s+/);
  const fail = (error: string): ParsedRecurrence => ({ ok: false, error });
  const usage = 'expected "daily HH:MM-HH:MM", "weekly <days> HH:MM-HH:MM" or "monthly <day> HH:MM-HH:MM"';
  const kind = words[0];
  if (kind === 'daily') {
    if (words.length !== 2) return fail(usage);
    const w = parseWindow(words[1]!);
    return typeof w === 'string' ? fail(w) : { ok: true, rule: { kind, ...w } };
  }
  if (kind === 'weekly') {
    if (words.length !== 3) return fail(usage);
    const days = parseWeekdays(words[1]!);
    if (typeof days === 'string') return fail(days);
    const w = parseWindow(words[2]!);
    return typeof w === 'string' ? fail(w) : { ok: true, rule: { kind, weekdays: days, ...w } };
  }
  if (kind === 'monthly') {
    if (words.length !== 3) return fail(usage);
    const day = /^\d{1,2}$/.test(words[1]!) ? Number(words[1]) : NaN;
    if (!(day >= 1 && day <= 31)) return fail(`day of month ${JSON.stringify(words[1])} is not 1–31`);
    const w = parseWindow(words[2]!);
    return typeof w === 'string' ? fail(w) : { ok: true, rule: { kind, dayOfMonth: day, ...w } };
  }
  return fail(usage);
}

/** Whether the window starting on the local day `dayStartMs` applies on that day. */
function dayApplies(rule: Recurrence, dayStartMs: number): boolean {
  const { date, weekday } = localTime(dayStartMs);
  if (rule.kind === 'weekly') return rule.weekdays.has(weekday);
  // Day 31 in a 30-day month simply never comes: no shifting to the 30th.
  if (rule.kind === 'monthly') return Number(date.slice(8, 10)) === rule.dayOfMonth;
  return true;
}

/** Whether `rule` covers the instant `nowMs`. */
export function ruleActive(rule: Recurrence, nowMs: number): boolean {
  const { minute, dayStartMs } = localTime(nowMs);
  if (rule.start < rule.end) return minute >= rule.start && minute < rule.end && dayApplies(rule, dayStartMs);
  // Crosses midnight (end 0 = until midnight): today's evening part, or the early part of yesterday's window.
  if (minute >= rule.start && dayApplies(rule, dayStartMs)) return true;
  return minute < rule.end && dayApplies(rule, dayStartMs - DAY_MS);
}

/** Whether the rule text covers `nowMs`; an unparsable rule never does (the store's evaluator). */
export function recurrenceActive(text: string, nowMs: number): boolean {
  const parsed = parseRecurrence(text);
  return parsed.ok && ruleActive(parsed.rule, nowMs);
}
