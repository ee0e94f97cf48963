/**
 * The engine uses the center's lines (issue 16, part 4): scenarios replayed through the pure engine, each
 * with the exact messages and readiness. The harness's center has lines inet1 and inet2 (icmp, group
 * `lines`), the provincial system checked over inet1 (blocking) and a printer; here it gets the province's
 * outside-in result for each line (agent '', as the server makes them) and, where said, which line is in use.
 */
import { describe, expect, it } from 'vitest';
import { FRI_0800, MIN, Province, S } from '../../test/support/scenario-harness.js';
import type { CheckSnapshot } from './evaluate.js';
import { LINE_IN_USE_CHECK, LINE_IN_USE_KIND, mainReason } from './describe.js';
import { OUTSIDE_IN_KIND, outsideInCheckId } from '../lines/outside-in-checks.js';
import { centerLines, offlineCause, readinessView } from './topology.js';

const UPSTREAM = {
  upstreams: [{ name: 'provincial-system', title: { vi: 'Hệ thống một cửa tỉnh', en: 'the provincial one-stop system' }, checks: ['provincial-system'] }],
};
const CENTER = 'sa-huynh';

/** A center with its lines named by carrier and the province's outside-in result for each. */
function center(opts: { lineChecks?: boolean } = {}): Province {
  const p = new Province(FRI_0800, UPSTREAM).addCenter(CENTER, 'Phường Sa Huỳnh');
  p.set(CENTER, 'line-inet1', true, { lineDescription: 'Cáp quang VNPT' }).set(CENTER, 'line-inet2', true, { lineDescription: '4G Viettel' });
  // A center whose router cannot be asked (no line checks): its lines are known from the province only.
  if (opts.lineChecks === false) for (const id of ['line-inet1', 'line-inet2']) p.checks.splice(p.checks.indexOf(p.check(CENTER, id)), 1);
  for (const [line, description] of [
    ['inet1', 'Cáp quang VNPT'],
    ['inet2', '4G Viettel'],
  ] as const)
    p.checks.push(serverCheck({ check: outsideInCheckId(line), kind: OUTSIDE_IN_KIND, line, lineDescription: description, impact: 'info' }));
  return p;
}

function serverCheck(c: Pick<CheckSnapshot, 'check' | 'kind' | 'impact'> & Partial<CheckSnapshot>): CheckSnapshot {
  return { province: 'qng', center: CENTER, agent: '', up: true, degraded: false, ...c };
}

const FIBER_WARNING =
  '08:00:10 🟠 Phường Sa Huỳnh: đường truyền inet1 (Cáp quang VNPT) mất kết nối từ 08:00 27/11/2026 — mất dự phòng, vẫn phục vụ bằng đường còn lại';

describe('the fiber is cut, the center goes on over 4G', () => {
  it('one warning naming the fiber line; the provincial system over it says nothing of its own; degraded, never blocked', () => {
    const p = center();
    p.run(10 * S);
    // The router fails over to 4G: the agent is still heard, its pushes come from the 4G address.
    p.checks.push(
      serverCheck({
        check: LINE_IN_USE_CHECK,
        kind: LINE_IN_USE_KIND,
        impact: 'degrading',
        up: false,
        title: { vi: 'đang chạy bằng đường dự phòng 4G Viettel: đường chính Cáp quang VNPT có thể đã mất', en: 'on the backup' },
      }),
    );
    p.set(CENTER, 'line-inet1', false)
      .set(CENTER, outsideInCheckId('inet1'), false, { reason: 'timeout' })
      .set(CENTER, 'provincial-system', false, { reason: 'timeout' })
      .run(20 * MIN);
    expect(p.messages()).toEqual([FIBER_WARNING]);
    expect(p.notes('suppressed').sort()).toEqual(['check:sa-huynh//line-in-use', 'check:sa-huynh//outside-in:inet1', 'check:sa-huynh/pc1/provincial-system']);
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 degraded']);
    // One reason, the line's (running on the backup line says the same).
    expect(p.outputs.flatMap((o) => (o.type === 'readiness' ? o.reasons : []))).toEqual([
      { kind: 'redundancy_lost', group: 'lines', down: ['line-inet1'], up: ['line-inet2'], sinceMs: FRI_0800 + 10 * S },
    ]);

    // The fiber is back: everything resolves, one resolved message, no new warning.
    p.set(CENTER, LINE_IN_USE_CHECK, true)
      .set(CENTER, 'line-inet1', true)
      .set(CENTER, outsideInCheckId('inet1'), true, { reason: 'ok' })
      .set(CENTER, 'provincial-system', true, { reason: 'ok' })
      .run(10 * MIN);
    expect(p.messages()).toEqual([
      FIBER_WARNING,
      '08:20:20 ✅ Phường Sa Huỳnh: đường truyền inet1 (Cáp quang VNPT) mất kết nối — đã khôi phục lúc 08:20 (kéo dài 20 phút)',
    ]);
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 degraded', '08:20:12 ready']);
    expect([...p.state.tracked.values()].filter((t) => t.occurrence !== undefined)).toEqual([]);
  });

  it('the provincial system comes back a probe later than the line: still no message of its own', () => {
    const p = center();
    p.run(10 * S);
    p.set(CENTER, 'line-inet1', false)
      .set(CENTER, 'provincial-system', false)
      .run(5 * MIN);
    p.set(CENTER, 'line-inet1', true).run(20 * S);
    p.set(CENTER, 'provincial-system', true).run(5 * MIN);
    expect(p.messages()).toEqual([
      FIBER_WARNING,
      '08:05:20 ✅ Phường Sa Huỳnh: đường truyền inet1 (Cáp quang VNPT) mất kết nối — đã khôi phục lúc 08:05 (kéo dài 5 phút)',
    ]);
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 degraded', '08:05:12 ready']);
  });

  it('known from the province only (no router check): one warning from the outside-in result, degraded', () => {
    const p = center({ lineChecks: false });
    p.run(10 * S);
    p.set(CENTER, outsideInCheckId('inet1'), false, { reason: 'timeout' })
      .set(CENTER, 'provincial-system', false)
      .run(5 * MIN);
    expect(p.messages()).toEqual([
      '08:00:40 🟠 Phường Sa Huỳnh: đường truyền inet1 (Cáp quang VNPT) mất kết nối (không trả lời khi kiểm tra từ tỉnh) từ 08:00 27/11/2026 — mất dự phòng, vẫn phục vụ bằng đường còn lại',
    ]);
    expect(p.notes('suppressed')).toEqual(['check:sa-huynh/pc1/provincial-system']);
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 degraded']);
    // The page names the line as the messages do.
    const reason = mainReason(p.state.centers.get(CENTER)!.reasons, p.checks);
    expect(reason?.text).toEqual({
      vi: 'Mất dự phòng: đường truyền inet1 (Cáp quang VNPT) mất kết nối',
      en: 'Redundancy lost: line inet1 (Cáp quang VNPT) down',
    });
  });

  it('a center no agent is known of: its addresses say nothing', () => {
    const p = center({ lineChecks: false });
    p.agents.length = 0;
    p.checks.splice(0, p.checks.length, ...p.checks.filter((c) => c.agent === ''));
    p.run(10 * S);
    p.set(CENTER, outsideInCheckId('inet1'), false).run(5 * MIN);
    expect(p.messages()).toEqual([]);
  });

  it('the center seen on its 4G address before the province finds the fiber silent: still one warning, naming the fiber', () => {
    const p = center({ lineChecks: false });
    p.run(10 * S);
    p.checks.push(serverCheck({ check: LINE_IN_USE_CHECK, kind: LINE_IN_USE_KIND, impact: 'degrading', up: false }));
    p.run(7 * S);
    p.set(CENTER, outsideInCheckId('inet1'), false).run(5 * MIN);
    expect(p.messages()).toEqual([
      '08:00:47 🟠 Phường Sa Huỳnh: đường truyền inet1 (Cáp quang VNPT) mất kết nối (không trả lời khi kiểm tra từ tỉnh) từ 08:00 27/11/2026 — mất dự phòng, vẫn phục vụ bằng đường còn lại',
    ]);
    expect(p.notes('suppressed')).toEqual(['check:sa-huynh//line-in-use']);
  });

  it('the province alone never takes the last line down: every address silent while the agent is heard says nothing', () => {
    const p = center({ lineChecks: false });
    p.run(10 * S);
    p.set(CENTER, outsideInCheckId('inet1'), false)
      .set(CENTER, outsideInCheckId('inet2'), false)
      .run(5 * MIN);
    expect(p.messages()).toEqual([]);
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready']);
  });
});

describe('a system reachable over any line', () => {
  it('the provincial system down over inet1 but up over inet2: a warning, degraded, never blocked', () => {
    const p = center();
    const over1 = p.check(CENTER, 'provincial-system');
    p.checks.push({ ...over1, check: 'provincial-system-2', line: 'inet2' });
    p.cfg.upstreams[0]!.checks.push('provincial-system-2');
    p.run(10 * S);
    p.set(CENTER, 'provincial-system', false, { reason: 'timeout' }).run(5 * MIN);
    expect(p.messages()).toEqual([
      '08:00:40 🟠 Phường Sa Huỳnh: không truy cập được Hệ thống một cửa tỉnh (quá thời gian chờ) từ 08:00 27/11/2026 — mất dự phòng, vẫn phục vụ bằng đường còn lại',
    ]);
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 degraded']);
    const reasons = p.state.centers.get(CENTER)!.reasons;
    expect(mainReason(reasons, p.checks)?.text).toEqual({
      vi: 'Mất dự phòng: không truy cập được Hệ thống một cửa tỉnh qua đường truyền inet1',
      en: 'Redundancy lost: the provincial one-stop system unreachable over line inet1',
    });
    // Unreachable over both: blocked, in the words of its alert.
    p.set(CENTER, 'provincial-system-2', false).run(MIN);
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 degraded', '08:05:11 blocked']);
    expect(mainReason(p.state.centers.get(CENTER)!.reasons, p.checks)?.text.vi).toBe('Không truy cập được Hệ thống một cửa tỉnh (quá thời gian chờ)');
  });
});

describe('both lines are cut', () => {
  it('one urgent message, blocked, everything bound to a line suppressed under it; one resolved message', () => {
    const p = center();
    p.run(10 * S);
    for (const id of ['line-inet1', 'line-inet2', outsideInCheckId('inet1'), outsideInCheckId('inet2'), 'provincial-system']) p.set(CENTER, id, false);
    p.run(10 * MIN);
    for (const id of ['line-inet1', 'line-inet2', outsideInCheckId('inet1'), outsideInCheckId('inet2'), 'provincial-system']) p.set(CENTER, id, true);
    p.run(2 * MIN);
    expect(p.messages()).toEqual([
      '08:00:10 🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:00 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến',
      '08:10:20 ✅ Phường Sa Huỳnh: cả hai đường truyền mất kết nối — đã khôi phục lúc 08:10 (kéo dài 10 phút)',
    ]);
    expect(p.outputs.find((o) => o.type === 'message')!.event.severity).toBe('critical');
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 blocked', '08:10:12 ready']);
  });
});

describe('every agent of the center is silent', () => {
  const offlineEvents = (p: Province) => p.outputs.flatMap((o) => (o.type === 'message' ? [o.event] : []));

  it('and no line answers from the province: offline, "power cut or router down", not "both lines cut"', () => {
    const p = center();
    p.run(10 * S);
    // The power goes: the addresses stop answering at once, the agent is found silent 45 s later.
    p.set(CENTER, outsideInCheckId('inet1'), false)
      .set(CENTER, outsideInCheckId('inet2'), false)
      .run(45 * S);
    p.agent(CENTER, 'pc1').heard = false;
    p.run(30 * MIN);
    p.agent(CENTER, 'pc1').heard = true;
    p.set(CENTER, outsideInCheckId('inet1'), true).set(CENTER, outsideInCheckId('inet2'), true).run(MIN);
    expect(p.messages()).toEqual([
      '08:00:55 🔴 Phường Sa Huỳnh: không nhận được dữ liệu từ trung tâm: có thể mất điện hoặc router hỏng (không đường truyền nào trả lời từ tỉnh) từ 08:00 27/11/2026 — có thể không phục vụ được người dân',
      '08:30:55 ✅ Phường Sa Huỳnh: không nhận được dữ liệu từ trung tâm: có thể mất điện hoặc router hỏng (không đường truyền nào trả lời từ tỉnh) — đã khôi phục lúc 08:30 (kéo dài 30 phút)',
    ]);
    expect(offlineEvents(p)[0]!.runbook?.vi).toBe(
      'gọi điện cho trung tâm: kiểm tra điện lưới, bộ lưu điện (UPS) và router/modem; nếu vẫn có điện, gọi nhà mạng',
    );
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:56 offline', '08:30:57 ready']);
    const offline = p.outputs.find((o) => o.type === 'readiness' && o.to === 'offline');
    expect(offline?.type === 'readiness' && offline.reasons.map(({ kind, ...r }) => ({ kind, cause: 'cause' in r ? r.cause : undefined }))).toEqual([
      { kind: 'no_agent_heard', cause: 'no_power' },
    ]);
    expect(offline?.type === 'readiness' && mainReason(offline.reasons, p.checks)?.text.vi).toBe('Mất liên lạc: có thể mất điện hoặc router hỏng');
  });

  it('after the fiber was announced down: the silence does not "restore" the fiber; power back resolves both', () => {
    const p = center({ lineChecks: false });
    p.run(10 * S);
    p.set(CENTER, outsideInCheckId('inet1'), false).run(5 * MIN);
    p.set(CENTER, outsideInCheckId('inet2'), false).run(45 * S);
    p.agent(CENTER, 'pc1').heard = false;
    p.run(10 * MIN);
    p.agent(CENTER, 'pc1').heard = true;
    p.set(CENTER, outsideInCheckId('inet1'), true)
      .set(CENTER, outsideInCheckId('inet2'), true)
      .run(2 * MIN);
    expect(p.messages()).toEqual([
      '08:00:40 🟠 Phường Sa Huỳnh: đường truyền inet1 (Cáp quang VNPT) mất kết nối (không trả lời khi kiểm tra từ tỉnh) từ 08:00 27/11/2026 — mất dự phòng, vẫn phục vụ bằng đường còn lại',
      '08:05:55 🔴 Phường Sa Huỳnh: không nhận được dữ liệu từ trung tâm: có thể mất điện hoặc router hỏng (không đường truyền nào trả lời từ tỉnh) từ 08:05 27/11/2026 — có thể không phục vụ được người dân',
      '08:15:55 ✅ Phường Sa Huỳnh: không nhận được dữ liệu từ trung tâm: có thể mất điện hoặc router hỏng (không đường truyền nào trả lời từ tỉnh) — đã khôi phục lúc 08:15 (kéo dài 10 phút)',
      '08:16:55 ✅ Phường Sa Huỳnh: đường truyền inet1 (Cáp quang VNPT) mất kết nối (không trả lời khi kiểm tra từ tỉnh) — đã khôi phục lúc 08:16 (kéo dài 16 phút)',
    ]);
  });

  it('while the lines answer: offline, "the PCs or the agent are down"', () => {
    const p = center();
    p.run(10 * S);
    p.agent(CENTER, 'pc1').heard = false;
    p.run(MIN);
    expect(p.messages()).toEqual([
      '08:00:10 🔴 Phường Sa Huỳnh: không nhận được dữ liệu từ trung tâm: đường truyền vẫn trả lời, có thể các máy tính đã tắt hoặc phần mềm giám sát ngừng chạy từ 08:00 27/11/2026 — có thể không phục vụ được người dân',
    ]);
    expect(offlineEvents(p)[0]!.summary.en).toBe('no data from the center: its lines answer, so its PCs are likely off or the monitoring agent stopped');
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 offline']);
  });
});

describe('a check that failed before its line did', () => {
  it('has a problem of its own: the center stays blocked when the line dies under it', () => {
    const p = center();
    p.run(10 * S);
    p.set(CENTER, 'provincial-system', false).run(5 * MIN);
    p.set(CENTER, 'line-inet1', false).run(5 * MIN);
    expect(p.readiness(CENTER)).toEqual(['08:00:00 ready', '08:00:11 blocked']);
    expect(p.messages()).toEqual([
      '08:00:40 🔴 Phường Sa Huỳnh: không truy cập được Hệ thống một cửa tỉnh từ 08:00 27/11/2026 — trung tâm không thể phục vụ việc này',
      '08:05:10 🟠 Phường Sa Huỳnh: đường truyền inet1 (Cáp quang VNPT) mất kết nối từ 08:05 27/11/2026 — mất dự phòng, vẫn phục vụ bằng đường còn lại',
    ]);
  });
});

describe("the verdict on a center's lines (pure)", () => {
  const check = (id: string, extra: Partial<CheckSnapshot>): CheckSnapshot => ({
    province: 'qng',
    center: CENTER,
    agent: 'pc1',
    check: id,
    kind: 'icmp',
    impact: 'blocking',
    up: true,
    degraded: false,
    ...extra,
  });
  const router = (line: string, up: boolean) => check(`wan-${line}`, { kind: 'router', line, group: 'lines', up });
  const outside = (line: string, up: boolean) => check(outsideInCheckId(line), { agent: '', kind: OUTSIDE_IN_KIND, line, impact: 'info', up });

  it('a line is down by its router check or by the province while the center is heard', () => {
    const byRouter = centerLines([router('fiber', false), outside('fiber', true), router('4g', true)], 'lines', true);
    expect([...byRouter.down].map(([l, c]) => `${l}: ${c.check}`)).toEqual(['fiber: wan-fiber']);
    expect([...byRouter.up]).toEqual(['4g']);
    const byProvince = centerLines([router('fiber', true), outside('fiber', false), router('4g', true)], 'lines', true);
    expect([...byProvince.down].map(([l, c]) => `${l}: ${c.check}`)).toEqual(['fiber: outside-in:fiber']);
    // Both say so: the router's check stands for the line.
    expect(centerLines([outside('fiber', false), router('fiber', false), router('4g', true)], 'lines', true).down.get('fiber')?.check).toBe('wan-fiber');
    // Unheard, an unanswered address says nothing of its line.
    const silent = centerLines([outside('fiber', false), router('4g', true)], 'lines', false);
    expect([silent.down.size, silent.outsideInHeld]).toEqual([0, true]);
  });

  it('readiness weighs a line once, leaves out what a dead line explains, and takes one system over two lines as alternatives', () => {
    const checks = [
      router('fiber', false),
      outside('fiber', false),
      router('4g', true),
      check('portal-fiber', { kind: 'http', line: 'fiber', title: { vi: 'Cổng DVC', en: 'Portal' } }),
      check('one-stop-fiber', { kind: 'http', line: 'fiber', up: false }),
      check('vneid-fiber', { kind: 'http', line: 'fiber', title: { vi: 'VNeID', en: 'VNeID' } }),
      check('vneid-4g', { kind: 'http', line: '4g', title: { vi: 'VNeID', en: 'VNeID' }, up: false }),
    ];
    const lines = centerLines(checks, 'lines', true);
    const healthy = centerLines([router('fiber', true), router('4g', true)], 'lines', true);
    expect(readinessView(checks, lines, new Map(), 'lines')).toEqual({
      checks: [
        { id: 'wan-fiber', impact: 'blocking', group: 'lines', up: false, degraded: false },
        { id: 'wan-4g', impact: 'blocking', group: 'lines', up: true, degraded: false },
        { id: 'vneid-4g', impact: 'blocking', up: false, degraded: false },
      ],
      groups: [],
    });
    const both = checks.slice(5).map((c) => ({ ...c, up: c.check === 'vneid-fiber' }));
    expect(readinessView(both, healthy, new Map(), 'lines')).toEqual({
      checks: [
        { id: 'wan-fiber', impact: 'blocking', group: 'lines', up: true, degraded: false },
        { id: 'wan-4g', impact: 'blocking', group: 'lines', up: true, degraded: false },
        { id: 'vneid-fiber', impact: 'blocking', group: 'http: VNeID', up: true, degraded: false },
        { id: 'vneid-4g', impact: 'blocking', group: 'http: VNeID', up: false, degraded: false },
      ],
      groups: [{ name: 'http: VNeID', mode: 'any_of', impact: 'blocking' }],
    });
  });

  it('why a center is silent: no outside-in result, every address silent, one answering', () => {
    expect(offlineCause([])).toBe('unknown');
    expect(offlineCause([outside('fiber', false), outside('4g', false)])).toBe('no_power');
    expect(offlineCause([outside('fiber', false), outside('4g', true)])).toBe('pcs_down');
  });
});
