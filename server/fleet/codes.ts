/** Creating an enrolment code: the command line and the API both come here. */
import { parseDuration } from '../../common/duration.js';
import type { ServerConfig } from '../config/schema.js';
import { newCode } from './enroll.js';
import { normalizeCode as normalizeCenterCode } from './inventory-schema.js';
import type { FleetStore, InventoryCenter } from './types.js';

const MAX_TTL_MS = 90 * 86_400_000;

export interface CodeRequest {
  center: string;
  uses: number;
  /** A duration such as `72h`; default `fleet.code_ttl`. */
  expires?: string | undefined;
  profile?: string | undefined;
  by: string;
}

export type CodeResult =
  | { ok: true; code: string; id: number; center: InventoryCenter; uses: number; ttlMs: number; expiresAtMs: number }
  /** `unknown`: the center or the profile does not exist; `invalid`: the request itself is wrong. */
  | { ok: false; problem: 'unknown' | 'invalid'; error: string };

/** Stores a new code's hash for a center of the inventory; the code itself is returned once. */
export function createCode(fleet: FleetStore, cfg: ServerConfig['fleet'], r: CodeRequest, nowMs: number): CodeResult {
  const center = fleet.center(normalizeCenterCode(r.center));
  if (!center)
    return {
      ok: false,
      problem: 'unknown',
      error: `unknown center ${r.center}: import the inventory first (centerwatch-server centers import --province CODE)`,
    };
  const ttlMs = r.expires === undefined ? cfg.code_ttl : parseDuration(r.expires);
  if (!ttlMs || ttlMs <= 0 || ttlMs > MAX_TTL_MS)
    return { ok: false, problem: 'invalid', error: 'expires must be a duration such as 72h or 7d, at most 90 days' };
  if (r.profile !== undefined && !fleet.profile(r.profile))
    return { ok: false, problem: 'unknown', error: `unknown profile ${r.profile} (centerwatch-server profiles set ${r.profile} FILE)` };
  const { code, hash } = newCode();
  const id = fleet.addCode({
    codeHash: hash,
    center: center.code,
    ...(r.profile !== undefined ? { profile: r.profile } : {}),
    usesLeft: r.uses,
    usesTotal: r.uses,
    expiresAtMs: nowMs + ttlMs,
    createdAtMs: nowMs,
    createdBy: r.by,
  });
  return { ok: true, code, id, center, uses: r.uses, ttlMs, expiresAtMs: nowMs + ttlMs };
}
