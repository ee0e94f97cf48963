/** Every dashboard by the name of its JSON file under dashboards/json/. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { agents } from './agents.js';
import { centerDetail } from './center-detail.js';
import { linksAcrossCenters } from './links.js';
import { provinceOverview } from './province-overview.js';

export const DASHBOARDS: Record<string, () => dashboard.Dashboard> = {
  'province-overview': provinceOverview,
  'center-detail': centerDetail,
  'links-across-centers': linksAcrossCenters,
  agents,
};

/** The committed form: two-space JSON with a final newline, so diffs stay readable. */
export const render = (d: dashboard.Dashboard): string => `${JSON.stringify(d, null, 2)}\n`;
