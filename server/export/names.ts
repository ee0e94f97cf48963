/**
 * Names the exported files share with each other and with the outside: alert names, runbook anchors
 * and Grafana dashboard uids. Pure.
 *
 * The engine names its alerts `CheckDown`, `LinesDown`…; a Prometheus shared with other teams has its
 * own `InstanceDown`, `DiskFull` and perhaps a `CheckDown` too, and Alertmanager routes and inhibits by
 * name. The exported rules therefore prefix every name with `Centerwatch` (CamelCase, as alert names
 * are written), and everything exported that matches on a name uses the prefixed one.
 */

/** The engine's alert names, in the order the rule group evaluates them. */
export const ENGINE_ALERTS = ['CenterOffline', 'AgentSilent', 'CheckDown', 'CheckDegraded', 'LinesDown', 'UpstreamDown'] as const;
export type EngineAlert = (typeof ENGINE_ALERTS)[number];

export const ALERT_PREFIX = 'Centerwatch';

/** The name an engine alert carries in the exported rules: `CheckDown` → `CenterwatchCheckDown`. */
export const exportedName = (name: EngineAlert): string => `${ALERT_PREFIX}${name}`;

/**
 * The alert name the engine's own Prometheus-shaped messages (webhook, Alertmanager) carry: the exported
 * one, so the exported Alertmanager routes and inhibitions match the engine's alerts too. Any other name
 * (a user's label) is kept as it is.
 */
export const outgoingAlertName = (name: string): string => ((ENGINE_ALERTS as readonly string[]).includes(name) ? exportedName(name as EngineAlert) : name);

/** Anchor of each alert's section in docs/runbook.md (`<a id="…">` before its heading). */
export const RUNBOOK_ANCHORS: Record<EngineAlert, string> = {
  CenterOffline: 'center-offline',
  AgentSilent: 'agent-silent',
  CheckDown: 'check-down',
  CheckDegraded: 'check-degraded',
  LinesDown: 'lines-down',
  UpstreamDown: 'upstream-down',
};

/** The uids of the dashboards in dashboards/ that alerts link to. */
export const GRAFANA_UID = {
  provinceOverview: 'centerwatch-province',
  centerDetail: 'centerwatch-center',
  linksAcrossCenters: 'centerwatch-links',
} as const;

/** Where the exported links point. */
export interface LinkBases {
  /** The runbook (docs/runbook.md as served somewhere); anchors are appended. */
  runbookUrl: string;
  /** Grafana's root URL. */
  grafanaUrl: string;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/**
 * The link bases: given ones, else relative to `engine.public_url` (the readiness page): the runbook at
 * `<public_url>/docs/runbook.md`, Grafana on port 3000 of the same host.
 */
export function linkBases(publicUrl: string, given: Partial<LinkBases> = {}): LinkBases {
  const page = new URL(publicUrl);
  return {
    runbookUrl: trimSlash(given.runbookUrl ?? `${trimSlash(publicUrl)}/docs/runbook.md`),
    grafanaUrl: trimSlash(given.grafanaUrl ?? `${page.protocol}//${page.hostname}:3000`),
  };
}

/** The environment variables the CLI reads the link bases from (the server's config has no place for them). */
export const LINK_ENV = { runbookUrl: 'CENTERWATCH_RUNBOOK_URL', grafanaUrl: 'CENTERWATCH_GRAFANA_URL' } as const;

export function linkBasesFromEnv(env: Record<string, string | undefined>): Partial<LinkBases> {
  const out: Partial<LinkBases> = {};
  for (const [key, name] of Object.entries(LINK_ENV) as Array<[keyof LinkBases, string]>) if (env[name]) out[key] = env[name];
  return out;
}
