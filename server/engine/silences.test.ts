import { describe, expect, it } from 'vitest';
import type { Silence, SilenceMatcher } from '../store/types.js';
import { matches, parseRecurrence, recurrenceActive, silencedBy, validateMatchers } from './silences.js';

/** An instant from a Vietnam local time (UTC+7). */
const vn = (local: string): number => Date.parse(`${local}:00+07:00`);
const m = (label: string, op: SilenceMatcher['op'], value: string): SilenceMatcher => ({ label, op, value });

describe('matchers (Alertmanager semantics)', () => {
  const labels = { center: 'sa-huynh', check: 'printer-1', province: 'quang-ngai' };

  it('anchors regexes at both ends', () => {
    expect(matches([m('center', '=~', 'sa-.*')], labels)).toBe(true);
    expect(matches([m('center', '=~', 'sa')], labels)).toBe(false); // a substring is not enough
    expect(matches([m('center', '=~', 'huynh')], labels)).toBe(false);
    expect(matches([m('center', '=~', '.*huynh')], labels)).toBe(true);
    expect(matches([m('center', '=~', 'sa-huynh|tinh-phong')], labels)).toBe(true);
    // The alternation stays inside the anchors: "x|sa" must not match "sa-huynh" by its prefix.
    expect(matches([m('center', '=~', 'x|sa')], labels)).toBe(false);
    expect(matches([m('center', '!~', 'sa')], labels)).toBe(true);
    expect(matches([m('center', '!~', 'sa-.*')], labels)).toBe(false);
  });

  it('requires every matcher to hold', () => {
    expect(matches([m('center', '=', 'sa-huynh'), m('check', '=', 'printer-1')], labels)).toBe(true);
    expect(matches([m('center', '=', 'sa-huynh'), m('check', '=', 'inet1')], labels)).toBe(false);
    expect(matches([m('center', '=', 'sa-huynh'), m('check', '!=', 'printer-1')], labels)).toBe(false);
  });

  it('reads a missing label as the empty string', () => {
    expect(matches([m('line', '!=', 'inet1')], labels)).toBe(true);
    expect(matches([m('line', '=', 'inet1')], labels)).toBe(false);
    expect(matches([m('center', '=', 'sa-huynh'), m('line', '=', '')], labels)).toBe(true);
    expect(matches([m('line', '=~', 'inet.*')], labels)).toBe(false);
    expect(matches([m('line', '!~', 'inet.*')], labels)).toBe(true);
  });

  it('matches nothing with an empty list or a pattern that does not compile', () => {
    expect(matches([], labels)).toBe(false);
    expect(matches([m('center', '=~', '(')], labels)).toBe(false);
    expect(matches([m('center', '!~', '(')], labels)).toBe(false);
  });

  it('validates label names, regexes and the list as a whole', () => {
    expect(validateMatchers([m('center', '=', 'sa-huynh'), m('check', '=~', 'printer-.*')])).toBeUndefined();
    expect(validateMatchers([])).toBe('at least one matcher is required');
    expect(validateMatchers([m('center', '=', 'x'), m('1abc', '=', 'x')])).toBe(
      'matchers[1]: label name "1abc" is not valid (letters, digits, _; not starting with a digit)',
    );
    expect(validateMatchers([m('check', '=~', 'printer-(')])).toBe('matchers[0]: regex "printer-(" does not compile');
    expect(validateMatchers([m('check', '=~', 'a'.repeat(257))])).toBe('matchers[0]: regex is longer than 256 characters');
    expect(validateMatchers([m('check', '=~', 'a'.repeat(256))])).toBeUndefined();
    expect(validateMatchers([m('center', '=~', '.*')])).toBe('at least one matcher must not match the empty string');
    expect(validateMatchers([m('line', '!=', 'inet1')])).toBe('at least one matcher must not match the empty string');
    expect(validateMatchers([m('center', '==' as SilenceMatcher['op'], 'x')])).toBe('matchers[0]: operator "==" is not one of =, !=, =~, !~');
  });

  it('finds the first silence that covers the labels', () => {
    const s = (id: number, matchers: SilenceMatcher[]): Silence => ({ id, matchers, startsMs: 0, endsMs: 1, createdBy: 'ops', comment: '' });
    const silences = [s(1, [m('center', '=', 'tinh-phong')]), s(2, [m('check', '=~', 'printer-.*')]), s(3, [m('center', '=', 'sa-huynh')])];
    expect(silencedBy(silences, labels)?.id).toBe(2);
    expect(silencedBy(silences, { center: 'binh-son', check: 'inet1' })).toBeUndefined();
    expect(silencedBy([], labels)).toBeUndefined();
  });
});

describe('recurrence rules (UTC+7)', () => {
  it('parses daily, weekly and monthly rules', () => {
    expect(parseRecurrence('daily 12:00-13:30')).toEqual({ ok: true, rule: { kind: 'daily', start: 720, end: 810 } });
    expect(parseRecurrence('weekly mon-fri,sun 22:00-02:00')).toEqual({
      ok: true,
      rule: { kind: 'weekly', weekdays: new Set([1, 2, 3, 4, 5, 0]), start: 1320, end: 120 },
    });
    expect(parseRecurrence('weekly fri-mon 08:00-09:00')).toMatchObject({ ok: true, rule: { weekdays: new Set([5, 6, 0, 1]) } });
    expect(parseRecurrence('monthly 15 20:00-24:00')).toEqual({ ok: true, rule: { kind: 'monthly', dayOfMonth: 15, start: 1200, end: 0 } });
  });

  it('gives an error for a bad rule', () => {
    const usage = 'expected "daily HH:MM-HH:MM", "weekly <days> HH:MM-HH:MM" or "monthly <day> HH:MM-HH:MM"';
    expect(parseRecurrence('sat 06:00-08:00')).toEqual({ ok: false, error: usage });
    expect(parseRecurrence('weekly sat')).toEqual({ ok: false, error: usage });
    expect(parseRecurrence('')).toEqual({ ok: false, error: usage });
    expect(parseRecurrence('weekly saturday 06:00-08:00')).toEqual({ ok: false, error: 'days "saturday" are not like mon,wed or mon-fri' });
    expect(parseRecurrence('weekly mon-fri-sat 06:00-08:00')).toEqual({ ok: false, error: 'days "mon-fri-sat" are not like mon,wed or mon-fri' });
    expect(parseRecurrence('daily 6:00-08:00')).toEqual({ ok: false, error: 'time window "6:00-08:00" is not HH:MM-HH:MM' });
    expect(parseRecurrence('daily 06:60-08:00')).toEqual({ ok: false, error: 'time window "06:60-08:00" is not HH:MM-HH:MM' });
    expect(parseRecurrence('daily 24:00-08:00')).toEqual({ ok: false, error: 'time window "24:00-08:00" is not HH:MM-HH:MM' });
    expect(parseRecurrence('daily 08:00-08:00')).toEqual({ ok: false, error: 'time window "08:00-08:00" is empty' });
    expect(parseRecurrence('monthly 32 08:00-09:00')).toEqual({ ok: false, error: 'day of month "32" is not 1–31' });
    expect(parseRecurrence('monthly 0 08:00-09:00')).toEqual({ ok: false, error: 'day of month "0" is not 1–31' });
    expect(recurrenceActive('sat 06:00-08:00', vn('2026-11-28T07:00'))).toBe(false); // unparsable: never active
  });

  it('covers a Saturday window from its first minute to just before its end', () => {
    const rule = 'weekly sat 07:00-09:00';
    // 28/11/2026 is a Saturday.
    expect(recurrenceActive(rule, vn('2026-11-28T06:59'))).toBe(false);
    expect(recurrenceActive(rule, vn('2026-11-28T07:00'))).toBe(true);
    expect(recurrenceActive(rule, vn('2026-11-28T08:59'))).toBe(true);
    expect(recurrenceActive(rule, vn('2026-11-28T09:00'))).toBe(false);
    expect(recurrenceActive(rule, vn('2026-11-27T08:00'))).toBe(false); // Friday
    // Saturday 07:30 local is Saturday 00:30 UTC; Friday 07:30 local is Friday 00:30 UTC.
    expect(recurrenceActive(rule, Date.parse('2026-11-28T00:30:00Z'))).toBe(true);
  });

  it('gives a window across midnight to the day it starts', () => {
    const rule = 'weekly fri 22:00-02:00';
    expect(recurrenceActive(rule, vn('2026-11-27T21:59'))).toBe(false);
    expect(recurrenceActive(rule, vn('2026-11-27T22:00'))).toBe(true); // Friday evening
    expect(recurrenceActive(rule, vn('2026-11-28T01:59'))).toBe(true); // Saturday early: Friday's window
    expect(recurrenceActive(rule, vn('2026-11-28T02:00'))).toBe(false);
    expect(recurrenceActive(rule, vn('2026-11-27T01:00'))).toBe(false); // Friday early: Thursday's window
    expect(recurrenceActive(rule, vn('2026-11-28T22:30'))).toBe(false); // Saturday evening
    expect(recurrenceActive('daily 20:00-24:00', vn('2026-11-28T23:59'))).toBe(true);
    expect(recurrenceActive('daily 20:00-24:00', vn('2026-11-29T00:00'))).toBe(false);
  });

  it('never applies monthly day 31 in a 30-day month', () => {
    const rule = 'monthly 31 20:00-23:00';
    expect(recurrenceActive(rule, vn('2026-10-31T21:00'))).toBe(true);
    expect(recurrenceActive(rule, vn('2026-11-30T21:00'))).toBe(false); // November has 30 days
    expect(recurrenceActive(rule, vn('2026-12-01T21:00'))).toBe(false); // not moved to the next day either
    // Across midnight, day 31's window runs into the 1st of the next month.
    expect(recurrenceActive('monthly 31 23:00-01:00', vn('2026-11-01T00:30'))).toBe(true);
    expect(recurrenceActive('monthly 31 23:00-01:00', vn('2026-12-01T00:30'))).toBe(false);
  });
});
