import type { Label, TimeSeries } from '../common/remote-write/proto.js';
import { labelsOfKey, seriesKey } from './series-key.js';
import type { ScannedSeries } from '../common/remote-write/scan.js';

/** The latest sample of one series. */
export interface LatestSample {
  labels: Label[];
  value: number;
  timestampMs: number;
}

/** Who pushed: one agent of one center. */
export interface AgentId {
  province: string;
  center: string;
  agent: string;
  /**
   * The request's source address: the socket's peer, never a header (no trusted proxy is configured; one in
   * front would make every agent's address its own). Kept when absent.
   */
  address?: string | undefined;
}

export interface AgentSeen extends AgentId {
  /** Wall clock (ms) of the last accepted request from this agent. */
  lastHeardMs: number;
  /** Distinct series this agent has written since the server started. */
  series: number;
  /** The source address of its latest accepted request (which line the center uses now). */
  address?: string | undefined;
  /** Wall clock (ms) of the first accepted request from `address` in a row. */
  addressSinceMs?: number | undefined;
}

/**
 * Refused, changing nothing: `agent` — the agent's own series limit; `center` — the center's series
 * limit across its agents; `agents` — a new agent of a center that already has its bound of agents.
 */
export type ApplyResult = { ok: true; samples: number } | { ok: false; scope: 'agent' | 'center' | 'agents'; newSeries: number; limit: number };

/** Bounds of a center, and how far ahead of the server's clock a stored timestamp may be before it is distrusted. */
export interface StateBounds {
  /** Distinct series of one center across its agents. Default: unbounded. */
  maxSeriesPerCenter: number;
  /** Agents of one center when a new one is bounded (`apply`'s `boundAgents`). Default: unbounded. */
  maxAgentsPerCenter: number;
  /** A stored timestamp further ahead of `nowMs` than this is replaced by the next sample, whatever its time. Default 10 min. */
  maxFutureMs: number;
}

interface CenterEntry {
  /** Agent keys of this center. */
  agents: Set<string>;
  series: number;
}

interface AgentEntry extends AgentSeen {
  /** Slots of this agent's series, for filtered reads. */
  slots: number[];
  /** Slot of each label set as this agent sends it (the raw label bytes): the receiver's fast path. */
  bySentLabels: Map<string, number>;
}

/** An unchanged address (every push but a failover's) costs one string comparison. */
function noteAddress(seen: AgentSeen, address: string | undefined, nowMs: number): void {
  if (address === undefined || seen.address === address) return;
  seen.address = address;
  seen.addressSinceMs = nowMs;
}

const ENFORCED = new Set(['province', 'center', 'agent']);

/** A series of a watched metric: its slot, its labels (decoded once) and what a reader derived from them. */
export interface WatchedSeries {
  readonly slot: number;
  readonly labels: Label[];
  memo?: unknown;
}

/**
 * The server's view of now: the latest value of every series and when each agent was last heard.
 * A replayed backlog (older timestamps) never overwrites a newer value. Read by the alert engine.
 *
 * Memory: a province holds ~2,000 agents × 150 series. A series costs its key string (the label set,
 * which is also where its labels are read back from) plus 16 bytes in two typed arrays; no object
 * per series is kept.
 */
export class LatestState {
  private readonly slotOf = new Map<string, number>();
  private keys: string[] = [];
  private values = new Float64Array(1024);
  private stamps = new Float64Array(1024);
  private readonly agentMap = new Map<string, AgentEntry>();
  /** Slots of evicted series, reused first (their key is ''). */
  private readonly free: number[] = [];
  /** Metric name → slots and decoded labels of its series: the engine reads these every second without decoding keys. */
  private readonly watched = new Map<string, WatchedSeries[]>();
  /** Changes whenever a watched series is added or forgotten: readers re-scan what only changes then. */
  watchedVersion = 0;
  private readonly centers = new Map<string, CenterEntry>();
  private readonly bounds: StateBounds;
  /** Slot → name and labels, for series of watched metrics (the sample observer). */
  private readonly watchedSlot = new Map<number, { name: string; labels: Label[] }>();
  /**
   * Sees every accepted sample of a watched series, old ones included: a replayed backlog shows the
   * engine what a center saw while it could not reach the server.
   */
  onWatchedSample: ((name: string, labels: readonly Label[], value: number, timestampMs: number) => void) | undefined;

  constructor(
    private readonly maxSeriesPerAgent: number,
    bounds: Partial<StateBounds> = {},
  ) {
    this.bounds = { maxSeriesPerCenter: Infinity, maxAgentsPerCenter: Infinity, maxFutureMs: 600_000, ...bounds };
  }

  /** Keeps the series of these metric names at hand for `forEachWatched` (labels decoded once, at creation). */
  watch(names: readonly string[]): void {
    const added = names.filter((n) => !this.watched.has(n));
    for (const name of added) this.watched.set(name, []);
    if (added.length > 0) this.keys.forEach((key, slot) => this.noteWatched(key, slot, new Set(added)));
  }

  /**
   * Calls `fn` with the latest sample of every series of a watched metric. `series.memo` is the caller's
   * to keep what it derives from the labels (they never change for a series).
   */
  forEachWatched(name: string, fn: (labels: readonly Label[], value: number, timestampMs: number, series: WatchedSeries) => void): void {
    for (const w of this.watched.get(name) ?? []) fn(w.labels, this.values[w.slot]!, this.stamps[w.slot]!, w);
  }

  /** Calls `fn` for every agent heard since the server started (no copies: for the engine's every tick). */
  forEachAgent(fn: (a: Readonly<AgentSeen>) => void): void {
    for (const a of this.agentMap.values()) fn(a);
  }

  private noteWatched(key: string, slot: number, only?: ReadonlySet<string>): void {
    if (this.watched.size === 0 || !key.includes('__name__\0')) return;
    const labels = labelsOfKey(key);
    const name = labels.find((l) => l.name === '__name__')?.value ?? '';
    if (only && !only.has(name)) return;
    const list = this.watched.get(name);
    if (!list) return;
    list.push({ slot, labels });
    this.watchedSlot.set(slot, { name, labels });
    this.watchedVersion++;
  }

  /**
   * Applies one accepted request of one agent (labels already enforced and sorted); refuses it whole,
   * changing nothing, if it would take the agent or its center past a series limit, or (`boundAgents`:
   * the agent is named by the request, not by its token) add an agent to a center that has its bound.
   */
  apply(id: AgentId, batch: readonly TimeSeries[], nowMs: number, sentKeys?: readonly string[], boundAgents = false): ApplyResult {
    const agentKey = `${id.province}/${id.center}/${id.agent}`;
    const entry = this.agentMap.get(agentKey);
    const centerKey = `${id.province}/${id.center}`;
    const center = this.centers.get(centerKey);
    // One pass to find each series' slot (-1: new), so the limit is checked before anything changes.
    const keys: string[] = new Array<string>(batch.length);
    const slots = new Int32Array(batch.length);
    let fresh: Set<string> | undefined;
    for (let i = 0; i < batch.length; i++) {
      const key = seriesKey(batch[i]!.labels);
      keys[i] = key;
      const slot = this.slotOf.get(key);
      slots[i] = slot ?? -1;
      // A series without samples is not kept (below), so it takes no room.
      if (slot === undefined && batch[i]!.samples.length > 0) (fresh ??= new Set()).add(key);
    }
    const newSeries = fresh?.size ?? 0;
    if ((entry?.series ?? 0) + newSeries > this.maxSeriesPerAgent) return { ok: false, scope: 'agent', newSeries, limit: this.maxSeriesPerAgent };
    if ((center?.series ?? 0) + newSeries > this.bounds.maxSeriesPerCenter)
      return { ok: false, scope: 'center', newSeries, limit: this.bounds.maxSeriesPerCenter };
    // Last of the checks: making room forgets an idle agent, the one change made before the request is accepted.
    if (!entry && boundAgents && center && center.agents.size >= this.bounds.maxAgentsPerCenter && !this.forgetIdleAgent(center)) {
      return { ok: false, scope: 'agents', newSeries, limit: this.bounds.maxAgentsPerCenter };
    }
    const seen = entry ?? {
      province: id.province,
      center: id.center,
      agent: id.agent,
      lastHeardMs: 0,
      series: 0,
      slots: [],
      bySentLabels: new Map<string, number>(),
    };
    const counts = center ?? { agents: new Set<string>(), series: 0 };
    const ceiling = nowMs + this.bounds.maxFutureMs;
    let samples = 0;
    for (let i = 0; i < batch.length; i++) {
      const ts = batch[i]!.samples;
      samples += ts.length;
      if (ts.length === 0) continue;
      let newest = ts[0]!;
      for (let j = 1; j < ts.length; j++) if (ts[j]!.timestampMs > newest.timestampMs) newest = ts[j]!;
      let slot = slots[i]!;
      let fresh = false;
      if (slot < 0) {
        // A series twice in one request: the first occurrence allocated it.
        slot = this.slotOf.get(keys[i]!) ?? -1;
        if (slot < 0) {
          slot = this.allocate(keys[i]!);
          seen.slots.push(slot);
          seen.series++;
          counts.series++;
          fresh = true;
        }
      }
      const w = this.onWatchedSample && this.watchedSlot.get(slot);
      if (w) for (const sm of ts) this.onWatchedSample!(w.name, w.labels, sm.value, sm.timestampMs);
      const sent = sentKeys?.[i];
      if (sent !== undefined && seen.bySentLabels.size < this.maxSeriesPerAgent * 2) seen.bySentLabels.set(sent, slot);
      // A stored time beyond the ceiling came from a wrong clock: it must not freeze the series.
      if (!fresh && newest.timestampMs < this.stamps[slot]! && this.stamps[slot]! <= ceiling) continue;
      this.values[slot] = newest.value;
      this.stamps[slot] = newest.timestampMs;
    }
    seen.lastHeardMs = nowMs;
    noteAddress(seen, id.address, nowMs);
    if (!entry) {
      this.agentMap.set(agentKey, seen);
      counts.agents.add(agentKey);
      if (!center) this.centers.set(centerKey, counts);
    }
    return { ok: true, samples };
  }

  /**
   * The fast path of an agent's usual request: every series already known by its sent label bytes.
   * Returns false, changing nothing, when one is not (the caller then decodes the request in full).
   */
  applyKnown(id: AgentId, batch: readonly ScannedSeries[], nowMs: number): boolean {
    const entry = this.agentMap.get(`${id.province}/${id.center}/${id.agent}`);
    if (!entry) return false;
    const slots = new Int32Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const slot = entry.bySentLabels.get(batch[i]!.key);
      if (slot === undefined) return false;
      // The scan keeps only the newest sample: a watched series with several goes the full path.
      if (batch[i]!.samples > 1 && this.onWatchedSample && this.watchedSlot.has(slot)) return false;
      slots[i] = slot;
    }
    const ceiling = nowMs + this.bounds.maxFutureMs;
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i]!;
      const slot = slots[i]!;
      const w = s.samples === 1 && this.onWatchedSample ? this.watchedSlot.get(slot) : undefined;
      if (w) this.onWatchedSample!(w.name, w.labels, s.newestValue, s.newestTimestampMs);
      if (s.samples === 0 || (s.newestTimestampMs < this.stamps[slot]! && this.stamps[slot]! <= ceiling)) continue;
      this.values[slot] = s.newestValue;
      this.stamps[slot] = s.newestTimestampMs;
    }
    entry.lastHeardMs = nowMs;
    noteAddress(entry, id.address, nowMs);
    return true;
  }

  /**
   * Latest samples whose labels match every given name=value. A filter on province/center/agent
   * only looks at those agents' series.
   */
  latest(match: Readonly<Record<string, string>> = {}): LatestSample[] {
    const want = Object.entries(match);
    const byAgent = want.filter(([n]) => ENFORCED.has(n));
    const slots: Iterable<number> =
      byAgent.length > 0
        ? [...this.agentMap.values()].filter((a) => byAgent.every(([n, v]) => a[n as keyof AgentId] === v)).flatMap((a) => a.slots)
        : this.keys.keys();
    // A matching key contains each wanted label's encoding: a cheap test before decoding (which confirms it).
    const needles = want.map(([n, v]) => seriesKey([{ name: n, value: v }]));
    const out: LatestSample[] = [];
    for (const slot of slots) {
      const key = this.keys[slot]!;
      if (key === '') continue;
      if (!needles.every((needle) => key.includes(needle))) continue;
      const labels = labelsOfKey(key);
      if (want.every(([n, v]) => labels.some((l) => l.name === n && l.value === v))) {
        out.push({ labels, value: this.values[slot]!, timestampMs: this.stamps[slot]! });
      }
    }
    return out;
  }

  /** Every agent heard since the server started. */
  agents(): AgentSeen[] {
    return [...this.agentMap.values()].map(({ slots: _slots, bySentLabels: _sent, ...a }) => a);
  }

  get seriesCount(): number {
    return this.keys.length - this.free.length;
  }

  /**
   * Forgets series not updated since `cutoffMs` (a check removed from an agent's config, label values
   * that changed), and those stamped after `futureMs` (a wrong clock; nothing would ever replace them
   * otherwise): without this an agent would reach its series limit for ever. Their slots are reused.
   * Returns how many were forgotten.
   */
  evictStale(cutoffMs: number, futureMs = Infinity): number {
    let evicted = 0;
    for (const entry of this.agentMap.values()) {
      const gone = new Set<number>();
      for (const slot of entry.slots) if (this.stamps[slot]! < cutoffMs || this.stamps[slot]! > futureMs) gone.add(slot);
      if (gone.size === 0) continue;
      entry.slots = entry.slots.filter((slot) => !gone.has(slot));
      entry.series -= gone.size;
      this.centers.get(`${entry.province}/${entry.center}`)!.series -= gone.size;
      for (const [sent, slot] of entry.bySentLabels) if (gone.has(slot)) entry.bySentLabels.delete(sent);
      for (const slot of gone) {
        this.slotOf.delete(this.keys[slot]!);
        this.keys[slot] = '';
        this.free.push(slot);
        const w = this.watchedSlot.get(slot);
        if (w) {
          this.watchedSlot.delete(slot);
          const list = this.watched.get(w.name)!;
          list.splice(
            list.findIndex((x) => x.slot === slot),
            1,
          );
          this.watchedVersion++;
        }
      }
      evicted += gone.size;
    }
    return evicted;
  }

  get agentCount(): number {
    return this.agentMap.size;
  }

  /** Agents of a center, and its series across them. */
  centerCounts(province: string, center: string): { agents: number; series: number } {
    const c = this.centers.get(`${province}/${center}`);
    return { agents: c?.agents.size ?? 0, series: c?.series ?? 0 };
  }

  /**
   * Makes room for a new agent of a full center: forgets the agent of this center heard longest ago among
   * those holding no series (all expired by `evictStale`). An agent with series is never forgotten, and
   * a silent one stays known (the engine reports it) until a new agent needs its place.
   */
  private forgetIdleAgent(center: CenterEntry): boolean {
    let idle: AgentEntry | undefined;
    let idleKey = '';
    for (const key of center.agents) {
      const a = this.agentMap.get(key)!;
      if (a.series === 0 && (!idle || a.lastHeardMs < idle.lastHeardMs)) {
        idle = a;
        idleKey = key;
      }
    }
    if (!idle) return false;
    this.agentMap.delete(idleKey);
    center.agents.delete(idleKey);
    return true;
  }

  private allocate(key: string): number {
    const reused = this.free.pop();
    if (reused !== undefined) {
      this.keys[reused] = key;
      this.slotOf.set(key, reused);
      this.noteWatched(key, reused);
      return reused;
    }
    const slot = this.keys.length;
    if (slot === this.values.length) {
      const values = new Float64Array(slot * 2);
      values.set(this.values);
      this.values = values;
      const stamps = new Float64Array(slot * 2);
      stamps.set(this.stamps);
      this.stamps = stamps;
    }
    this.keys.push(key);
    this.slotOf.set(key, slot);
    this.noteWatched(key, slot);
    return slot;
  }
}
