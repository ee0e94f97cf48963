/**
 * Outside-in checks from the province: the server probes each center's public addresses per line (ICMP,
 * and TCP to configured ports) through the agent's own icmp and tcp probes, on a schedule. A center
 * whose power is out (agent silent, every WAN address silent) is then told apart from a center whose
 * fiber is cut (agent heard over 4G, the fiber's address silent) and from one whose router is dead.
 * The results go to the engine as the center's own checks do (the contract: outside-in-checks.ts).
 *
 * Every address is probed once per `interval`, the probes spread evenly over it (outside-in-plan.ts),
 * at most `concurrency` at once, each within `timeout`. An address whose previous probe is still
 * running (or waiting for a slot) at its next turn skips that turn, counted. The inventory is read at
 * the start of each interval, so a re-import is followed within one interval. Addresses stay out of
 * logs and metrics: they name a center's network.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../common/log.js';
import { runCheck } from '../../agent/runner.js';
import { icmpProbe } from '../../agent/probes/icmp.js';
import { tcpProbe } from '../../agent/probes/tcp.js';
import type { ProbeDefinition, Session } from '../../agent/probes/types.js';
import type { CheckSnapshot } from '../engine/evaluate.js';
import { lineTitle } from './line-in-use.js';
import { OUTSIDE_IN_KIND, outsideInCheckId } from './outside-in-checks.js';
import { addressResult, lineResult, outsideInTargets, type AddressResult, type OutsideInInventory, type OutsideInTarget } from './outside-in-plan.js';

export interface OutsideInOptions {
  intervalMs: number;
  /** Deadline of one address's probe (ICMP and TCP run side by side). */
  timeoutMs: number;
  /** Echo requests per probe, or 0 for no ICMP. */
  icmpCount: number;
  tcpPorts: readonly number[];
  concurrency: number;
}

/** Probes one address; resolves (never rejects) by the deadline, or soon after `stop` aborts. */
export type AddressProber = (address: string, stop: AbortSignal) => Promise<AddressResult>;

/** A line's latest outside-in result, as on /metrics. */
export interface OutsideInLine {
  province: string;
  center: string;
  line: string;
  up: boolean;
  rttSeconds?: number;
}

/** How the schedule keeps up, for /metrics and the bench. */
export interface OutsideInStats {
  targets: number;
  /** Probes finished since start. */
  probes: number;
  /** Turns skipped because the address's previous probe was still running or waiting. */
  skipped: number;
  /** The latest finished interval's worst delay of a probe's start past its planned time, in seconds. */
  worstStartDelaySeconds: number;
}

interface LineState {
  target: Pick<OutsideInTarget, 'province' | 'center' | 'line'>;
  /** The line's title ("Cáp quang VNPT"). */
  description: string;
  results: Map<string, AddressResult | undefined>;
  check?: CheckSnapshot;
}

/** Seconds between the echo requests of one probe. */
export const PACKET_INTERVAL_S = 0.05;

/** Below this, a probe due soon is started now rather than after one more timer. */
const TICK_MS = 5;

export class OutsideIn {
  private plan: OutsideInTarget[] = [];
  private inventorySeen: unknown;
  private readonly lines = new Map<string, LineState>();
  private cycleStart = 0;
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting: Array<{ target: OutsideInTarget; due: number }> = [];
  /** Keys of targets running or waiting for a slot. */
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly stopper = new AbortController();
  private closed = false;
  private started = false;
  private probes = 0;
  private skipped = 0;
  private delayThisCycle = 0;
  private delayLastCycle = 0;
  private readonly probe: AddressProber;

  constructor(
    private readonly inventory: OutsideInInventory,
    private readonly opts: OutsideInOptions,
    private readonly log: Logger,
    probe?: AddressProber,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.probe = probe ?? agentProber(opts, log);
    // Every probe in flight listens for the stop: up to `concurrency` of them.
    setMaxListeners(0, this.stopper.signal);
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.cycleStart = this.now();
    this.refresh();
    this.pump();
  }

  /** Stops the schedule, aborts the probes in flight and waits for them to settle. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.length = 0;
    this.stopper.abort();
    await Promise.allSettled([...this.running]);
  }

  stats(): OutsideInStats {
    return { targets: this.plan.length, probes: this.probes, skipped: this.skipped, worstStartDelaySeconds: this.delayLastCycle / 1000 };
  }

  /** Every line with a result so far. */
  read(): OutsideInLine[] {
    const out: OutsideInLine[] = [];
    for (const s of this.lines.values()) {
      const r = lineResult([...s.results.values()]);
      if (!r) continue;
      out.push({ ...s.target, up: r.up, ...(r.rttSeconds !== undefined ? { rttSeconds: r.rttSeconds } : {}) });
    }
    return out;
  }

  /**
   * One result per center and line probed at least once, per outside-in-checks.ts. The objects are
   * kept and updated, as the engine's other check results are.
   */
  checks(): CheckSnapshot[] {
    const out: CheckSnapshot[] = [];
    for (const s of this.lines.values()) {
      const r = lineResult([...s.results.values()]);
      if (!r) continue;
      const c = (s.check ??= {
        province: s.target.province,
        center: s.target.center,
        agent: '',
        check: outsideInCheckId(s.target.line),
        kind: OUTSIDE_IN_KIND,
        line: s.target.line,
        lineDescription: s.description,
        impact: 'info',
        up: r.up,
        degraded: false,
      });
      c.up = r.up;
      c.lineDescription = s.description;
      if (r.up) delete c.reason;
      else c.reason = r.reason;
      out.push(c);
    }
    return out;
  }

  /** Takes the inventory's current lines: the plan, and the lines' states (results of kept addresses kept). */
  private refresh(): void {
    const inventory = this.inventory();
    if (inventory === this.inventorySeen) return;
    this.inventorySeen = inventory;
    const plan = outsideInTargets(inventory, this.opts.intervalMs);
    const before = this.plan.length;
    this.plan = plan;
    const wanted = new Map<string, Set<string>>();
    for (const t of plan) {
      const id = `${t.center}\0${t.line}`;
      let s = this.lines.get(id);
      if (!s || s.target.province !== t.province) {
        s = { target: { province: t.province, center: t.center, line: t.line }, description: '', results: new Map() };
        this.lines.set(id, s);
      }
      if (!s.results.has(t.address)) s.results.set(t.address, undefined);
      let w = wanted.get(id);
      if (!w) wanted.set(id, (w = new Set()));
      w.add(t.address);
    }
    for (const [id, s] of this.lines) {
      const w = wanted.get(id);
      if (!w) this.lines.delete(id);
      else for (const a of s.results.keys()) if (!w.has(a)) s.results.delete(a);
    }
    for (const s of this.lines.values()) {
      const line = inventory.get(s.target.center)?.lines.find((l) => l.name === s.target.line);
      if (line) s.description = lineTitle(line).vi;
    }
    if (plan.length !== before) this.log.info('outside-in checks planned', { addresses: plan.length, interval_ms: this.opts.intervalMs });
  }

  /** Starts what is due, then sleeps until the next probe is due or the next interval begins. */
  private pump(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = this.now();
    for (;;) {
      const t = this.plan[this.cursor];
      const due = t ? this.cycleStart + t.offsetMs : this.cycleStart + this.opts.intervalMs;
      if (due > now + TICK_MS) {
        this.timer = setTimeout(() => this.pump(), due - now);
        return;
      }
      if (t) {
        this.cursor++;
        this.dispatch(t, due);
        continue;
      }
      // A new interval. After a stall of the whole process, start afresh rather than run the missed ones.
      this.cycleStart = due < now - this.opts.intervalMs ? now : due;
      this.cursor = 0;
      this.delayLastCycle = this.delayThisCycle;
      this.delayThisCycle = 0;
      this.refresh();
    }
  }

  private dispatch(target: OutsideInTarget, due: number): void {
    if (this.busy.has(target.key)) {
      this.skipped++;
      return;
    }
    this.busy.add(target.key);
    if (this.running.size < this.opts.concurrency) this.run(target, due);
    else this.waiting.push({ target, due });
  }

  private run(target: OutsideInTarget, due: number): void {
    this.delayThisCycle = Math.max(this.delayThisCycle, this.now() - due);
    const p = this.probe(target.address, this.stopper.signal)
      .catch((): AddressResult => ({ up: false, reason: 'internal_error' }))
      .then((r) => {
        this.probes++;
        if (this.closed) return;
        const s = this.lines.get(`${target.center}\0${target.line}`);
        if (s?.results.has(target.address)) s.results.set(target.address, r);
      })
      .finally(() => {
        this.running.delete(p);
        this.busy.delete(target.key);
        const next = this.waiting.shift();
        if (next && !this.closed) this.run(next.target, next.due);
      });
    this.running.add(p);
  }
}

/** The agent's probes, as a check without a line would run them: icmp in burst mode, tcp connects. */
export function agentProber(opts: OutsideInOptions, log: Logger): AddressProber {
  // Burst-mode icmp and tcp keep no sessions; the runner still wants a place for them.
  const sessions = new Map<string, Session>();
  // 50 ms apart rather than the agent's 200: the first reply is enough, and a probe holds its slot (a
  // `ping` process) for the whole burst. At 0.2 s, 6,642 addresses every 15 s needed more than 256 slots.
  const icmpOptions = opts.icmpCount > 0 ? icmpProbe.options.parse({ mode: 'burst', count: opts.icmpCount, packet_interval: PACKET_INTERVAL_S }) : undefined;
  const tcpOptions = tcpProbe.options.parse({});
  const one = async (def: ProbeDefinition, target: string, options: unknown, stop: AbortSignal): Promise<AddressResult> => {
    const { result } = await runCheck(
      { id: 'outside-in', kind: def.kind, target, interval: opts.intervalMs, timeout: opts.timeoutMs, options, thresholds: [] },
      def,
      { log, sessions, stop },
    );
    const rtt = result.observations?.find((o) => o.metric === 'rtt_seconds')?.value ?? result.phases?.connect;
    return { up: result.up, reason: result.reason, ...(result.up && rtt !== undefined ? { rttSeconds: rtt } : {}) };
  };
  return async (address, stop) => {
    const host = address.includes(':') ? `[${address}]` : address;
    const [icmp, ...tcp] = await Promise.all([
      icmpOptions ? one(icmpProbe as ProbeDefinition, address, icmpOptions, stop) : undefined,
      ...opts.tcpPorts.map((port) => one(tcpProbe as ProbeDefinition, `${host}:${port}`, tcpOptions, stop)),
    ]);
    return addressResult(icmp, tcp);
  };
}
