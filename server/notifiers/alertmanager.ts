/**
 * Push to an Alertmanager (POST /api/v2/alerts), for provinces that already page through one.
 *
 * Firing alerts are sent without `endsAt`: Alertmanager then ends them after its `resolve_timeout`
 * (default 5 m) unless they are sent again, exactly as with Prometheus. The caller must therefore
 * re-send firing alerts more often than that (or raise resolve_timeout); resolved alerts carry
 * their `endsAt` and end at once.
 */
import { z } from 'zod';
import type { AlertEvent, Lang } from './event.js';
import { postJson } from './http.js';
import { alertAnnotations, alertLabels, iso } from './labels.js';
import type { NotifierDefinition } from './notifier.js';
import { headers, httpUrl, ifSet } from './options.js';

const options = z
  .object({
    /** Alertmanager base URL, e.g. `http://alertmanager:9093` (a path prefix is kept). */
    url: httpUrl,
    /** Extra request headers (e.g. basic auth of a proxy in front); never logged. */
    headers,
  })
  .strict();

export interface AlertmanagerOptions {
  /** Alertmanager base URL, e.g. `http://alertmanager:9093` (a path prefix is kept). */
  url: string;
  /** Extra request headers (e.g. basic auth of a proxy in front); never logged. Default none. */
  headers?: Record<string, string>;
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

function format(e: AlertEvent, _o: AlertmanagerOptions, lang: Lang): PostableAlert[] {
  const alert: PostableAlert = {
    labels: alertLabels(e),
    annotations: alertAnnotations(e, lang),
    startsAt: iso(e.sinceMs),
    generatorURL: e.url,
  };
  if (e.status === 'resolved') alert.endsAt = iso(e.resolvedAtMs ?? e.sinceMs);
  return [alert];
}

export const alertmanager: NotifierDefinition<typeof options, AlertmanagerOptions, PostableAlert[]> = {
  channel: 'alertmanager',
  options,
  secretKeys: [],
  toOptions: (o) => ({ url: o.url, ...ifSet('headers', o.headers) }),
  format,
  send: (payload, o, signal) => postJson(`${o.url.replace(/\/+$/, '')}/api/v2/alerts`, payload, o.headers ?? {}, signal),
};
