/**
 * What agents pushed, as the engine reads it every second: the fleet snapshot (agents heard, each check's
 * latest result with its impact, group and line) from the server's LatestState. I/O-free but stateful:
 * what is derived from a series' labels is computed once and kept with the series.
 */
import { METRIC } from '../../common/metrics.js';
import type { Label } from '../../common/remote-write/proto.js';
import type { EngineConfig } from '../config/engine-schema.js';
import type { TokenConfig } from '../config/schema.js';
import type { ExpectedAgent } from '../fleet/registry.js';
import type { LatestState, WatchedSeries } from '../state.js';
import type { Bilingual } from '../notifiers/event.js';
import type { CheckSnapshot, FleetSnapshot } from './evaluate.js';
import type { Impact } from './readiness.js';

const IMPACTS = new Set<Impact>(['blocking', 'degrading', 'info']);
const labelOf = (labels: readonly Label[], name: string): string | undefined => labels.find((l) => l.name === name)?.value;

/**
 * How people call a check: the title of the shared system it reaches (what the messages say), else the
 * description the agent's config gives it; undefined leaves its id.
 */
export function checkTitle(cfg: Pick<EngineConfig, 'upstreams'>, check: string, description: string | undefined): Bilingual | undefined {
  const upstream = cfg.upstreams.find((u) => u.checks.includes(check));
  if (upstream) return upstream.title;
  return description ? { vi: description, en: description } : undefined;
}

export interface KnownAgent {
  province: string;
  center: string;
  agent: string;
  lastHeardMs: number;
}

/** What is derived once from a watched series' labels. */
interface Derived {
  key: string;
  check?: CheckSnapshot | undefined;
  extra?: Record<string, string>;
}

export class FleetReader {
  /** Center id → display name (from centerwatch_center_info). */
  readonly names = new Map<string, string>();
  /** Checks by `${center}/${agent}/${check}`, made once from their centerwatch_check_info series. */
  private readonly checkByKey = new Map<string, CheckSnapshot>();
  private seenVersion = -1;
  private checksByCenter = new Map<string, CheckSnapshot[]>();
  private agentsSeen: KnownAgent[] = [];
  /** Agents (`center/agent`) whose current results have been read since the server started. */
  private readonly fresh = new Set<string>();

  constructor(
    private readonly state: LatestState,
    private readonly tokens: readonly TokenConfig[],
    private readonly cfg: EngineConfig,
    /** Agents not heard since the server started count from its start. */
    private readonly startedAt: number,
    /** Enrolled agents, expected like per-agent tokens. */
    private readonly enrolled: () => readonly ExpectedAgent[] = () => [],
    /** Results the server makes itself (which line a center is on), judged like the agents'. */
    private readonly serverChecks: () => readonly CheckSnapshot[] = () => [],
  ) {
    state.watch([METRIC.probeSuccess, METRIC.probeDegraded, METRIC.checkInfo, METRIC.probeReason, METRIC.centerInfo]);
  }

  /** The latest results of a center's checks (as of the last read). */
  centerChecks(center: string): readonly CheckSnapshot[] {
    return this.checksByCenter.get(center) ?? [];
  }

  /** Agents known (enrolled or heard) with when each was last heard. */
  agents(): readonly KnownAgent[] {
    return this.agentsSeen;
  }

  private derive(labels: readonly Label[], series: WatchedSeries): Derived {
    let d = series.memo as Derived | undefined;
    if (!d) {
      d = { key: `${labelOf(labels, 'center')}/${labelOf(labels, 'agent')}/${labelOf(labels, 'check')}` };
      const names = this.cfg.alert_labels;
      if (names.length > 0) d.extra = Object.fromEntries(names.flatMap((n) => (labelOf(labels, n) ? [[n, labelOf(labels, n)!]] : [])));
      series.memo = d;
    }
    return d;
  }

  /** A check from its info series (impact, group and line are labels: fixed for the series' life). */
  private checkFromInfo(labels: readonly Label[]): CheckSnapshot | undefined {
    const impact = labelOf(labels, 'impact') as Impact;
    const check = labelOf(labels, 'check');
    if (!check || !IMPACTS.has(impact)) return undefined;
    const title = checkTitle(this.cfg, check, labelOf(labels, 'description') || undefined);
    const lineDescription = labelOf(labels, 'line_description') || undefined;
    const c: CheckSnapshot = {
      province: labelOf(labels, 'province') ?? '',
      center: labelOf(labels, 'center') ?? '',
      agent: labelOf(labels, 'agent') ?? '',
      check,
      kind: labelOf(labels, 'kind') ?? '',
      line: labelOf(labels, 'line') || undefined,
      group: labelOf(labels, 'group') || undefined,
      impact,
      up: true,
      degraded: false,
      ...(title ? { title } : {}),
      ...(lineDescription ? { lineDescription } : {}),
    };
    this.checkByKey.set(`${c.center}/${c.agent}/${c.check}`, c);
    return c;
  }
  read(nowMs: number): FleetSnapshot {
    const st = this.state;
    const silentAfter = this.cfg.agent_silent_after;
    const agents = new Map<string, KnownAgent>();
    // Agents enrolled with their own token are expected even before they are first heard.
    for (const t of this.tokens)
      if (t.agent) agents.set(`${t.center}/${t.agent}`, { province: t.province, center: t.center, agent: t.agent, lastHeardMs: this.startedAt });
    for (const a of this.enrolled()) agents.set(`${a.center}/${a.agent}`, { ...a, lastHeardMs: this.startedAt });
    for (const a of st.agents()) {
      agents.set(`${a.center}/${a.agent}`, { province: a.province, center: a.center, agent: a.agent, lastHeardMs: Math.max(a.lastHeardMs, this.startedAt) });
      // The state holds only what arrived since the start: a push from this agent is its fresh data (even one with no check).
      this.fresh.add(`${a.center}/${a.agent}`);
    }

    // Each series' label array lives as long as the series: what is derived from it is computed once.
    const checks: CheckSnapshot[] = [];
    // Info and names are labels: only a new series can bring news.
    if (st.watchedVersion !== this.seenVersion) {
      this.seenVersion = st.watchedVersion;
      st.forEachWatched(METRIC.checkInfo, (labels, value, _ts, series) => {
        if (value === 1) this.derive(labels, series).check ??= this.checkFromInfo(labels);
      });
      st.forEachWatched(METRIC.centerInfo, (labels) => {
        const center = labelOf(labels, 'center');
        const name = labelOf(labels, 'name');
        if (center && name) this.names.set(center, name);
      });
    }
    st.forEachWatched(METRIC.probeSuccess, (labels, value, ts, series) => {
      const d = this.derive(labels, series);
      const c = (d.check ??= this.checkByKey.get(d.key));
      // A value older than the agent's silence threshold is not today's result (the agent replays a backlog).
      if (!c || nowMs - ts > silentAfter * 2) return;
      c.up = value === 1;
      c.reason = undefined;
      if (d.extra) c.labels = d.extra;
      checks.push(c);
    });
    st.forEachWatched(METRIC.probeDegraded, (labels, value, _ts, series) => {
      const d = this.derive(labels, series);
      const c = (d.check ??= this.checkByKey.get(d.key));
      if (c) c.degraded = value === 1;
    });
    st.forEachWatched(METRIC.probeReason, (labels, value, _ts, series) => {
      if (value !== 1) return;
      const d = this.derive(labels, series);
      const c = (d.check ??= this.checkByKey.get(d.key));
      if (c) c.reason = labelOf(labels, 'reason');
    });
    for (const c of this.serverChecks()) checks.push(c);
    this.checksByCenter = new Map();
    for (const c of checks) {
      const list = this.checksByCenter.get(c.center);
      if (list) list.push(c);
      else this.checksByCenter.set(c.center, [c]);
    }
    for (const c of checks) if (c.agent !== '') this.fresh.add(`${c.center}/${c.agent}`);
    this.agentsSeen = [...agents.values()];
    // An agent not heard since the start counts as heard for `silentAfter` (it may push any moment), but
    // its results died with the last process: until they come again it is awaited, and its center holds.
    const awaited = nowMs - this.startedAt < silentAfter;
    return {
      nowMs,
      agents: [...agents.values()].map((a) => ({
        province: a.province,
        center: a.center,
        agent: a.agent,
        heard: nowMs - a.lastHeardMs < silentAfter,
        ...(awaited && !this.fresh.has(`${a.center}/${a.agent}`) ? { awaited: true } : {}),
      })),
      checks,
      names: this.names,
    };
  }
}
