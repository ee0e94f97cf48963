import { METRIC } from '../../common/metrics.js';
import type { MetricSpec, Observation } from './types.js';

/** The certificate metrics every TLS-speaking probe reports, under the same keys. */
export const CERT_METRICS = {
  cert_expiry: { name: METRIC.tlsCertExpiryTimestampSeconds, help: 'Expiry of the peer certificate (unix seconds).', type: 'gauge' },
  cert_days_left: { name: METRIC.tlsCertDaysLeft, help: 'Days until the peer certificate expires.', type: 'gauge', threshold: true },
} as const satisfies Record<string, MetricSpec>;

/** Observations for a peer certificate's notAfter (unix seconds). */
export function certObservations(expirySeconds: number, nowMs = Date.now()): Observation[] {
  return [
    { metric: 'cert_expiry', value: expirySeconds },
    { metric: 'cert_days_left', value: (expirySeconds - nowMs / 1000) / 86400 },
  ];
}
