/** What the readiness page says of a center on a backup line: on its tile and its own page, escaped. */
import { describe, expect, it } from 'vitest';
import { renderCenter, tileHtml, type CenterDetail } from './page.js';
import { tileOf, type LineOnTile } from './view.js';

/** 14:05 Friday 27/11/2026, UTC+7. */
const AT = Date.UTC(2026, 10, 27, 7, 5);
const NOW = AT + 20 * 60_000;

const tile = (line?: LineOnTile, name = 'Phường Sa Huỳnh') =>
  tileOf({ province: 'quang-ngai', center: '21478', name, state: 'degraded', sinceMs: AT, reasons: [] }, [], undefined, line);

const detail = (t: ReturnType<typeof tile>): CenterDetail => ({ tile: t, checks: [], agents: [], alerts: [], incidents: [], days: [] });

describe('a center on a backup line', () => {
  const backup: LineOnTile = { kind: '4g', isp: 'Viettel', main: false, sinceMs: AT };

  it('says "Đang dùng đường 4G Viettel từ 14:05" on its tile and its page, "On line 4G Viettel since 14:05" in English', () => {
    const t = tile(backup);
    expect(t.backupLine).toEqual({ title: { vi: '4G Viettel', en: '4G Viettel' }, sinceMs: AT });
    expect(tileHtml(t, 'vi', NOW)).toContain('<span class="line">Đang dùng đường 4G Viettel từ 14:05</span>');
    expect(tileHtml(t, 'en', NOW)).toContain('<span class="line">On line 4G Viettel since 14:05</span>');
    expect(renderCenter(detail(t), 'vi', NOW)).toContain('<p class="line">Đang dùng đường 4G Viettel từ 14:05</p>');
    expect(renderCenter(detail(t), 'en', NOW)).toContain('<p class="line">On line 4G Viettel since 14:05</p>');
  });

  it('a fiber line by its carrier in both languages; a day before, with its date', () => {
    const t = tile({ kind: 'fiber', isp: 'FPT Telecom', main: false, sinceMs: AT - 86_400_000 });
    expect(tileHtml(t, 'vi', NOW)).toContain('Đang dùng đường Cáp quang FPT Telecom từ 14:05 26/11/2026');
    expect(tileHtml(t, 'en', NOW)).toContain('On line Fiber FPT Telecom since 14:05 26/11/2026');
  });

  it('says nothing on the main line, on an unknown address, or with no line known', () => {
    for (const line of [{ kind: 'fiber', isp: 'VNPT', main: true, sinceMs: AT } as LineOnTile, { main: false, sinceMs: AT }, undefined]) {
      const t = tile(line);
      expect(t.backupLine).toBeUndefined();
      expect(tileHtml(t, 'vi', NOW)).not.toContain('class="line"');
      expect(renderCenter(detail(t), 'vi', NOW)).not.toContain('class="line"');
    }
  });

  it('escapes the carrier, which comes from the inventory', () => {
    const t = tile({ kind: '4g', isp: '<b>"Viettel"</b>', main: false, sinceMs: AT });
    expect(tileHtml(t, 'vi', NOW)).toContain('Đang dùng đường 4G &lt;b&gt;&quot;Viettel&quot;&lt;/b&gt; từ 14:05');
    expect(renderCenter(detail(t), 'en', NOW)).toContain('On line 4G &lt;b&gt;&quot;Viettel&quot;&lt;/b&gt; since 14:05');
    expect(renderCenter(detail(t), 'en', NOW)).not.toContain('<b>');
  });
});
