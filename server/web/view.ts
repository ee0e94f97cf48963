/**
 * What the readiness page shows, pure: tiles for centers and the plain-words reason a center is not
 * ready ("Mất kết nối Internet (cả 2 đường truyền)", "Máy in printer-2 lỗi (hết giấy)"). No HTML here.
 */
import { provinceName } from '../../common/provinces.js';
import type { Bilingual } from '../notifiers/event.js';
import { describe, reasonText } from '../engine/describe.js';
import type { CheckSnapshot } from '../engine/evaluate.js';
import type { Readiness, ReadinessReason } from '../engine/readiness.js';

export interface Tile {
  province: string;
  provinceName: string;
  center: string;
  name: string;
  state: Readiness;
  sinceMs: number;
  /** Why it is not ready (the first, strongest reason); absent when ready. */
  reason?: Bilingual;
  /** Share of office hours ready over the last 30 days (0..1), when known. */
  uptime30d?: number;
}

const capitalize = (b: Bilingual): Bilingual => ({ vi: b.vi.charAt(0).toUpperCase() + b.vi.slice(1), en: b.en.charAt(0).toUpperCase() + b.en.slice(1) });

/** The words for one readiness reason, using what the center's checks say (kind, probe reason). */
export function reasonWords(r: ReadinessReason, checks: readonly CheckSnapshot[]): Bilingual {
  const check = (id: string) => checks.find((c) => c.check === id);
  if (r.kind === 'check_down' || r.kind === 'check_degraded') {
    const c = check(r.check);
    if (c) {
      const words = describe({ kind: 'check', check: c.check, checkKind: c.kind, impact: c.impact, redundant: false, degraded: r.kind === 'check_degraded', ...(c.line ? { line: c.line } : {}), ...(c.reason ? { reason: c.reason } : {}) }).summary;
      return capitalize(words);
    }
  }
  if (r.kind === 'group_down' && r.down.length === 1) {
    const c = check(r.down[0]!);
    if (c) return capitalize(describe({ kind: 'check', check: c.check, checkKind: c.kind, impact: c.impact, redundant: false, ...(c.line ? { line: c.line } : {}), ...(c.reason ? { reason: c.reason } : {}) }).summary);
  }
  return reasonText(r);
}

/** Worst first: the reason shown on a tile. */
const REASON_RANK: Record<ReadinessReason['kind'], number> = { no_agent_heard: 0, group_down: 1, check_down: 2, agents_silent: 3, redundancy_lost: 4, check_degraded: 5 };

export function mainReason(reasons: readonly ReadinessReason[], checks: readonly CheckSnapshot[]): Bilingual | undefined {
  const blocking = (r: ReadinessReason): number => ('impact' in r && r.impact === 'blocking' ? 0 : 1);
  const first = [...reasons].sort((a, b) => blocking(a) - blocking(b) || REASON_RANK[a.kind] - REASON_RANK[b.kind])[0];
  return first ? reasonWords(first, checks) : undefined;
}

export function tileOf(
  c: { province: string; center: string; name: string; state: Readiness; sinceMs: number; reasons: readonly ReadinessReason[] },
  checks: readonly CheckSnapshot[],
  uptime30d: number | undefined,
): Tile {
  const reason = c.state === 'ready' ? undefined : mainReason(c.reasons, checks);
  return {
    province: c.province, provinceName: provinceName(c.province), center: c.center, name: c.name, state: c.state, sinceMs: c.sinceMs,
    ...(reason ? { reason } : {}), ...(uptime30d !== undefined ? { uptime30d } : {}),
  };
}

/** One collator: `localeCompare` builds one per call, which dominated sorting 3,321 names. */
const BY_NAME = new Intl.Collator('vi');

const STATE_ORDER: Record<Readiness, number> = { blocked: 0, offline: 1, degraded: 2, ready: 3 };

/** Provinces by name; within each, centers not ready first (worst first), then by name. */
export function groupByProvince(tiles: readonly Tile[]): Array<{ province: string; name: string; tiles: Tile[] }> {
  const byProvince = new Map<string, Tile[]>();
  for (const t of tiles) {
    const list = byProvince.get(t.province);
    if (list) list.push(t);
    else byProvince.set(t.province, [t]);
  }
  return [...byProvince]
    .map(([province, list]) => ({
      province,
      name: provinceName(province),
      tiles: list.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || BY_NAME.compare(a.name, b.name)),
    }))
    .sort((a, b) => BY_NAME.compare(a.name, b.name));
}
