/** Storing a profile: only a text that renders for every agent that gets it (the CLI and the API both come here). */
import type { FleetCliContext } from './deps.js';
import { AgentConfigs } from './render.js';

export type SetProfileResult =
  | { ok: true; revision: number | undefined; agents: number; warnings: string[] }
  | { ok: false; problems: string[]; agents: number; failing: number; warnings: string[] };

/** Stores a profile revision only if it renders for every agent that gets it (the CLI and the API). */
export function setProfile(ctx: Pick<FleetCliContext, 'store' | 'cfg' | 'now'>, name: string, body: string, by: string, dryRun = false): SetProfileResult {
  const check = new AgentConfigs(ctx.store.fleet, ctx.cfg.fleet).checkProfile(name, body);
  if (check.problems.length > 0) {
    const failing = new Set(check.problems.map((p) => p.slice(0, p.indexOf(': ')))).size;
    return { ok: false, problems: check.problems, agents: check.agents, failing, warnings: check.warnings };
  }
  const revision = dryRun ? undefined : ctx.store.fleet.addProfile(name, body, by, ctx.now());
  return { ok: true, revision, agents: check.agents, warnings: check.warnings };
}
