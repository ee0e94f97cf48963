import { describe, expect, it } from 'vitest';
import { defaultCalendar } from '../calendar.js';
import { notifyAt, severityOf } from './paging.js';

const vn = (local: string): number => Date.parse(`${local}:00+07:00`);
const cal = defaultCalendar();
const LEAD = 30 * 60_000;

describe('paging', () => {
  it('maps impact to severity', () => {
    expect([severityOf('blocking'), severityOf('degrading'), severityOf('info')]).toEqual(['critical', 'warning', 'info']);
  });

  it('sends at once in office hours and in the lead time before opening', () => {
    expect(notifyAt({ severity: 'warning', urgent: false }, cal, vn('2026-11-30T09:00'), LEAD)).toBe(vn('2026-11-30T09:00'));
    expect(notifyAt({ severity: 'warning', urgent: false }, cal, vn('2026-11-30T07:10'), LEAD)).toBe(vn('2026-11-30T07:10'));
  });

  it('a printer out of paper at 2 a.m. waits for 07:00; on Friday night it waits for Monday', () => {
    expect(notifyAt({ severity: 'warning', urgent: false }, cal, vn('2026-11-30T02:00'), LEAD)).toBe(vn('2026-11-30T07:00'));
    expect(notifyAt({ severity: 'critical', urgent: false }, cal, vn('2026-11-27T20:00'), LEAD)).toBe(vn('2026-11-30T07:00'));
    expect(notifyAt({ severity: 'warning', urgent: false }, cal, vn('2026-11-30T12:00'), LEAD)).toBe(vn('2026-11-30T13:00'));
  });

  it('all lines down or power lost pages now, whatever the hour; info never pages', () => {
    expect(notifyAt({ severity: 'critical', urgent: true }, cal, vn('2026-11-29T02:00'), LEAD)).toBe(vn('2026-11-29T02:00'));
    expect(notifyAt({ severity: 'info', urgent: true }, cal, vn('2026-11-30T09:00'), LEAD)).toBeUndefined();
  });
});
