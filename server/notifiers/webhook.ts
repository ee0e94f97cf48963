/**
 * Generic webhook in the Alertmanager webhook v4 shape, so anything that already consumes
 * Alertmanager notifications (PagerDuty bridges, Zalo/Teams relays, ticketing) works unchanged.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertEvent, Lang } from './event.js';
import { postJson } from './http.js';
import { alertAnnotations, alertLabels, iso, ZERO_TIME } from './labels.js';
import type { NotifierDefinition } from './notifier.js';
import { headers, httpUrl, ifSet } from './options.js';

const options = z
  .object({
    /** Where to POST. */
    url: httpUrl,
    /** Extra request headers (e.g. `authorization`); never logged. */
    headers,
    /** `receiver` field of the payload. Default `centerwatch`. */
    receiver: z.string().optional(),
  })
  .strict();

export interface WebhookOptions {
  /** Where to POST. */
  url: string;
  /** Extra request headers (e.g. `authorization`); never logged. Default none. */
  headers?: Record<string, string>;
  /** `receiver` field of the payload. Default `"centerwatch"`. */
  receiver?: string;
  /** `externalURL` field: the server's public base URL. Default `""`. */
  externalURL?: string;
}

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** Like Alertmanager's, a hash of the sorted label set: the same alert keeps one fingerprint. */
export function fingerprint(labels: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(labels).sort()) h.update(`${k}\u0000${labels[k]}\u0000`);
  return h.digest('hex').slice(0, 16);
}

function format(e: AlertEvent, o: WebhookOptions, lang: Lang): WebhookPayload {
  const labels = alertLabels(e);
  const annotations = alertAnnotations(e, lang);
  return {
    version: '4',
    // One alert per notification, so the group is the alert; receivers may de-duplicate on it.
    groupKey: `{}:{alertname=${JSON.stringify(labels.alertname)}}`,
    truncatedAlerts: 0,
    status: e.status,
    receiver: o.receiver ?? 'centerwatch',
    groupLabels: { alertname: labels.alertname! },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: o.externalURL ?? '',
    alerts: [
      {
        status: e.status,
        labels,
        annotations,
        startsAt: iso(e.sinceMs),
        endsAt: e.status === 'resolved' && e.resolvedAtMs !== undefined ? iso(e.resolvedAtMs) : ZERO_TIME,
        generatorURL: e.url,
        fingerprint: fingerprint(labels),
      },
    ],
  };
}

export const webhook: NotifierDefinition<typeof options, WebhookOptions, WebhookPayload> = {
  channel: 'webhook',
  options,
  secretKeys: [],
  toOptions: (o, ctx) => ({ url: o.url, externalURL: ctx.publicUrl, ...ifSet('headers', o.headers), ...ifSet('receiver', o.receiver) }),
  format,
  // The receiver can drop a repeat (the outbox delivers at least once) on this header.
  send: (payload, o, signal, key) => postJson(o.url, payload, { ...o.headers, ...(key ? { 'idempotency-key': key } : {}) }, signal),
};
