import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRING, NASTY, RESOLVED } from '../../test/support/notifiers/fixtures.js';
import { startCapture, type CaptureServer } from '../../test/support/notifiers/test-server.js';
import { fingerprint, webhook, type WebhookOptions } from './webhook.js';

const O: WebhookOptions = { url: 'http://127.0.0.1:1/hook' };

const LABELS = {
  line: 'all',
  alertname: 'qng-sahuynh:links',
  severity: 'critical',
  province: 'qng',
  center: 'qng-sahuynh',
  group: 'links',
};
const ANN_VI = {
  summary: 'cả hai đường truyền mất kết nối',
  description:
    '🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến\n' +
    'Cách xử lý: gọi nhà mạng, kiểm tra router\nChi tiết: https://ready.example.vn/c/qng-sahuynh',
  center_name: 'Phường Sa Huỳnh',
  url: 'https://ready.example.vn/c/qng-sahuynh',
  blocks: 'không thể tiếp nhận hồ sơ trực tuyến',
  runbook: 'gọi nhà mạng, kiểm tra router',
};

describe('webhook.format (Alertmanager webhook v4)', () => {
  it('firing, Vietnamese', () => {
    expect(webhook.format(FIRING, O, 'vi')).toEqual({
      version: '4',
      groupKey: '{}:{alertname="qng-sahuynh:links"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'centerwatch',
      groupLabels: { alertname: 'qng-sahuynh:links' },
      commonLabels: LABELS,
      commonAnnotations: ANN_VI,
      externalURL: '',
      alerts: [
        {
          status: 'firing',
          labels: LABELS,
          annotations: ANN_VI,
          startsAt: '2026-11-27T01:12:00.000Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'https://ready.example.vn/c/qng-sahuynh',
          fingerprint: fingerprint(LABELS),
        },
      ],
    });
  });

  it('resolved, English, custom receiver: endsAt is the resolve time, no runbook line', () => {
    const p = webhook.format(RESOLVED, { ...O, receiver: 'zalo-relay', externalURL: 'https://cw.example.vn' }, 'en');
    expect(p.status).toBe('resolved');
    expect(p.receiver).toBe('zalo-relay');
    expect(p.externalURL).toBe('https://cw.example.vn');
    expect(p.alerts[0]).toEqual({
      status: 'resolved',
      labels: LABELS,
      annotations: {
        summary: 'both links are down',
        description: '✅ Phường Sa Huỳnh: both links are down — recovered at 08:40 (down for 28 min)\nDetails: https://ready.example.vn/c/qng-sahuynh',
        center_name: 'Phường Sa Huỳnh',
        url: 'https://ready.example.vn/c/qng-sahuynh',
        blocks: 'cannot accept online dossiers',
        runbook: 'call the carrier, check the router',
      },
      startsAt: '2026-11-27T01:12:00.000Z',
      endsAt: '2026-11-27T01:40:00.000Z',
      generatorURL: 'https://ready.example.vn/c/qng-sahuynh',
      fingerprint: fingerprint(LABELS),
    });
  });

  it('engine fields win over user labels; the display name stays out of labels and raw in JSON', () => {
    const p = webhook.format({ ...NASTY, labels: { center: 'other', alertname: 'LinksDown' } }, O, 'vi');
    expect(p.alerts[0]!.labels).toEqual({ ...LABELS, line: undefined, alertname: 'LinksDown' });
    expect(p.groupKey).toBe('{}:{alertname="LinksDown"}');
    // The engine's own alert names go out as the exported rules name them, so exported routes and inhibitions match.
    const engine = webhook.format({ ...NASTY, labels: { alertname: 'LinesDown' } }, O, 'vi');
    expect(engine.alerts[0]!.labels.alertname).toBe('CenterwatchLinesDown');
    expect(p.alerts[0]!.annotations.center_name).toBe('Xã <script>alert(1)</script> & "Bến" >');
  });

  it('fingerprint depends on the label set, not its order', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1', b: '2' })).not.toBe(fingerprint({ a: '1', b: '3' }));
    expect(fingerprint({ a: '1' })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('webhook.send', () => {
  let cap: CaptureServer;
  beforeAll(async () => {
    cap = await startCapture();
  });
  afterAll(() => cap.close());

  it('POSTs the payload as JSON with the configured headers', async () => {
    const o: WebhookOptions = { url: `${cap.base}/hooks/cw?x=1`, headers: { authorization: 'Bearer s3cret' } };
    const payload = webhook.format(FIRING, o, 'vi');
    expect(await webhook.send(payload, o, AbortSignal.timeout(5000))).toEqual({ ok: true });
    const req = cap.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hooks/cw?x=1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('Bearer s3cret');
    expect(JSON.parse(req.body)).toEqual(payload);
  });
});
