/** Labels and annotations shared by the Prometheus-shaped channels (webhook, alertmanager); pure. */
import type { AlertEvent, Lang } from './event.js';
import { outgoingAlertName } from '../export/names.js';
import { plainText } from './text.js';

/**
 * Labels identify the alert: the event's own labels, then the fields the engine owns (which win,
 * so a user label cannot fake another center). Never the display name: labels are bounded.
 */
export function alertLabels(e: AlertEvent): Record<string, string> {
  const labels: Record<string, string> = {
    ...e.labels,
    alertname: outgoingAlertName(e.labels.alertname ?? e.alertId),
    severity: e.severity,
    province: e.province,
    center: e.center,
  };
  if (e.check !== undefined) labels.check = e.check;
  if (e.group !== undefined) labels.group = e.group;
  return labels;
}

/** Annotations carry the human text in the chosen language; JSON consumers escape it themselves. */
export function alertAnnotations(e: AlertEvent, lang: Lang): Record<string, string> {
  const a: Record<string, string> = {
    summary: e.summary[lang],
    description: plainText(e, lang),
    center_name: e.centerName,
    url: e.url,
  };
  if (e.blocks) a.blocks = e.blocks[lang];
  if (e.runbook) a.runbook = e.runbook[lang];
  return a;
}

export const iso = (tMs: number): string => new Date(tMs).toISOString();

/** Alertmanager's "not ended" value for `endsAt` in webhook payloads. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
