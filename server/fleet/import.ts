/** An inventory file into the store: what `centers import` and `POST /inventory/centers` share. */
import type { ConfigProblem } from '../../common/config-errors.js';
import { provinceId, unknownProvinceMessage } from './inventory-schema.js';
import { parseInventory, type ParsedCenter } from './inventory.js';
import type { FleetStore, InventoryCenter, UpsertResult } from './types.js';

export type ImportPlan =
  | {
      ok: true;
      shape: 'reference' | 'inventory';
      /** The centers to store (of the province, when one was given). */
      centers: ParsedCenter[];
      /** Centers of other provinces the province filter left out. */
      skipped: number;
      /** The province id the import was limited to. */
      province?: string;
    }
  | { ok: false; problems: ConfigProblem[] };

/** Parses an inventory file; with `province` (official code or id) only that province's centers are kept. */
export function planImport(text: string, file: string, province?: string): ImportPlan {
  const id = province === undefined ? undefined : provinceId(province);
  if (province !== undefined && id === undefined)
    return { ok: false, problems: [{ file, line: 0, column: 0, path: 'province', message: unknownProvinceMessage(province) }] };
  const parsed = parseInventory(text, file);
  if (!parsed.ok) return parsed;
  const centers = id === undefined ? parsed.centers : parsed.centers.filter((c) => c.province === id);
  return { ok: true, shape: parsed.shape, centers, skipped: parsed.centers.length - centers.length, ...(id !== undefined ? { province: id } : {}) };
}

/**
 * Stores the plan's centers in one transaction (or, with `dryRun`, only counts what it would do). The
 * national list knows a commune's name, type and province only: importing it again updates those and
 * keeps what the inventory added since (address, counters, lines, devices, variables, profile).
 */
export function importCenters(fleet: FleetStore, plan: Extract<ImportPlan, { ok: true }>, atMs: number, dryRun = false): UpsertResult {
  const list = plan.centers.map((c) => {
    const before = plan.shape === 'reference' ? fleet.center(c.code) : undefined;
    return before ? { ...withoutTime(before), name: c.name, type: c.type, province: c.province } : c;
  });
  if (!dryRun) return fleet.upsertCenters(list, atMs);
  const result: UpsertResult = { created: 0, updated: 0, unchanged: 0 };
  for (const c of list) {
    const before = fleet.center(c.code);
    if (!before) result.created++;
    else if (canonical(withoutTime(before)) === canonical(c)) result.unchanged++;
    else result.updated++;
  }
  return result;
}

function withoutTime(c: InventoryCenter): ParsedCenter {
  const { updatedAtMs: _t, ...rest } = c;
  return rest;
}

/** Sorted keys, undefined left out: equal for equal centers however they were built (as the store compares them). */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );
