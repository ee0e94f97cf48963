/**
 * `centerwatch-server export <target>`: each target's pure exporter (ServerConfig → file text). The
 * links in the rules' annotations take their bases from CENTERWATCH_RUNBOOK_URL and
 * CENTERWATCH_GRAFANA_URL when set (names.ts, LINK_ENV), else from `engine.public_url`.
 */
import type { ServerConfig } from '../config/schema.js';
import { alertmanagerConfig } from './alertmanager-config.js';
import { prometheusConfig } from './prometheus-config.js';
import { prometheusRules } from './prometheus-rules.js';
import { linkBasesFromEnv } from './names.js';

export const EXPORTERS = {
  'prometheus-rules': (cfg: ServerConfig): string => prometheusRules(cfg, { links: linkBasesFromEnv(process.env) }),
  'alertmanager-config': (cfg: ServerConfig): string => alertmanagerConfig(cfg),
  'prometheus-config': (cfg: ServerConfig): string => prometheusConfig(cfg),
} as const satisfies Record<string, (cfg: ServerConfig) => string>;

export type ExportTarget = keyof typeof EXPORTERS;

export function isExportTarget(name: string | undefined): name is ExportTarget {
  return name !== undefined && Object.hasOwn(EXPORTERS, name);
}
