/**
 * Which line each center is on, from where its pushes come: the source address of its agents' latest
 * pushes (LatestState) mapped to one of its inventory lines by their public addresses or prefixes. The
 * first line of the inventory is the main one; a center on another one makes a synthetic check result
 * (`line-in-use`, degrading) that goes through the engine like any other: one warning naming the main
 * line, resolved when the center is back on it, silences and office hours as usual.
 */
import { LINE_IN_USE_CHECK, LINE_IN_USE_KIND } from '../engine/describe.js';
import type { CheckSnapshot } from '../engine/evaluate.js';
import type { InventoryLine, LineKind } from '../fleet/types.js';
import { lineOfAddress } from './line-address.js';
import type { Bilingual } from '../notifiers/event.js';
import type { LatestState } from '../state.js';

/** The line name when the address matches none of a center's configured addresses. */
export const UNKNOWN_LINE = 'unknown';

/** What a center is on now, and since when (since the first push from it after the server started). */
export interface CenterLine {
  province: string;
  center: string;
  /** The inventory line's name, or `unknown`. */
  name: string;
  kind?: LineKind;
  isp?: string;
  /** Whether it is the first line of the inventory (false for `unknown`). */
  main: boolean;
  sinceMs: number;
  /** The source address of the push that says so. Not for open reads: it names the center's network. */
  address: string;
}

const KIND_WORDS: Record<LineKind, Bilingual> = {
  fiber: { vi: 'Cáp quang', en: 'Fiber' },
  adsl: { vi: 'ADSL', en: 'ADSL' },
  '4g': { vi: '4G', en: '4G' },
  '5g': { vi: '5G', en: '5G' },
  leased: { vi: 'Kênh thuê riêng', en: 'Leased line' },
  satellite: { vi: 'Vệ tinh', en: 'Satellite' },
  other: { vi: 'Đường', en: 'Line' },
};

/** A line as people call it: "Cáp quang VNPT", "4G Viettel". */
export function lineTitle(l: Pick<InventoryLine, 'kind' | 'isp'>): Bilingual {
  const k = KIND_WORDS[l.kind];
  return { vi: `${k.vi} ${l.isp}`, en: `${k.en} ${l.isp}` };
}

/** What the warning says: the backup in use and the main line presumed dead. */
export function backupWords(backup: Pick<InventoryLine, 'kind' | 'isp'>, main: Pick<InventoryLine, 'kind' | 'isp'>): Bilingual {
  const b = lineTitle(backup);
  const m = lineTitle(main);
  return {
    vi: `đang chạy bằng đường dự phòng ${b.vi}: đường chính ${m.vi} có thể đã mất`,
    en: `running on the backup line ${b.en}: the main line ${m.en} may be down`,
  };
}

/** Per center: its province and inventory lines (the first the main one). */
export type InventoryLines = () => ReadonlyMap<string, readonly InventoryLine[]>;

interface Tracked extends CenterLine {
  /** The inventory lines the mapping was made with (a re-import maps again). */
  lines: readonly InventoryLine[];
  check?: CheckSnapshot;
}

export class LineInUse {
  private readonly byCenter = new Map<string, Tracked>();

  constructor(
    private readonly state: LatestState,
    private readonly inventory: InventoryLines,
  ) {}

  /**
   * The line of every center whose lines have public addresses, from its agents' latest pushes. Agents of
   * a center share its router, so they agree; if they disagree (one still on a kept-alive connection
   * from before a failover), the most recent push decides.
   */
  read(): ReadonlyMap<string, CenterLine> {
    return this.update();
  }

  private update(): ReadonlyMap<string, Tracked> {
    const inventory = this.inventory();
    const latest = new Map<string, { province: string; address: string; sinceMs: number; heardMs: number }>();
    this.state.forEachAgent((a) => {
      if (a.address === undefined) return;
      const l = latest.get(a.center);
      if (l && l.heardMs >= a.lastHeardMs) return;
      latest.set(a.center, { province: a.province, address: a.address, sinceMs: a.addressSinceMs ?? a.lastHeardMs, heardMs: a.lastHeardMs });
    });
    for (const [center, push] of latest) {
      const lines = inventory.get(center);
      if (!lines || !lines.some((l) => l.public?.length)) {
        this.byCenter.delete(center);
        continue;
      }
      const prev = this.byCenter.get(center);
      if (prev && prev.address === push.address && prev.lines === lines) continue;
      const line = lineOfAddress(lines, push.address);
      const name = line?.name ?? UNKNOWN_LINE;
      const changed = !prev || prev.name !== name;
      // A move: from the deciding agent's first push from this address, unless that was before the
      // center's last move (an agent still on a connection from before it), then from this push.
      const since = !prev ? this.earliestFrom(center, push.address) : !changed ? prev.sinceMs : push.sinceMs >= prev.sinceMs ? push.sinceMs : push.heardMs;
      const next: Tracked = {
        province: push.province,
        center,
        name,
        ...(line ? { kind: line.kind, isp: line.isp } : {}),
        main: line !== undefined && line === lines[0],
        sinceMs: since,
        address: push.address,
        lines,
        ...(prev?.check ? { check: prev.check } : {}),
      };
      this.byCenter.set(center, next);
    }
    for (const center of this.byCenter.keys()) if (!latest.has(center)) this.byCenter.delete(center);
    return this.byCenter;
  }

  /** The first push from `address` of the center's agents (they share its router, so its public address). */
  private earliestFrom(center: string, address: string): number {
    let first = Infinity;
    this.state.forEachAgent((a) => {
      if (a.center === center && a.address === address) first = Math.min(first, a.addressSinceMs ?? a.lastHeardMs);
    });
    return first;
  }

  /**
   * One `line-in-use` result per center with a known line: down (degrading) while it is on a line
   * other than its main one. An unknown address says nothing either way. The objects are kept and
   * updated, as the engine's other check results are.
   */
  checks(): CheckSnapshot[] {
    const out: CheckSnapshot[] = [];
    for (const t of this.update().values()) {
      if (t.name === UNKNOWN_LINE && !t.check) continue;
      const main = t.lines[0]!;
      const backup = t.lines.find((l) => l.name === t.name);
      const c = (t.check ??= {
        province: t.province,
        center: t.center,
        agent: '',
        check: LINE_IN_USE_CHECK,
        kind: LINE_IN_USE_KIND,
        impact: 'degrading',
        up: true,
        degraded: false,
      });
      if (t.name !== UNKNOWN_LINE) c.up = t.main;
      if (!t.main && backup) c.title = backupWords(backup, main);
      out.push(c);
    }
    return out;
  }
}
