/**
 * What the readiness page says of a center, through the pure engine (scenario harness): each reason
 * with its own time, and names where messages use names.
 */
import { describe, expect, it } from 'vitest';
import { clock, MIN, Province, S } from '../../test/support/scenario-harness.js';
import { tileOf, type Tile } from './view.js';

const UPSTREAM = {
  upstreams: [{ name: 'provincial-system', title: { vi: 'Hệ thống một cửa tỉnh', en: 'the provincial one-stop system' }, checks: ['provincial-system'] }],
};

function tile(p: Province, center = 'sa-huynh'): Tile {
  const c = p.state.centers.get(center)!;
  return tileOf({ province: c.province, center, name: center, state: c.settled.state, sinceMs: c.sinceMs, reasons: c.reasons }, p.checks, undefined);
}

describe('a reason shown with a time carries its own time', () => {
  it('"Mất kết nối Internet" is dated from when the last line fell, not from when the center turned blocked', () => {
    const p = new Province(undefined, UPSTREAM).addCenter('sa-huynh');
    p.run(10 * S);
    p.set('sa-huynh', 'provincial-system', false, { reason: 'http_status' }).run(10 * MIN);
    p.set('sa-huynh', 'line-inet1', false).run(MIN);
    p.set('sa-huynh', 'line-inet2', false).run(MIN);
    const t = tile(p);
    expect(t.state).toBe('blocked');
    expect(clock(p.state.centers.get('sa-huynh')!.sinceMs)).toBe('08:00:11');
    expect(t.reason?.vi).toBe('Mất kết nối Internet (cả 2 đường truyền)');
    expect(clock(t.sinceMs)).toBe('08:11:10');
    // Every reason (the API lists them all) with its own time.
    expect(p.state.centers.get('sa-huynh')!.reasons.map((r) => `${r.kind} ${clock(r.sinceMs)}`)).toEqual(['check_down 08:00:10', 'group_down 08:11:10']);
  });

  it('an offline spell in between does not re-date it', () => {
    const p = new Province().addCenter('sa-huynh');
    p.run(10 * S);
    p.set('sa-huynh', 'line-inet1', false)
      .set('sa-huynh', 'line-inet2', false)
      .run(4 * MIN);
    p.agent('sa-huynh', 'pc1').heard = false;
    p.run(5 * MIN);
    expect(tile(p).state).toBe('offline');
    p.agent('sa-huynh', 'pc1').heard = true;
    p.run(MIN);
    const t = tile(p);
    expect(t.state).toBe('blocked');
    expect(`${t.reason?.vi} ${clock(t.sinceMs)}`).toBe('Mất kết nối Internet (cả 2 đường truyền) 08:00:10');
  });
});

describe('a reason names what it is about, as the messages do', () => {
  it("a check of a shared system by the system's title", () => {
    const p = new Province(undefined, UPSTREAM).addCenter('sa-huynh');
    p.run(10 * S);
    p.set('sa-huynh', 'provincial-system', false, { reason: 'http_status' }).run(MIN);
    expect(tile(p).reason).toEqual({
      vi: 'Không truy cập được Hệ thống một cửa tỉnh (máy chủ trả lỗi)',
      en: 'The provincial one-stop system unreachable (server error)',
    });
  });

  it('a check by its description, a line by its name and carrier', () => {
    const p = new Province().addCenter('sa-huynh');
    p.set('sa-huynh', 'line-inet2', true, { lineDescription: 'Cáp quang VNPT' }).set('sa-huynh', 'printer-1', true, {
      title: { vi: 'Máy in quầy 1', en: 'Máy in quầy 1' },
    });
    p.run(10 * S);
    p.set('sa-huynh', 'line-inet2', false).run(MIN);
    expect(tile(p).reason).toEqual({
      vi: 'Mất dự phòng: đường truyền inet2 (Cáp quang VNPT) mất kết nối',
      en: 'Redundancy lost: line inet2 (Cáp quang VNPT) down',
    });
    p.set('sa-huynh', 'line-inet2', true).set('sa-huynh', 'printer-1', false, { reason: 'media_empty' }).set('sa-huynh', 'line-inet1', true).run(MIN);
    expect(tile(p).reason?.vi).toBe('Máy in quầy 1 lỗi (hết giấy)');
  });
});
