import { describe, expect, it } from 'vitest';
import { defaultCalendar } from '../calendar.js';
import { formatDigest, nextDigestAt, type DigestInput } from './digest.js';

/** An instant from a Vietnam local time (UTC+7). */
const vn = (local: string): number => Date.parse(`${local}:00+07:00`);

describe('nextDigestAt', () => {
  it('gives the next instant of the local time, strictly after now', () => {
    expect(nextDigestAt('07:00', vn('2026-11-27T06:59'), false)).toBe(vn('2026-11-27T07:00'));
    expect(nextDigestAt('07:00', vn('2026-11-27T07:00'), false)).toBe(vn('2026-11-28T07:00')); // not the same instant again
    expect(nextDigestAt('07:00', vn('2026-11-27T07:00') - 1, false)).toBe(vn('2026-11-27T07:00'));
    expect(nextDigestAt('00:00', vn('2026-11-27T23:59'), false)).toBe(vn('2026-11-28T00:00'));
    // 23:30 UTC is 06:30 the next day in Vietnam: the digest is that same local morning.
    expect(nextDigestAt('07:00', Date.parse('2026-11-26T23:30:00Z'), false)).toBe(vn('2026-11-27T07:00'));
  });

  it('skips weekends, holidays, and keeps moved workdays when workdaysOnly', () => {
    // Friday 27/11/2026 after the digest: next is Monday.
    expect(nextDigestAt('07:00', vn('2026-11-27T08:00'), true)).toBe(vn('2026-11-30T07:00'));
    expect(nextDigestAt('07:00', vn('2026-11-27T08:00'), false)).toBe(vn('2026-11-28T07:00'));
    const cal = defaultCalendar({ holidays: ['2026-11-30'], extraWorkdays: ['2026-11-28'] });
    expect(nextDigestAt('07:00', vn('2026-11-27T08:00'), true, cal)).toBe(vn('2026-11-28T07:00')); // a moved Saturday
    expect(nextDigestAt('07:00', vn('2026-11-28T08:00'), true, cal)).toBe(vn('2026-12-01T07:00')); // Monday is a holiday
    expect(nextDigestAt('07:00', vn('2026-11-27T08:00'), true, defaultCalendar({ saturdayMorning: true }))).toBe(vn('2026-11-28T07:00'));
  });

  it('refuses a malformed time and a calendar without working days', () => {
    expect(() => nextDigestAt('7:00', 0, false)).toThrow('digest time "7:00" is not HH:MM');
    expect(() => nextDigestAt('24:00', 0, false)).toThrow(RangeError);
    expect(() => nextDigestAt('07:60', 0, false)).toThrow(RangeError);
    const closed = { week: [[], [], [], [], [], [], []], holidays: new Set<string>(), extraWorkdays: new Set<string>() };
    expect(() => nextDigestAt('07:00', 0, true, closed)).toThrow('the office calendar has no working day within 400 days');
  });
});

describe('formatDigest', () => {
  const input: DigestInput = {
    atMs: vn('2026-11-27T07:00'),
    centers: [
      { id: 'sa-huynh', name: 'Phường Sa Huỳnh', state: 'ready', uptimeShare: 0.9 },
      { id: 'tinh-phong', name: 'Xã Tịnh Phong', state: 'degraded', reason: { vi: 'máy in hỏng', en: 'printer broken' }, uptimeShare: 1 },
      { id: 'binh-son', name: 'Xã Bình Sơn', state: 'blocked', reason: { vi: 'mất cả hai đường truyền', en: 'both lines down' }, uptimeShare: 0.725 },
      { id: 'ba-to', name: 'Xã Ba Tơ', state: 'offline', uptimeShare: 0.9 },
      { id: 'duc-pho', name: 'Phường Đức Phổ', state: 'ready' },
    ],
    incidents: [
      { centerName: 'Xã Bình Sơn', summary: { vi: 'cả hai đường truyền mất kết nối', en: 'both lines lost' }, sinceMs: vn('2026-11-26T16:30') },
      {
        centerName: 'Phường Sa Huỳnh',
        summary: { vi: 'mất điện lưới', en: 'mains power lost' },
        sinceMs: vn('2026-11-26T08:12'),
        resolvedAtMs: vn('2026-11-26T08:40'),
      },
      {
        centerName: 'Xã Ba Tơ',
        summary: { vi: 'máy chủ không phản hồi', en: 'server not answering' },
        sinceMs: vn('2026-11-25T23:00'),
        resolvedAtMs: vn('2026-11-26T01:05'),
      },
    ],
  };

  it('writes the Vietnamese digest by default', () => {
    expect(formatDigest(input)).toEqual({
      subject: 'Báo cáo sáng 27/11/2026: 2/5 trung tâm sẵn sàng',
      text: [
        'Báo cáo sáng 27/11/2026: 2/5 trung tâm sẵn sàng',
        'Sẵn sàng 2 · Suy giảm 1 · Gián đoạn 1 · Mất liên lạc 1',
        '',
        'Trung tâm chưa sẵn sàng:',
        '- Xã Bình Sơn (gián đoạn): mất cả hai đường truyền',
        '- Xã Ba Tơ (mất liên lạc)',
        '- Xã Tịnh Phong (suy giảm): máy in hỏng',
        '',
        'Sự cố hôm qua:',
        '- Xã Ba Tơ: máy chủ không phản hồi, 23:00 25/11/2026–01:05 26/11/2026 (2 giờ 5 phút)',
        '- Phường Sa Huỳnh: mất điện lưới, 08:12–08:40 (28 phút)',
        '- Xã Bình Sơn: cả hai đường truyền mất kết nối, từ 16:30, chưa khôi phục, đã 14 giờ 30 phút',
        '',
        'Tỉ lệ sẵn sàng trong giờ hành chính hôm qua thấp nhất:',
        '- Xã Bình Sơn: 72,5%',
        '- Phường Sa Huỳnh: 90,0%',
        '- Xã Ba Tơ: 90,0%',
        '- Xã Tịnh Phong: 100,0%',
      ].join('\n'),
    });
  });

  it('writes English by option, with the province in the subject', () => {
    expect(formatDigest({ ...input, province: 'Quảng Ngãi' }, 'en')).toEqual({
      subject: 'Morning report 27/11/2026 (Quảng Ngãi): 2/5 centers ready',
      text: [
        'Morning report 27/11/2026 (Quảng Ngãi): 2/5 centers ready',
        'Ready 2 · Degraded 1 · Blocked 1 · Offline 1',
        '',
        'Centers not ready:',
        '- Xã Bình Sơn (blocked): both lines down',
        '- Xã Ba Tơ (offline)',
        '- Xã Tịnh Phong (degraded): printer broken',
        '',
        "Yesterday's incidents:",
        '- Xã Ba Tơ: server not answering, 23:00 25/11/2026–01:05 26/11/2026 (2 h 5 min)',
        '- Phường Sa Huỳnh: mains power lost, 08:12–08:40 (28 min)',
        '- Xã Bình Sơn: both lines lost, since 16:30, not recovered, down for 14 h 30 min',
        '',
        "Lowest ready share in yesterday's office hours:",
        '- Xã Bình Sơn: 72.5%',
        '- Phường Sa Huỳnh: 90.0%',
        '- Xã Ba Tơ: 90.0%',
        '- Xã Tịnh Phong: 100.0%',
      ].join('\n'),
    });
  });

  it('says all is well on a quiet morning and shows only the five lowest shares', () => {
    const centers = Array.from({ length: 7 }, (_, i) => ({ id: `c${i}`, name: `Xã ${i}`, state: 'ready' as const, uptimeShare: 1 - i / 100 }));
    expect(formatDigest({ atMs: vn('2026-11-30T07:00'), centers, incidents: [] }).text).toBe(
      [
        'Báo cáo sáng 30/11/2026: 7/7 trung tâm sẵn sàng',
        'Sẵn sàng 7 · Suy giảm 0 · Gián đoạn 0 · Mất liên lạc 0',
        '',
        'Tất cả trung tâm sẵn sàng.',
        '',
        'Hôm qua không có sự cố.',
        '',
        'Tỉ lệ sẵn sàng trong giờ hành chính hôm qua thấp nhất:',
        '- Xã 6: 94,0%',
        '- Xã 5: 95,0%',
        '- Xã 4: 96,0%',
        '- Xã 3: 97,0%',
        '- Xã 2: 98,0%',
      ].join('\n'),
    );
  });
});
