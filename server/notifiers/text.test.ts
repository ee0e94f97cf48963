import { describe, expect, it } from 'vitest';
import { FIRING, RESOLVED, SINCE } from '../../test/support/notifiers/fixtures.js';
import { escapeMarkup, formatDuration, formatTime, messageParts, plainText } from './text.js';

describe('formatTime', () => {
  it.each([
    [Date.UTC(2026, 10, 27, 1, 12), '08:12 27/11/2026'],
    // 17:30 UTC is already the next local day (UTC+7), and the next year on 31 December.
    [Date.UTC(2026, 11, 31, 17, 5), '00:05 01/01/2027'],
    [Date.UTC(2026, 0, 1, 0, 0), '07:00 01/01/2026'],
  ])('%i → %s', (t, want) => {
    expect(formatTime(t)).toBe(want);
  });
});

describe('formatDuration', () => {
  const M = 60_000;
  it.each([
    [28 * M, '28 phút', '28 min'],
    [30_000, '1 phút', '1 min'],
    [60 * M, '1 giờ', '1 h'],
    [65 * M, '1 giờ 5 phút', '1 h 5 min'],
    [(2 * 1440 + 3 * 60 + 7) * M, '2 ngày 3 giờ', '2 d 3 h'],
    [1440 * M, '1 ngày', '1 d'],
  ])('%i ms', (ms, vi, en) => {
    expect(formatDuration(ms, 'vi')).toBe(vi);
    expect(formatDuration(ms, 'en')).toBe(en);
  });
});

describe('messageParts', () => {
  it.each([
    [
      'firing vi',
      FIRING,
      'vi',
      {
        headline: '🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến',
        runbook: 'Cách xử lý: gọi nhà mạng, kiểm tra router',
        linkLabel: 'Chi tiết',
        url: FIRING.url,
      },
    ],
    [
      'firing en',
      FIRING,
      'en',
      {
        headline: '🔴 Phường Sa Huỳnh: both links are down since 08:12 27/11/2026 — cannot accept online dossiers',
        runbook: 'What to do: call the carrier, check the router',
        linkLabel: 'Details',
        url: FIRING.url,
      },
    ],
    [
      'resolved vi, same day: clock only',
      RESOLVED,
      'vi',
      { headline: '✅ Phường Sa Huỳnh: cả hai đường truyền mất kết nối — đã khôi phục lúc 08:40 (kéo dài 28 phút)', linkLabel: 'Chi tiết', url: FIRING.url },
    ],
    [
      'resolved en',
      RESOLVED,
      'en',
      { headline: '✅ Phường Sa Huỳnh: both links are down — recovered at 08:40 (down for 28 min)', linkLabel: 'Details', url: FIRING.url },
    ],
    [
      'resolved next day: full date',
      { ...RESOLVED, resolvedAtMs: SINCE + 25 * 3600_000 },
      'vi',
      {
        headline: '✅ Phường Sa Huỳnh: cả hai đường truyền mất kết nối — đã khôi phục lúc 09:12 28/11/2026 (kéo dài 1 ngày 1 giờ)',
        linkLabel: 'Chi tiết',
        url: FIRING.url,
      },
    ],
    [
      'warning without blocks or runbook',
      { ...FIRING, severity: 'warning' as const, blocks: undefined, runbook: undefined },
      'vi',
      { headline: '🟠 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026', linkLabel: 'Chi tiết', url: FIRING.url },
    ],
    [
      'resolved without a time',
      { ...RESOLVED, resolvedAtMs: undefined, severity: 'info' as const },
      'en',
      { headline: '✅ Phường Sa Huỳnh: both links are down — recovered', linkLabel: 'Details', url: FIRING.url },
    ],
  ] as const)('%s', (_name, event, lang, want) => {
    expect(messageParts(event, lang)).toEqual(want);
  });
});

describe('plainText', () => {
  it('joins headline, runbook and link, one per line', () => {
    expect(plainText(FIRING, 'vi')).toBe(
      '🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến\n' +
        'Cách xử lý: gọi nhà mạng, kiểm tra router\n' +
        'Chi tiết: https://ready.example.vn/c/qng-sahuynh',
    );
  });
});

describe('escapeMarkup', () => {
  it('escapes &, < and > (ampersand first, so nothing is escaped twice)', () => {
    expect(escapeMarkup('<b>&amp;</b> > x')).toBe('&lt;b&gt;&amp;amp;&lt;/b&gt; &gt; x');
  });
});
