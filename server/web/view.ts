/**
 * What the readiness page shows, pure: tiles for centers and the plain-words reason a center is not
 * ready ("Mất kết nối Internet (cả 2 đường truyền)", "Máy in printer-2 lỗi (hết giấy)"). No HTML here.
 */
import { provinceName } from '../../common/provinces.js';
import type { Bilingual } from '../notifiers/event.js';
import { mainReason, type CheckFacts } from '../engine/describe.js';
import type { Readiness, TimedReason } from '../engine/readiness.js';
import type { LineKind } from '../fleet/types.js';
import { lineTitle } from '../lines/line-in-use.js';

export { mainReason };

export interface Tile {
  province: string;
  provinceName: string;
  center: string;
  name: string;
  state: Readiness;
  /**
   * Since when what the tile says holds: its reason's own time when not ready (the last line fell at
   * 10:05 though the center was blocked from 09:00 for another cause), else the state's.
   */
  sinceMs: number;
  /** Why it is not ready (the first, strongest reason); absent when ready. */
  reason?: Bilingual;
  /** Share of office hours ready over the last 30 days (0..1), when known. */
  uptime30d?: number;
  /** The line the center's pushes come from, when it is not its main one ("4G Viettel"), and since when. */
  backupLine?: { title: Bilingual; sinceMs: number };
}

/** What the page needs of the line a center is on (server/lines/line-in-use.ts). */
export interface LineOnTile {
  kind?: LineKind | undefined;
  isp?: string | undefined;
  main: boolean;
  sinceMs: number;
}

export function tileOf(
  c: { province: string; center: string; name: string; state: Readiness; sinceMs: number; reasons: readonly TimedReason[] },
  checks: readonly CheckFacts[],
  uptime30d: number | undefined,
  line?: LineOnTile,
): Tile {
  const reason = c.state === 'ready' ? undefined : mainReason(c.reasons, checks);
  // An unknown address says nothing of which line it is.
  const backup = line && !line.main && line.kind !== undefined && line.isp !== undefined ? { kind: line.kind, isp: line.isp } : undefined;
  return {
    province: c.province,
    provinceName: provinceName(c.province),
    center: c.center,
    name: c.name,
    state: c.state,
    sinceMs: reason?.sinceMs ?? c.sinceMs,
    ...(reason ? { reason: reason.text } : {}),
    ...(uptime30d !== undefined ? { uptime30d } : {}),
    ...(backup ? { backupLine: { title: lineTitle(backup), sinceMs: line!.sinceMs } } : {}),
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
