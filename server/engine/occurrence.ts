/**
 * What a tracked alert carries and says, pure: a check's alert (ids, labels, the problem it names), the
 * severity it fires with, its summary for outputs and the message of an occurrence.
 */
import { describe, type Subject } from './describe.js';
import type { AlertSummary, CheckSnapshot, Tracked } from './evaluate.js';
import { severityOf, type Severity } from './paging.js';
import type { Impact } from './readiness.js';
import type { AlertEvent } from '../notifiers/event.js';

/**
 * What a check's alert tracks, down (CheckDown) or past a threshold (CheckDegraded): its ids, its
 * labels (the check's `impact` label stays the check's own) and the problem it names.
 */
export function checkAlert(
  c: CheckSnapshot,
  entity: string,
  subject: Subject,
  upstream: string | undefined,
  alert: { alertname: 'CheckDown' | 'CheckDegraded'; impact: Impact; urgent: boolean; group?: string },
): Omit<Tracked, 'alert' | 'lastSeenMs'> {
  return {
    entity,
    kind: 'check',
    province: c.province,
    center: c.center,
    agent: c.agent,
    check: c.check,
    subject,
    impact: alert.impact,
    urgent: alert.urgent,
    labels: {
      ...c.labels,
      province: c.province,
      center: c.center,
      agent: c.agent,
      check: c.check,
      kind: c.kind,
      ...(c.line ? { line: c.line } : {}),
      ...(alert.group ? { group: alert.group } : {}),
      impact: c.impact,
      alertname: alert.alertname,
    },
    problem: {
      province: c.province,
      center: c.center,
      agent: c.agent,
      check: c.check,
      ...(c.line ? { line: c.line } : {}),
      ...(upstream ? { upstream } : {}),
    },
  };
}

/** A blocking check with its redundancy still up only degrades the center: a warning, not a page at night. */
export function checkSeverity(t: Tracked): Severity {
  if (t.subject.kind === 'check' && t.subject.degraded) return t.impact === 'info' ? 'info' : 'warning';
  const redundant = t.subject.kind === 'check' && t.subject.redundant;
  return redundant && t.impact === 'blocking' ? 'warning' : severityOf(t.impact);
}

export function summary(t: Tracked): AlertSummary {
  const o = t.occurrence!;
  return {
    id: o.id,
    entity: t.entity,
    province: t.province,
    center: t.center,
    ...(t.check !== undefined ? { check: t.check } : {}),
    severity: o.severity,
    sinceMs: o.sinceMs,
    firedAtMs: o.firedAtMs,
    labels: { ...t.labels, severity: o.severity },
  };
}

/** The message of a tracked alert's occurrence. */
export function eventOf(t: Tracked, centerName: string, publicUrl: string, status: 'firing' | 'resolved', now: number): AlertEvent {
  const o = t.occurrence!;
  const d = describe(t.subject);
  const base = publicUrl.replace(/\/+$/, '');
  const e: AlertEvent = {
    key: `${o.id}:${status}`,
    alertId: o.id,
    status,
    severity: o.severity,
    province: t.province,
    center: t.center,
    centerName,
    summary: d.summary,
    sinceMs: o.sinceMs,
    url: t.kind === 'province' ? `${base}/` : `${base}/centers/${encodeURIComponent(t.center)}`,
    labels: { ...t.labels, severity: o.severity },
  };
  if (t.check !== undefined) e.check = t.check;
  if (d.blocks) e.blocks = d.blocks;
  if (d.runbook) e.runbook = d.runbook;
  if (status === 'resolved') e.resolvedAtMs = now;
  return e;
}
