/**
 * What the fleet view shows, pure: one row per enrolled agent with a derived state, filters and the
 * order IT staff read it in. No HTML, no I/O: the page, the API and the metrics all start from here.
 */
import type { FleetDeps } from './deps.js';
import type { AgentPlatformName, AgentRecord } from './types.js';

/**
 * An agent's state, one of:
 * - `revoked`: its token was revoked; it may not push or fetch any more.
 * - `never_seen`: enrolled, and nothing heard from it since (no push, no config fetch or report).
 * - `silent`: heard before, but neither a push nor a fetch within `engine.agent_silent_after`.
 * - `refused`: it refused the revision it should run (its loader found problems in it) and runs another.
 * - `outdated`: it runs a revision other than the one it should run, and has not refused that one.
 * - `no_profile`: heard lately, but no profile applies to it, so it has no central config to run.
 * - `ok`: heard lately and running the current revision.
 *
 * Precedence, first match wins. `revoked` first: a revoked agent's other facts are history. Then what
 * makes the rest unknowable: `never_seen` (its running revision is '' and says nothing) and `silent`
 * (what it last said may be stale, and its config cannot change before it fetches again: reaching the
 * machine comes first). Then the config, the most specific cause first: `refused` (a person must mend
 * the profile or the agent's variables; the agent keeps its last good config) before `outdated` (it
 * usually catches up at its next fetch). `no_profile` only for an agent otherwise fine, since without a
 * current revision neither `refused` nor `outdated` can be told.
 */
export const FLEET_STATES = ['revoked', 'never_seen', 'silent', 'refused', 'outdated', 'no_profile', 'ok'] as const;
export type FleetState = (typeof FLEET_STATES)[number];

/**
 * The order rows are listed and states counted in: what needs a person first. A machine gone quiet
 * leaves the center unwatched; a refused config waits for a fix; a never-seen enrolment is a setup not
 * finished; an outdated agent usually mends itself. Revoked agents are no problem: they come last.
 */
export const STATE_ORDER: readonly FleetState[] = ['silent', 'refused', 'never_seen', 'outdated', 'no_profile', 'ok', 'revoked'];
const RANK = new Map<FleetState, number>(STATE_ORDER.map((s, i) => [s, i]));

/** States that need a person. */
export const PROBLEM_STATES: ReadonlySet<FleetState> = new Set(['silent', 'refused', 'never_seen', 'outdated', 'no_profile']);

export interface FleetRow {
  /** `center/name`. */
  id: string;
  province: string;
  center: string;
  /** The center's name from the inventory; absent when the center is no longer in it. */
  centerName?: string;
  /** The `agent` label. */
  name: string;
  hostname: string;
  platform: AgentPlatformName;
  version: string;
  profile?: string;
  /** The revision the agent said it runs ('' before its first central config). */
  runningRevision: string;
  /** The revision it should run; absent when no profile applies. */
  currentRevision?: string;
  /** The last revision it refused. */
  refusedRevision?: string;
  /** Its last config fetch or report. */
  lastFetchMs?: number;
  /** The server's last push from it (since the server started). */
  lastPushMs?: number;
  /** The later of the two: when it was last heard at all. */
  lastHeardMs?: number;
  /** Samples waiting in its WAL, as it last said. */
  backlog?: number;
  enrolledAtMs: number;
  revokedAtMs?: number;
  state: FleetState;
}

/** What rows are derived from besides the agents' records. */
export interface FleetInputs {
  /** A center's name from the inventory. */
  centerName(code: string): string | undefined;
  /** The revision the agent should run; undefined when it has none. */
  currentRevision(agent: AgentRecord): string | undefined;
  /** When the server last received a push from the agent, if it did. */
  lastPushMs(center: string, agent: string): number | undefined;
  /** Not heard for this long (ms) is silent: `engine.agent_silent_after`. */
  silentAfterMs: number;
  nowMs: number;
}

/** The inputs of a running server: the inventory read once, the rest as the fleet's parts give it. */
export function fleetInputs(d: Pick<FleetDeps, 'store' | 'configs' | 'lastPushMs' | 'cfg' | 'now'>): FleetInputs {
  let names: Map<string, string> | undefined;
  return {
    centerName: (code) => (names ??= new Map(d.store.fleet.centers().map((c) => [c.code, c.name]))).get(code),
    currentRevision: (a) => d.configs.currentRevision(a),
    lastPushMs: d.lastPushMs,
    silentAfterMs: d.cfg.engine.agent_silent_after,
    nowMs: d.now(),
  };
}

const later = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

/** The state of one agent (see FLEET_STATES for the precedence). */
export function stateOf(
  a: AgentRecord,
  current: string | undefined,
  lastHeardMs: number | undefined,
  inputs: Pick<FleetInputs, 'silentAfterMs' | 'nowMs'>,
): FleetState {
  if (a.revokedAtMs !== undefined) return 'revoked';
  if (lastHeardMs === undefined) return 'never_seen';
  // As the engine counts an agent heard: strictly less than agent_silent_after ago.
  if (inputs.nowMs - lastHeardMs >= inputs.silentAfterMs) return 'silent';
  if (current === undefined) return 'no_profile';
  if (a.runningRevision === current) return 'ok';
  return a.refusedRevision === current ? 'refused' : 'outdated';
}

export function rowOf(a: AgentRecord, inputs: FleetInputs): FleetRow {
  const current = a.revokedAtMs === undefined ? inputs.currentRevision(a) : undefined;
  const lastPushMs = inputs.lastPushMs(a.center, a.name);
  const lastHeardMs = later(a.lastSeenAtMs, lastPushMs);
  const centerName = inputs.centerName(a.center);
  return {
    id: a.id,
    province: a.province,
    center: a.center,
    ...(centerName !== undefined ? { centerName } : {}),
    name: a.name,
    hostname: a.hostname,
    platform: a.platform,
    version: a.version,
    ...(a.profile !== undefined ? { profile: a.profile } : {}),
    runningRevision: a.runningRevision,
    ...(current !== undefined ? { currentRevision: current } : {}),
    ...(a.refusedRevision !== undefined ? { refusedRevision: a.refusedRevision } : {}),
    ...(a.lastSeenAtMs !== undefined ? { lastFetchMs: a.lastSeenAtMs } : {}),
    ...(lastPushMs !== undefined ? { lastPushMs } : {}),
    ...(lastHeardMs !== undefined ? { lastHeardMs } : {}),
    ...(a.backlog !== undefined ? { backlog: a.backlog } : {}),
    enrolledAtMs: a.enrolledAtMs,
    ...(a.revokedAtMs !== undefined ? { revokedAtMs: a.revokedAtMs } : {}),
    state: stateOf(a, current, lastHeardMs, inputs),
  };
}

/** Rows of the agents, sorted: problems first (STATE_ORDER), then by center code, then by name. */
export function fleetRows(agents: readonly AgentRecord[], inputs: FleetInputs): FleetRow[] {
  return sortRows(agents.map((a) => rowOf(a, inputs)));
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortRows(rows: FleetRow[]): FleetRow[] {
  return rows.sort((a, b) => RANK.get(a.state)! - RANK.get(b.state)! || byText(a.center, b.center) || byText(a.name, b.name));
}

/** Which rows to show; an absent or empty field does not filter. */
export interface FleetFilter {
  province?: string;
  center?: string;
  /** Any of these states. */
  states?: readonly FleetState[];
}

export function filterRows(rows: readonly FleetRow[], f: FleetFilter): FleetRow[] {
  const states = f.states && f.states.length > 0 ? new Set(f.states) : undefined;
  return rows.filter((r) => (!f.province || r.province === f.province) && (!f.center || r.center === f.center) && (!states || states.has(r.state)));
}

/** Agents per state, every state present (0 included), in STATE_ORDER. */
export function countStates(rows: readonly FleetRow[]): Record<FleetState, number> {
  const counts = Object.fromEntries(STATE_ORDER.map((s) => [s, 0])) as Record<FleetState, number>;
  for (const r of rows) counts[r.state]++;
  return counts;
}

export const isFleetState = (s: string): s is FleetState => (FLEET_STATES as readonly string[]).includes(s);
