import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRING, NASTY, RESOLVED } from '../../test/support/notifiers/fixtures.js';
import { slack, type SlackOptions } from './slack.js';
import { startCapture, type CaptureServer } from '../../test/support/notifiers/test-server.js';

const O: SlackOptions = { url: 'http://127.0.0.1:1/services/T/B/X' };
const HEAD_VI = '🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến';

describe('slack.format', () => {
  it('slack (default): text fallback + one mrkdwn section', () => {
    expect(slack.format(FIRING, O, 'vi')).toEqual({
      text: HEAD_VI,
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `*${HEAD_VI}*\nCách xử lý: gọi nhà mạng, kiểm tra router\n<https://ready.example.vn/c/qng-sahuynh|Chi tiết>`,
          },
        },
      ],
    });
  });

  it('slack, resolved, English', () => {
    const head = '✅ Phường Sa Huỳnh: both links are down — recovered at 08:40 (down for 28 min)';
    expect(slack.format(RESOLVED, O, 'en')).toEqual({
      text: head,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${head}*\n<https://ready.example.vn/c/qng-sahuynh|Details>` } }],
    });
  });

  it('slack escapes &, <, > in user text (no injected links or <!channel> mentions)', () => {
    const p = slack.format({ ...NASTY, centerName: 'Xã <!channel> & <http://evil|x>' }, O, 'vi');
    expect(p.text).toBe(HEAD_VI.replace('Phường Sa Huỳnh', 'Xã &lt;!channel&gt; &amp; &lt;http://evil|x&gt;'));
    expect(p.blocks![0]!.text.text).toContain('*🔴 Xã &lt;!channel&gt; &amp; &lt;http://evil|x&gt;: ');
  });

  it.each(['mattermost', 'googlechat'] as const)('%s: {text} only, plain text', (flavour) => {
    expect(slack.format(NASTY, { ...O, flavour }, 'vi')).toEqual({
      text:
        '🔴 Xã <script>alert(1)</script> & "Bến" >: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến\n' +
        'Cách xử lý: gọi nhà mạng, kiểm tra router\nChi tiết: https://ready.example.vn/c/qng-sahuynh',
    });
    expect(slack.format(RESOLVED, { ...O, flavour }, 'en')).toEqual({
      text: '✅ Phường Sa Huỳnh: both links are down — recovered at 08:40 (down for 28 min)\nDetails: https://ready.example.vn/c/qng-sahuynh',
    });
  });
});

describe('slack.send', () => {
  let cap: CaptureServer;
  beforeAll(async () => {
    cap = await startCapture();
  });
  afterAll(() => cap.close());

  it('POSTs JSON to the webhook URL as given', async () => {
    cap.respond(200, 'ok'); // Slack answers a plain "ok"
    const o = { url: `${cap.base}/services/T000/B000/XXXX` };
    const payload = slack.format(FIRING, o, 'vi');
    expect(await slack.send(payload, o, AbortSignal.timeout(5000))).toEqual({ ok: true });
    const req = cap.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/services/T000/B000/XXXX');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual(payload);
  });
});
