import { describe, expect, it } from 'vitest';
import { defaultCalendar, isEvaluated, isOpen, localTime, nextOpening, officeMsBetween } from './calendar.js';

/** An instant from a Vietnam local time (UTC+7). */
const vn = (local: string): number => Date.parse(`${local}:00+07:00`);
const cal = defaultCalendar({ holidays: ['2026-09-02', '2027-02-05'] }); // National Day; a Tết day

describe('office-hours calendar (Asia/Ho_Chi_Minh)', () => {
  it('reads local date, weekday and minute at UTC+7', () => {
    expect(localTime(vn('2026-11-27T00:15'))).toMatchObject({ date: '2026-11-27', weekday: 5, minute: 15 });
    // 23:30 UTC on Thursday is already Friday 06:30 in Vietnam.
    expect(localTime(Date.parse('2026-11-26T23:30:00Z'))).toMatchObject({ date: '2026-11-27', weekday: 5, minute: 390 });
  });

  it('is open in the morning and afternoon spans, closed at lunch, at night, on Sunday and on holidays', () => {
    expect(isOpen(cal, vn('2026-11-30T07:30'))).toBe(true); // Monday opening minute
    expect(isOpen(cal, vn('2026-11-30T07:29'))).toBe(false);
    expect(isOpen(cal, vn('2026-11-30T11:30'))).toBe(false); // lunch starts
    expect(isOpen(cal, vn('2026-11-30T13:30'))).toBe(true);
    expect(isOpen(cal, vn('2026-11-30T16:59'))).toBe(true);
    expect(isOpen(cal, vn('2026-11-30T17:00'))).toBe(false);
    expect(isOpen(cal, vn('2026-11-29T09:00'))).toBe(false); // Sunday
    expect(isOpen(cal, vn('2026-11-28T09:00'))).toBe(false); // Saturday, no Saturday hours
    expect(isOpen(defaultCalendar({ saturdayMorning: true }), vn('2026-11-28T09:00'))).toBe(true);
    expect(isOpen(defaultCalendar({ saturdayMorning: true }), vn('2026-11-28T14:00'))).toBe(false);
    expect(isOpen(cal, vn('2026-09-02T09:00'))).toBe(false); // a Wednesday, National Day
  });

  it('finds the next opening across lunch, the weekend and a holiday; a moved workday opens a Saturday', () => {
    expect(nextOpening(cal, vn('2026-11-30T12:00'))).toBe(vn('2026-11-30T13:30'));
    expect(nextOpening(cal, vn('2026-11-27T17:30'))).toBe(vn('2026-11-30T07:30')); // Friday evening → Monday
    expect(nextOpening(cal, vn('2026-09-01T18:00'))).toBe(vn('2026-09-03T07:30')); // over National Day
    expect(nextOpening(cal, vn('2026-11-30T09:00'))).toBe(vn('2026-11-30T09:00')); // open now
    const swapped = defaultCalendar({ extraWorkdays: ['2026-11-28'] });
    expect(nextOpening(swapped, vn('2026-11-27T17:30'))).toBe(vn('2026-11-28T07:30'));
  });

  it('evaluates from the lead time before an opening', () => {
    expect(isEvaluated(cal, vn('2026-11-30T07:00'), 30 * 60_000)).toBe(true);
    expect(isEvaluated(cal, vn('2026-11-30T06:59'), 30 * 60_000)).toBe(false);
    expect(isEvaluated(cal, vn('2026-11-30T13:10'), 30 * 60_000)).toBe(true); // before the afternoon
    expect(isEvaluated(cal, vn('2026-11-29T22:00'), 30 * 60_000)).toBe(false);
  });

  it('counts office time exactly: 7.5 h a weekday, none on holidays, partial spans cut', () => {
    const h = 3600_000;
    expect(officeMsBetween(cal, vn('2026-11-30T00:00'), vn('2026-12-01T00:00'))).toBe(7.5 * h);
    expect(officeMsBetween(cal, vn('2026-11-30T00:00'), vn('2026-12-07T00:00'))).toBe(5 * 7.5 * h);
    expect(officeMsBetween(cal, vn('2026-11-30T10:30'), vn('2026-11-30T14:30'))).toBe(2 * h);
    expect(officeMsBetween(cal, vn('2026-09-02T00:00'), vn('2026-09-03T00:00'))).toBe(0);
  });
});
