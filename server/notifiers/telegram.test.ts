import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRING, NASTY, RESOLVED } from '../../test/support/notifiers/fixtures.js';
import { telegram, type TelegramOptions } from './telegram.js';
import { startCapture, type CaptureServer } from '../../test/support/notifiers/test-server.js';

const TOKEN = '123456:AAE-secret-token-never-shown';
const O: TelegramOptions = { token: TOKEN, chatId: -1001234567890 };

describe('telegram.format (sendMessage, parse_mode HTML)', () => {
  it.each([
    [
      'firing vi',
      FIRING,
      'vi',
      '<b>🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến</b>\n' +
        'Cách xử lý: gọi nhà mạng, kiểm tra router\n' +
        '<a href="https://ready.example.vn/c/qng-sahuynh">Chi tiết</a>',
    ],
    [
      'firing en',
      FIRING,
      'en',
      '<b>🔴 Phường Sa Huỳnh: both links are down since 08:12 27/11/2026 — cannot accept online dossiers</b>\n' +
        'What to do: call the carrier, check the router\n' +
        '<a href="https://ready.example.vn/c/qng-sahuynh">Details</a>',
    ],
    [
      'resolved vi',
      RESOLVED,
      'vi',
      '<b>✅ Phường Sa Huỳnh: cả hai đường truyền mất kết nối — đã khôi phục lúc 08:40 (kéo dài 28 phút)</b>\n' +
        '<a href="https://ready.example.vn/c/qng-sahuynh">Chi tiết</a>',
    ],
    [
      'resolved en',
      RESOLVED,
      'en',
      '<b>✅ Phường Sa Huỳnh: both links are down — recovered at 08:40 (down for 28 min)</b>\n' +
        '<a href="https://ready.example.vn/c/qng-sahuynh">Details</a>',
    ],
    [
      'markup in user text is escaped, quotes in the link attribute too',
      { ...NASTY, runbook: { vi: 'kiểm tra <router> & modem', en: '' }, url: 'https://r.example.vn/c?a=1&b="x"' },
      'vi',
      '<b>🔴 Xã &lt;script&gt;alert(1)&lt;/script&gt; &amp; "Bến" &gt;: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến</b>\n' +
        'Cách xử lý: kiểm tra &lt;router&gt; &amp; modem\n' +
        '<a href="https://r.example.vn/c?a=1&amp;b=&quot;x&quot;">Chi tiết</a>',
    ],
  ] as const)('%s', (_name, event, lang, text) => {
    expect(telegram.format(event, O, lang)).toEqual({ chat_id: -1001234567890, text, parse_mode: 'HTML' });
  });

  it('keeps a string chat id (@channel) as given and never puts the token in the payload', () => {
    const p = telegram.format(FIRING, { token: TOKEN, chatId: '@cw_qng' }, 'vi');
    expect(p.chat_id).toBe('@cw_qng');
    expect(JSON.stringify(p)).not.toContain('secret-token');
  });
});

describe('telegram.send', () => {
  let cap: CaptureServer;
  beforeAll(async () => {
    cap = await startCapture();
  });
  afterAll(() => cap.close());

  it('POST /bot<token>/sendMessage with a JSON body, as the Bot API documents', async () => {
    const o = { ...O, baseUrl: `${cap.base}/` };
    const payload = telegram.format(NASTY, o, 'vi');
    expect(await telegram.send(payload, o, AbortSignal.timeout(5000))).toEqual({ ok: true });
    const req = cap.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`/bot${TOKEN}/sendMessage`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual(payload);
  });

  it('a bot blocked by the user (403) is final and the result does not carry the token', async () => {
    cap.respond(403, '{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}');
    const r = await telegram.send(telegram.format(FIRING, O, 'vi'), { ...O, baseUrl: cap.base }, AbortSignal.timeout(5000));
    cap.respond(200);
    expect(r).toEqual({ ok: false, retryable: false, status: 403, reason: 'http_status' });
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('headers sent then silence: the message was delivered (ok), returned within the deadline + 1 s', async () => {
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ok":');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
      const t0 = performance.now();
      const r = await telegram.send(telegram.format(FIRING, O, 'vi'), { ...O, baseUrl: base }, AbortSignal.timeout(500));
      expect(r).toEqual({ ok: true });
      expect(performance.now() - t0).toBeLessThan(1500);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
