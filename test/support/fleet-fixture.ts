/**
 * A fleet for the fleet view's tests: a real SQLite store (in memory) with centers and agents enrolled
 * through codes as the server does, a fixed current revision per agent (the config source is the view's
 * input, stubbed), pushes from a Map and a clock the test moves.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createLogger } from '../../common/log.js';
import { serverConfigSchema } from '../../server/config/schema.js';
import type { FleetDeps } from '../../server/fleet/deps.js';
import { AgentTokens } from '../../server/fleet/registry.js';
import type { AgentPlatformName, AgentRecord, InventoryCenter } from '../../server/fleet/types.js';
import { openSqliteStore, type Store } from '../../server/store/store.js';

export const T0 = Date.UTC(2026, 11, 3, 2, 0, 0);
export const CURRENT = 'a1b2c3d4e5f6';
export const OLD = '0123456789ab';
/** A center name from an imported file, written to break a page that does not escape. */
export const NASTY_CENTER = 'Phường <script>alert(1)</script> & "Sa Huỳnh"';
/** An agent's version as an agent could send it. */
export const NASTY_VERSION = '0.1.0-<img src=x onerror=alert(2)>';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface FleetFixture {
  deps: FleetDeps;
  store: Store;
  clock: { now: number };
  /** `center/name` → when the server last received a push from it. */
  pushes: Map<string, number>;
  /** `center/name` → the revision it should run (undefined: no profile); others get CURRENT. */
  revisions: Map<string, string | undefined>;
  enrol(center: string, name: string, over?: { platform?: AgentPlatformName; version?: string; hostname?: string }): AgentRecord;
  close(): void;
}

export function fleetFixture(config: Record<string, unknown> = {}): FleetFixture {
  const store = openSqliteStore(':memory:');
  const clock = { now: T0 };
  const pushes = new Map<string, number>();
  const revisions = new Map<string, string | undefined>();
  const deps: FleetDeps = {
    cfg: serverConfigSchema.parse(config),
    store,
    tokens: new AgentTokens([], store.fleet),
    configs: {
      forAgent: () => ({ ok: false, profile: undefined, problems: ['no profile applies'] }),
      currentRevision: (a) => (revisions.has(a.id) ? revisions.get(a.id) : CURRENT),
    },
    lastPushMs: (center, agent) => pushes.get(`${center}/${agent}`),
    log: createLogger('error', {}, () => {}),
    now: () => clock.now,
  };
  return {
    deps,
    store,
    clock,
    pushes,
    revisions,
    enrol(center, name, over = {}) {
      const code = randomBytes(8).toString('hex');
      store.fleet.addCode({
        codeHash: sha256(code),
        center,
        usesLeft: 1,
        usesTotal: 1,
        expiresAtMs: clock.now + 3_600_000,
        createdAtMs: clock.now,
        createdBy: 'test',
      });
      const r = store.fleet.enrol(sha256(code), clock.now, {
        name,
        tokenHash: sha256(`token-${center}-${name}`),
        platform: over.platform ?? 'win32',
        version: over.version ?? '0.1.0',
        hostname: over.hostname ?? `${name.toUpperCase()}-PC`,
      });
      if (!r.ok) throw new Error(`enrol ${center}/${name}: ${r.why}`);
      return r.agent;
    },
    close: () => store.close(),
  };
}

const center = (code: string, province: string, name: string): Omit<InventoryCenter, 'updatedAtMs'> => ({
  code,
  province,
  name,
  type: 'phường',
  address: '',
  counters: 3,
  lines: [],
  devices: [],
  vars: {},
});

/**
 * One agent in each state at T0 + 1 day (the clock is left there):
 * 21478 (NASTY_CENTER): pc-ok ok, pc-old outdated, kiosk refused; 21480 (Xã Phổ Châu): pc-quiet silent,
 * pc-new never_seen, pc-gone revoked; 00004 (ha-noi, Phường Ba Đình): pc-1 no_profile, heard by a push only.
 */
export function seedFleet(fx: FleetFixture): void {
  const f = fx.store.fleet;
  f.upsertCenters([center('21478', 'quang-ngai', NASTY_CENTER), center('21480', 'quang-ngai', 'Xã Phổ Châu'), center('00004', 'ha-noi', 'Phường Ba Đình')], T0);
  for (const [c, name, platform] of [
    ['21478', 'pc-ok', 'win32'],
    ['21478', 'pc-old', 'win32'],
    ['21478', 'kiosk', 'linux'],
    ['21480', 'pc-quiet', 'win32'],
    ['21480', 'pc-new', 'win32'],
    ['21480', 'pc-gone', 'linux'],
    ['00004', 'pc-1', 'linux'],
  ] as const)
    fx.enrol(c, name, { platform, ...(name === 'pc-ok' ? { version: NASTY_VERSION } : {}) });
  const now = T0 + 86_400_000;
  fx.clock.now = now;
  f.sighted('21478/pc-ok', { runningRevision: CURRENT, backlog: 0, atMs: now - 5_000 });
  f.sighted('21478/pc-old', { runningRevision: OLD, backlog: 1500, atMs: now - 20_000 });
  f.sighted('21478/kiosk', { runningRevision: OLD, atMs: now - 30_000 });
  f.refused('21478/kiosk', CURRENT, ['agent.yaml:3:5: checks[0].target: required'], now - 30_000);
  f.sighted('21480/pc-quiet', { runningRevision: CURRENT, backlog: 90_000, atMs: now - 40 * 60_000 });
  f.revokeAgent('21480/pc-gone', now - 3_600_000);
  fx.revisions.set('00004/pc-1', undefined);
  fx.pushes.set('00004/pc-1', now - 2_000);
}
