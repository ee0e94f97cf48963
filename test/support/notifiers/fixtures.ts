/** Test-only: events shared by the notifier tests. */
import type { AlertEvent } from '../../../server/notifiers/event.js';

/** 08:12 27/11/2026 in UTC+7. */
export const SINCE = Date.UTC(2026, 10, 27, 1, 12);

export const FIRING: AlertEvent = {
  key: 'qng-sahuynh:links:firing',
  alertId: 'qng-sahuynh:links',
  status: 'firing',
  severity: 'critical',
  province: 'qng',
  center: 'qng-sahuynh',
  centerName: 'Phường Sa Huỳnh',
  group: 'links',
  summary: { vi: 'cả hai đường truyền mất kết nối', en: 'both links are down' },
  blocks: { vi: 'không thể tiếp nhận hồ sơ trực tuyến', en: 'cannot accept online dossiers' },
  runbook: { vi: 'gọi nhà mạng, kiểm tra router', en: 'call the carrier, check the router' },
  sinceMs: SINCE,
  url: 'https://ready.example.vn/c/qng-sahuynh',
  labels: { line: 'all' },
};

export const RESOLVED: AlertEvent = {
  ...FIRING,
  key: 'qng-sahuynh:links:resolved',
  status: 'resolved',
  resolvedAtMs: SINCE + 28 * 60_000,
};

/** A center name that is markup in HTML and Slack mrkdwn. */
export const NASTY: AlertEvent = { ...FIRING, centerName: 'Xã <script>alert(1)</script> & "Bến" >' };
