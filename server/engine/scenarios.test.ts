/**
 * Scenarios through the pure engine with a simulated clock: each is a sequence of observations and the
 * messages and readiness changes expected after it (issue 6, "What it must show").
 */
import { describe, expect, it } from 'vitest';
import { FRI_0800, MIN, Province, S } from '../../test/support/scenario-harness.js';

const UPSTREAM = {
  upstreams: [{ name: 'provincial-system', title: { vi: 'Hệ thống một cửa tỉnh', en: 'the provincial one-stop system' }, checks: ['provincial-system'] }],
};

describe('a line dies and recovers', () => {
  it('warns once (redundancy lost), says when it recovered, and the center is degraded meanwhile', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.run(10 * S);
    expect(p.readiness('sa-huynh')).toEqual(['08:00:00 ready']);
    p.set('sa-huynh', 'line-inet2', false).run(5 * MIN);
    p.set('sa-huynh', 'line-inet2', true).run(2 * MIN);
    expect(p.messages()).toEqual([
      '08:00:10 🟠 Phường Sa Huỳnh: đường truyền inet2 mất kết nối từ 08:00 27/11/2026 — mất dự phòng, vẫn phục vụ bằng đường còn lại',
      '08:05:20 ✅ Phường Sa Huỳnh: đường truyền inet2 mất kết nối — đã khôi phục lúc 08:05 (kéo dài 5 phút)',
    ]);
    // enter after 2 evaluations, leave after 3.
    expect(p.readiness('sa-huynh')).toEqual(['08:00:00 ready', '08:00:11 degraded', '08:05:12 ready']);
  });
});

describe('both lines die', () => {
  it('at once: one root-cause message, the lines and what needs them suppressed, one resolved message', () => {
    const p = new Province(FRI_0800, UPSTREAM).addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.run(12 * MIN).clear();
    p.set('sa-huynh', 'line-inet1', false).set('sa-huynh', 'line-inet2', false).set('sa-huynh', 'provincial-system', false, { reason: 'timeout' });
    p.run(28 * MIN);
    p.set('sa-huynh', 'line-inet1', true).set('sa-huynh', 'line-inet2', true).set('sa-huynh', 'provincial-system', true, { reason: 'ok' });
    p.run(2 * MIN);
    expect(p.messages()).toEqual([
      '08:12:00 🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến',
      '08:40:10 ✅ Phường Sa Huỳnh: cả hai đường truyền mất kết nối — đã khôi phục lúc 08:40 (kéo dài 28 phút)',
    ]);
    expect(p.notes('suppressed').sort()).toEqual(['check:sa-huynh/pc1/line-inet1', 'check:sa-huynh/pc1/line-inet2', 'check:sa-huynh/pc1/provincial-system']);
    expect(p.readiness('sa-huynh')).toEqual(['08:12:01 blocked', '08:40:02 ready']);
  });

  it('one after the other: the first line was announced, so its resolved message comes too', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.run(5 * S);
    p.set('sa-huynh', 'line-inet1', false).run(MIN);
    p.set('sa-huynh', 'line-inet2', false).run(10 * MIN);
    p.set('sa-huynh', 'line-inet1', true).set('sa-huynh', 'line-inet2', true).run(MIN);
    expect(p.messages()).toEqual([
      '08:00:05 🟠 Phường Sa Huỳnh: đường truyền inet1 mất kết nối từ 08:00 27/11/2026 — mất dự phòng, vẫn phục vụ bằng đường còn lại',
      '08:01:05 🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:01 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến',
      '08:11:15 ✅ Phường Sa Huỳnh: đường truyền inet1 mất kết nối — đã khôi phục lúc 08:11 (kéo dài 11 phút)',
      '08:11:15 ✅ Phường Sa Huỳnh: cả hai đường truyền mất kết nối — đã khôi phục lúc 08:11 (kéo dài 10 phút)',
    ]);
  });

  it('a problem that outlives its root is announced once it has held its own `for` after the root resolved', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.run(5 * S);
    p.set('sa-huynh', 'line-inet1', false)
      .set('sa-huynh', 'line-inet2', false)
      .set('sa-huynh', 'provincial-system', false)
      .run(5 * MIN);
    p.set('sa-huynh', 'line-inet1', true).set('sa-huynh', 'line-inet2', true).run(MIN);
    const msgs = p.messages();
    expect(msgs).toHaveLength(3);
    // The lines resolved at 08:05:15; a check bound to one needs its own `for` (30 s) to say it is still down.
    expect(msgs[2]).toMatch(/^08:05:45 🔴 Phường Sa Huỳnh: không truy cập được provincial-system từ 08:00/);
  });
});

/** A small seeded PRNG (mulberry32): the same "random" loss in every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('flapping', () => {
  it('30 % random loss for an hour: one degraded warning, no down/up storm', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    // The agent's continuous line probe: an echo every 200 ms, down after 2 s without a reply,
    // degraded above 5 % loss over 30 s (config/default.yaml's thresholds).
    const random = rng(42);
    const replies: boolean[] = [];
    let lastReply = p.nowMs;
    const hour = p.nowMs + 3600 * S;
    for (let t = p.nowMs; t < hour; t += S) {
      for (let k = 0; k < 5; k++) {
        const ok = random() >= 0.3;
        replies.push(ok);
        if (ok) lastReply = t + k * 200;
      }
      const window = replies.slice(-150);
      const loss = window.filter((r) => !r).length / window.length;
      p.set('sa-huynh', 'line-inet2', t - lastReply < 2000, { degraded: loss > 0.05 });
      p.nowMs = t;
      p.evaluateNow();
    }
    expect(p.messages()).toEqual([
      '08:00:30 🟠 Phường Sa Huỳnh: đường truyền inet2 chất lượng kém (vượt ngưỡng) từ 08:00 27/11/2026 — vẫn phục vụ nhưng chậm hoặc chập chờn',
    ]);
    expect(p.outputs.filter((o) => o.type === 'fire')).toHaveLength(1);
  });

  it('a line that drops every 10 s is one alert, marked flapping, resolved once it is steady', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    for (let i = 0; i < 60; i++) {
      p.set('sa-huynh', 'line-inet2', false).run(3 * S);
      p.set('sa-huynh', 'line-inet2', true).run(7 * S);
    }
    p.run(15 * MIN);
    const msgs = p.messages();
    expect(msgs).toHaveLength(2);
    expect(msgs[0]).toMatch(/^08:00:00 🟠 .*inet2 mất kết nối/);
    expect(msgs[1]).toMatch(/✅ .*inet2 mất kết nối — đã khôi phục/);
    expect(p.notes('flapping').length).toBeGreaterThan(0);
  });
});

describe('a shared upstream fails for 50 centers', () => {
  it('one province-wide message instead of 50, one resolved message', () => {
    const p = new Province(FRI_0800, UPSTREAM);
    for (let i = 1; i <= 60; i++) p.addCenter(`xa-${i}`, `Xã ${i}`);
    p.run(10 * S);
    for (let i = 1; i <= 50; i++) p.set(`xa-${i}`, 'provincial-system', false, { reason: 'timeout' });
    p.run(5 * MIN);
    for (let i = 1; i <= 50; i++) p.set(`xa-${i}`, 'provincial-system', true, { reason: 'ok' });
    p.run(3 * MIN);
    expect(p.messages()).toEqual([
      '08:00:40 🔴 qng: Hệ thống một cửa tỉnh không truy cập được từ 50 trung tâm từ 08:00 27/11/2026 — các trung tâm không thể giải quyết hồ sơ trên hệ thống này',
      '08:06:10 ✅ qng: Hệ thống một cửa tỉnh không truy cập được từ 50 trung tâm — đã khôi phục lúc 08:06 (kéo dài 5 phút)',
    ]);
    expect(p.notes('suppressed')).toHaveLength(50);
  });

  it('two centers failing is their own problem: a message each', () => {
    const p = new Province(FRI_0800, UPSTREAM);
    for (let i = 1; i <= 10; i++) p.addCenter(`xa-${i}`, `Xã ${i}`);
    p.run(10 * S);
    p.set('xa-1', 'provincial-system', false).set('xa-2', 'provincial-system', false).run(MIN);
    const msgs = p.messages();
    expect(msgs).toHaveLength(2);
    expect(msgs[0]).toMatch(
      /^08:00:40 🔴 Xã 1: không truy cập được Hệ thống một cửa tỉnh \(quá thời gian chờ\)|^08:00:40 🔴 Xã 1: không truy cập được Hệ thống một cửa tỉnh từ/,
    );
    expect(msgs[1]).toMatch(/^08:00:40 🔴 Xã 2: /);
  });
});

describe('an agent goes silent vs the whole center goes silent', () => {
  it('one silent machine is a warning; every machine silent is the center offline, its checks held', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh').addAgent('sa-huynh', 'pc2');
    p.run(10 * S);
    p.agent('sa-huynh', 'pc2').heard = false;
    p.run(MIN);
    p.agent('sa-huynh', 'pc1').heard = false;
    // The lines die too, unseen: the agent cannot report them while the center is silent.
    p.set('sa-huynh', 'line-inet1', false)
      .set('sa-huynh', 'line-inet2', false)
      .run(10 * MIN);
    p.agent('sa-huynh', 'pc1').heard = true;
    p.agent('sa-huynh', 'pc2').heard = true;
    p.set('sa-huynh', 'line-inet1', true).set('sa-huynh', 'line-inet2', true).run(MIN);
    expect(p.messages()).toEqual([
      '08:00:10 🟠 Phường Sa Huỳnh: máy pc2 không gửi dữ liệu từ 08:00 27/11/2026',
      '08:01:10 🔴 Phường Sa Huỳnh: không nhận được dữ liệu từ trung tâm (chưa rõ nguyên nhân) từ 08:01 27/11/2026 — có thể không phục vụ được người dân',
      '08:11:10 ✅ Phường Sa Huỳnh: không nhận được dữ liệu từ trung tâm (chưa rõ nguyên nhân) — đã khôi phục lúc 08:11 (kéo dài 10 phút)',
      '08:11:10 ✅ Phường Sa Huỳnh: máy pc2 không gửi dữ liệu — đã khôi phục lúc 08:11 (kéo dài 11 phút)',
    ]);
    expect(p.readiness('sa-huynh')).toEqual(['08:00:00 ready', '08:00:11 degraded', '08:01:11 offline', '08:11:12 ready']);
    // The checks of silent agents were held, not reported as down.
    expect(p.outputs.filter((o) => o.type === 'fire' && o.alert.entity.startsWith('check:'))).toHaveLength(0);
  });
});

describe('office hours', () => {
  /** Saturday 28/11/2026 10:00 UTC+7. */
  const SAT_1000 = Date.UTC(2026, 10, 28, 3, 0);

  it('a printer down on Saturday waits for Monday 07:00 (the lead time before opening)', () => {
    const p = new Province(SAT_1000).addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.run(5 * S);
    p.set('sa-huynh', 'printer-1', false, { reason: 'media_empty' });
    // Until Monday 07:05 (45 h): one evaluation a minute is enough here.
    p.run(45 * 60 * MIN + 5 * MIN, MIN);
    expect(p.messages()).toEqual(['07:00:05 🟠 Phường Sa Huỳnh: Máy in printer-1 lỗi (hết giấy) từ 10:00 28/11/2026']);
    expect(p.outputs.find((o) => o.type === 'message')!.at).toBe(Date.UTC(2026, 10, 30, 0, 0, 5));
    expect(p.notes('held')).toEqual(['check:sa-huynh/pc1/printer-1']);
  });

  it('a Saturday-morning province pages at once', () => {
    const p = new Province(SAT_1000, { calendar: { saturday_morning: true } }).addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.run(5 * S);
    p.set('sa-huynh', 'printer-1', false).run(MIN);
    expect(p.messages()).toHaveLength(1);
    expect(p.messages()[0]).toMatch(/^10:00:35 🟠/);
  });

  it('both lines lost at night page at once: urgent', () => {
    const p = new Province(Date.UTC(2026, 10, 26, 19, 0)).addCenter('sa-huynh', 'Phường Sa Huỳnh'); // 02:00 Friday
    p.run(5 * S);
    p.set('sa-huynh', 'line-inet1', false).set('sa-huynh', 'line-inet2', false).run(MIN);
    expect(p.messages()).toEqual(['02:00:05 🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 02:00 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến']);
  });

  it('a holiday is closed; a problem fixed before the next opening sends nothing', () => {
    // 2026-09-02, National Day (a Wednesday).
    const p = new Province(Date.UTC(2026, 8, 2, 2, 0), { calendar: { holidays: ['2026-09-02'] } }).addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.run(5 * S);
    p.set('sa-huynh', 'printer-1', false).run(2 * 60 * MIN, MIN);
    p.set('sa-huynh', 'printer-1', true).run(2 * MIN, S);
    expect(p.messages()).toEqual([]);
    expect(p.outputs.filter((o) => o.type === 'resolve')).toHaveLength(1);
  });

  it('the lunch break holds a printer until 13:00, half an hour before the counters reopen', () => {
    const p = new Province(Date.UTC(2026, 10, 27, 4, 45)).addCenter('sa-huynh', 'Phường Sa Huỳnh'); // 11:45
    p.run(5 * S);
    p.set('sa-huynh', 'printer-1', false).run(80 * MIN, MIN);
    expect(p.messages()).toEqual(['13:00:05 🟠 Phường Sa Huỳnh: Máy in printer-1 lỗi từ 11:45 27/11/2026']);
  });
});

describe('silences and maintenance windows', () => {
  it('a silence on a center holds its messages; what still fires when it ends is announced then', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh').addCenter('duc-pho', 'Phường Đức Phổ');
    p.silences = [{ matchers: [{ label: 'center', op: '=', value: 'sa-huynh' }], startsMs: FRI_0800, endsMs: FRI_0800 + 20 * MIN }];
    p.run(5 * S);
    p.set('sa-huynh', 'printer-1', false)
      .set('duc-pho', 'printer-1', false)
      .run(30 * MIN);
    expect(p.messages()).toEqual([
      '08:00:35 🟠 Phường Đức Phổ: Máy in printer-1 lỗi từ 08:00 27/11/2026',
      '08:20:00 🟠 Phường Sa Huỳnh: Máy in printer-1 lỗi từ 08:00 27/11/2026',
    ]);
    expect(p.notes('silenced')).toEqual(['check:sa-huynh/pc1/printer-1']);
  });

  it('a weekly maintenance window (Friday 08:00–09:00) swallows a line cut fixed inside it', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.silences = [
      { matchers: [{ label: 'center', op: '=~', value: 'sa-.*' }], startsMs: 0, endsMs: Number.MAX_SAFE_INTEGER, recurring: 'weekly fri 08:00-09:00' },
    ];
    p.run(5 * S);
    p.set('sa-huynh', 'line-inet1', false)
      .set('sa-huynh', 'line-inet2', false)
      .run(30 * MIN);
    p.set('sa-huynh', 'line-inet1', true).set('sa-huynh', 'line-inet2', true).run(MIN);
    expect(p.messages()).toEqual([]);
    // Recorded all the same: the readiness history is not silenced.
    expect(p.readiness('sa-huynh')).toEqual(['08:00:00 ready', '08:00:06 blocked', '08:30:07 ready']);
  });
});

describe('messages name the line and its carrier (the line description)', () => {
  it('one line down: summary and what to do name its carrier; then both: each line with its carrier', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.set('sa-huynh', 'line-inet1', true, { lineDescription: 'Viettel FTTH' }).set('sa-huynh', 'line-inet2', true, { lineDescription: 'Cáp quang VNPT' });
    p.run(5 * S);
    p.set('sa-huynh', 'line-inet2', false).run(MIN);
    p.set('sa-huynh', 'line-inet1', false).run(MIN);
    const events = p.outputs.flatMap((o) => (o.type === 'message' ? [o.event] : []));
    expect(events.map((e) => [e.summary.vi, e.runbook?.vi])).toEqual([
      ['đường truyền inet2 (Cáp quang VNPT) mất kết nối', 'gọi nhà mạng của đường truyền này (Cáp quang VNPT); kiểm tra modem/router'],
      [
        'cả hai đường truyền mất kết nối',
        'gọi nhà mạng của từng đường truyền: inet1 (Viettel FTTH), inet2 (Cáp quang VNPT); kiểm tra router, modem và nguồn điện',
      ],
    ]);
    expect(events[1]!.runbook?.en).toBe("call each line's carrier: inet1 (Viettel FTTH), inet2 (Cáp quang VNPT); check the router, modem and power");
  });

  it('a degraded line: the warning names the carrier to tell', () => {
    const p = new Province().addCenter('sa-huynh', 'Phường Sa Huỳnh');
    p.set('sa-huynh', 'line-inet2', true, { lineDescription: 'Cáp quang VNPT' }).run(5 * S);
    p.set('sa-huynh', 'line-inet2', true, { degraded: true }).run(5 * MIN);
    const event = p.outputs.flatMap((o) => (o.type === 'message' ? [o.event] : []))[0]!;
    expect([event.summary.vi, event.runbook?.vi]).toEqual([
      'đường truyền inet2 (Cáp quang VNPT) chất lượng kém (vượt ngưỡng)',
      'báo nhà mạng (Cáp quang VNPT): mất gói hoặc trễ cao',
    ]);
  });
});
