/** `centerwatch-server export <target>`: each target's pure exporter (ServerConfig → file text). */
import type { ServerConfig } from '../config/schema.js';
import { alertmanagerConfig } from './alertmanager-config.js';
import { prometheusConfig } from './prometheus-config.js';
import { prometheusRules } from './prometheus-rules.js';

export const EXPORTERS = {
  'prometheus-rules': (cfg: ServerConfig): string => prometheusRules(cfg),
  'alertmanager-config': (cfg: ServerConfig): string => alertmanagerConfig(cfg),
  'prometheus-config': (cfg: ServerConfig): string => prometheusConfig(cfg),
} as const satisfies Record<string, (cfg: ServerConfig) => string>;

export type ExportTarget = keyof typeof EXPORTERS;

export function isExportTarget(name: string | undefined): name is ExportTarget {
  return name !== undefined && Object.hasOwn(EXPORTERS, name);
}
