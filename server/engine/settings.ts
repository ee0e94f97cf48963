/**
 * The engine's settings from the `engine:` config section, pure (silences come in as a function, so the
 * runtime decides where they are read from).
 */
import type { EngineConfig } from '../config/engine-schema.js';
import type { AlertRule } from './alerts.js';
import { defaultCalendar, type OfficeCalendar } from '../calendar.js';
import type { EngineSettings } from './evaluate.js';

export function engineSettings(cfg: EngineConfig, isSilenced: EngineSettings['isSilenced']): EngineSettings {
  const flap = { windowMs: cfg.defaults.flap_window, transitions: cfg.defaults.flap_transitions };
  // One rule object per (kind, check, group): the engine asks for it for every check every second.
  const rules = new Map<string, AlertRule>();
  const ruleFor = (c: { kind: string; check: string; group?: string | undefined }): AlertRule => {
    const key = `${c.kind}\0${c.check}\0${c.group ?? ''}`;
    let rule = rules.get(key);
    if (!rule) rules.set(key, (rule = findRule(c)));
    return rule;
  };
  const findRule = (c: { kind: string; check: string; group?: string | undefined }): AlertRule => {
    const r = cfg.rules.find(
      (x) => (x.kind === undefined || x.kind === c.kind) && (x.check === undefined || x.check === c.check) && (x.group === undefined || x.group === c.group),
    );
    // A province-wide failure is made of checks that already waited their own `for`.
    const forDefault = c.kind === 'province' ? 0 : cfg.defaults.for;
    return { forMs: r?.for ?? forDefault, recoverForMs: r?.recover_for ?? cfg.defaults.recover_for, flap };
  };
  const calendars = new Map<string, OfficeCalendar>();
  const calendarOf = (province: string): OfficeCalendar => {
    let cal = calendars.get(province);
    if (!cal) {
      const c = cfg.calendar;
      const o = c.provinces[province] ?? {};
      cal = defaultCalendar({
        saturdayMorning: o.saturday_morning ?? c.saturday_morning ?? false,
        holidays: o.holidays ?? c.holidays ?? [],
        extraWorkdays: o.extra_workdays ?? c.extra_workdays ?? [],
      });
      calendars.set(province, cal);
    }
    return cal;
  };
  return {
    ruleFor,
    silenceRule: { forMs: 0, recoverForMs: 0, flap },
    degradedRule: { forMs: cfg.defaults.for, recoverForMs: cfg.defaults.recover_for, flap },
    linesGroup: cfg.lines_group,
    groupModes: new Map(cfg.groups.map((g) => [g.name, g.mode])),
    upstreamOf: new Map(cfg.upstreams.flatMap((u) => u.checks.map((c) => [c, u.name] as const))),
    upstreamTitles: new Map(cfg.upstreams.map((u) => [u.name, u.title])),
    provinceWide: { minCenters: cfg.province_wide.min_centers, minShare: cfg.province_wide.min_share },
    enterAfter: cfg.readiness.enter_after,
    leaveAfter: cfg.readiness.leave_after,
    calendarOf,
    leadMs: cfg.calendar.lead_time,
    holdOutsideHours: cfg.calendar.hold_outside_hours,
    publicUrl: cfg.public_url,
    isSilenced,
  };
}
