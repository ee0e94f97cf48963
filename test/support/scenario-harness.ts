/**
 * Test-only: a simulated province for scenario tests of the pure engine. Centers, agents and checks
 * are plain data the test changes between steps; `run` advances a simulated clock one evaluation at a
 * time and keeps every output, so a test reads the messages that went out as a list of headlines.
 */
import { engineConfigSchema, type EngineConfig } from '../../server/config/engine-schema.js';
import { plainText } from '../../server/notifiers/text.js';
import { emptyEngineState, evaluate, type AgentSnapshot, type CheckSnapshot, type EngineOutput, type EngineState } from '../../server/engine/evaluate.js';
import { checkTitle } from '../../server/engine/fleet.js';
import { engineSettings } from '../../server/engine/settings.js';
import { matches, recurrenceActive } from '../../server/engine/silences.js';
import type { SilenceMatcher } from '../../server/store/types.js';

/** 08:00 on Friday 27/11/2026 in UTC+7 (01:00 UTC): office hours. */
export const FRI_0800 = Date.UTC(2026, 10, 27, 1, 0);
export const S = 1000;
export const MIN = 60 * S;

export interface Silence {
  matchers: SilenceMatcher[];
  startsMs: number;
  endsMs: number;
  recurring?: string;
}

export class Province {
  nowMs: number;
  readonly agents: AgentSnapshot[] = [];
  readonly checks: CheckSnapshot[] = [];
  readonly names = new Map<string, string>();
  readonly outputs: Array<EngineOutput & { at: number }> = [];
  silences: Silence[] = [];
  state: EngineState = emptyEngineState();
  readonly cfg: EngineConfig;

  constructor(startMs = FRI_0800, cfg: Record<string, unknown> = {}) {
    this.nowMs = startMs;
    this.cfg = engineConfigSchema.parse({ public_url: 'https://ready.example.vn', ...cfg });
  }

  /**
   * A ward center: one agent, lines `inet1` and `inet2` (icmp, group `lines`), the provincial system
   * over inet1 (blocking, upstream `provincial-system` when configured) and a printer (degrading).
   */
  addCenter(center: string, name = center, province = 'qng', agent = 'pc1'): this {
    this.names.set(center, name);
    this.addAgent(center, agent, province);
    const base = { province, center, agent, up: true, degraded: false };
    this.checks.push(
      { ...base, check: 'line-inet1', kind: 'icmp', line: 'inet1', impact: 'blocking', group: 'lines' },
      { ...base, check: 'line-inet2', kind: 'icmp', line: 'inet2', impact: 'blocking', group: 'lines' },
      { ...base, check: 'provincial-system', kind: 'http', line: 'inet1', impact: 'blocking', ...titled(this.cfg, 'provincial-system') },
      { ...base, check: 'printer-1', kind: 'printer', impact: 'degrading', group: 'counter-1' },
    );
    return this;
  }

  addAgent(center: string, agent: string, province = 'qng'): this {
    this.agents.push({ province, center, agent, heard: true });
    return this;
  }

  check(center: string, id: string): CheckSnapshot {
    const c = this.checks.find((x) => x.center === center && x.check === id);
    if (!c) throw new Error(`no check ${center}/${id}`);
    return c;
  }

  set(center: string, id: string, up: boolean, extra: Partial<CheckSnapshot> = {}): this {
    Object.assign(this.check(center, id), { up, ...extra });
    return this;
  }

  agent(center: string, agent: string): AgentSnapshot {
    return this.agents.find((a) => a.center === center && a.agent === agent)!;
  }

  /** Evaluates every `stepMs` for `forMs` (the first evaluation now). */
  run(forMs: number, stepMs = S): this {
    const end = this.nowMs + forMs;
    for (; this.nowMs < end; this.nowMs += stepMs) this.evaluateNow();
    return this;
  }

  evaluateNow(): EngineOutput[] {
    const settings = engineSettings(this.cfg, (labels, now) =>
      this.silences.some(
        (s) => now >= s.startsMs && now < s.endsMs && (s.recurring === undefined || recurrenceActive(s.recurring, now)) && matches(s.matchers, labels),
      ),
    );
    const { state, outputs } = evaluate(
      this.state,
      { nowMs: this.nowMs, agents: this.agents, checks: this.checks.map((c) => ({ ...c })), names: this.names },
      settings,
    );
    this.state = state;
    for (const o of outputs) this.outputs.push({ ...o, at: this.nowMs });
    return outputs;
  }

  /** Messages sent so far, as `HH:MM:SS <first line of the Vietnamese text>`. */
  messages(lang: 'vi' | 'en' = 'vi'): string[] {
    return this.outputs.flatMap((o) => (o.type === 'message' ? [`${clock(o.at)} ${plainText(o.event, lang).split('\n')[0]}`] : []));
  }

  /** Readiness changes of a center: `HH:MM:SS state`. */
  readiness(center: string): string[] {
    return this.outputs.flatMap((o) => (o.type === 'readiness' && o.center === center ? [`${clock(o.at)} ${o.to}`] : []));
  }

  notes(action: string): string[] {
    return this.outputs.flatMap((o) => (o.type === 'note' && o.action === action ? [o.alert.entity] : []));
  }

  clear(): this {
    this.outputs.length = 0;
    return this;
  }
}

/** The display name the fleet would give the check (a shared system's title). */
function titled(cfg: EngineConfig, check: string): Pick<CheckSnapshot, 'title'> {
  const title = checkTitle(cfg, check, undefined);
  return title ? { title } : {};
}

/** `HH:MM:SS` at UTC+7. */
export function clock(tMs: number): string {
  return new Date(tMs + 7 * 3600_000).toISOString().slice(11, 19);
}
