import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanager, type AlertmanagerOptions } from './alertmanager.js';
import { FIRING, NASTY, RESOLVED } from '../../test/support/notifiers/fixtures.js';
import { startCapture, type CaptureServer } from '../../test/support/notifiers/test-server.js';

const O: AlertmanagerOptions = { url: 'http://127.0.0.1:1' };
const LABELS = { line: 'all', alertname: 'qng-sahuynh:links', severity: 'critical', province: 'qng', center: 'qng-sahuynh', group: 'links' };

describe('alertmanager.format (POST /api/v2/alerts body)', () => {
  it('firing, Vietnamese: no endsAt (Alertmanager applies resolve_timeout)', () => {
    expect(alertmanager.format(FIRING, O, 'vi')).toEqual([
      {
        labels: LABELS,
        annotations: {
          summary: 'cả hai đường truyền mất kết nối',
          description:
            '🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến\n' +
            'Cách xử lý: gọi nhà mạng, kiểm tra router\nChi tiết: https://ready.example.vn/c/qng-sahuynh',
          center_name: 'Phường Sa Huỳnh',
          url: 'https://ready.example.vn/c/qng-sahuynh',
          blocks: 'không thể tiếp nhận hồ sơ trực tuyến',
          runbook: 'gọi nhà mạng, kiểm tra router',
        },
        startsAt: '2026-11-27T01:12:00.000Z',
        generatorURL: 'https://ready.example.vn/c/qng-sahuynh',
      },
    ]);
    expect('endsAt' in alertmanager.format(FIRING, O, 'vi')[0]!).toBe(false);
  });

  it('resolved, English: endsAt is the resolve time', () => {
    const [a] = alertmanager.format(RESOLVED, O, 'en');
    expect(a!.startsAt).toBe('2026-11-27T01:12:00.000Z');
    expect(a!.endsAt).toBe('2026-11-27T01:40:00.000Z');
    expect(a!.labels).toEqual(LABELS);
    expect(a!.annotations.summary).toBe('both links are down');
    expect(a!.annotations.description).toBe(
      '✅ Phường Sa Huỳnh: both links are down — recovered at 08:40 (down for 28 min)\nDetails: https://ready.example.vn/c/qng-sahuynh',
    );
  });

  it('the display name stays raw in JSON annotations and out of labels', () => {
    const [a] = alertmanager.format(NASTY, O, 'vi');
    expect(a!.annotations.center_name).toBe('Xã <script>alert(1)</script> & "Bến" >');
    expect(Object.values(a!.labels).join(' ')).not.toContain('script');
  });
});

describe('alertmanager.send', () => {
  let cap: CaptureServer;
  beforeAll(async () => {
    cap = await startCapture();
  });
  afterAll(() => cap.close());

  it.each([
    ['', '/api/v2/alerts'],
    ['/', '/api/v2/alerts'],
    ['/am', '/am/api/v2/alerts'],
  ])('base%s → POST %s with the JSON array and the configured headers', async (suffix, path) => {
    const o: AlertmanagerOptions = { url: `${cap.base}${suffix}`, headers: { authorization: 'Basic dTpw' } };
    const payload = alertmanager.format(RESOLVED, o, 'vi');
    expect(await alertmanager.send(payload, o, AbortSignal.timeout(5000))).toEqual({ ok: true });
    const req = cap.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(path);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('Basic dTpw');
    expect(JSON.parse(req.body)).toEqual(payload);
  });
});
