/**
 * Root causes, pure: which of a province's current problems explain the others, so one message goes
 * out per real problem. Parents, strongest first:
 *
 *   center offline (no agent heard) ─▶ everything of that center
 *   agent silent                     ─▶ that agent's checks
 *   all lines of a center down       ─▶ the center's checks that need a line (bound to one, or an upstream)
 *   one line down (the check standing for it, `explains`) ─▶ the center's other checks bound to that line
 *   a shared upstream down at many centers ─▶ one province-wide problem for all of them
 *
 * Suppressed problems keep a pointer to their root, so their own resolved message is still owed if
 * one was sent before (the caller decides; this module only relates problems).
 */

export type ProblemKind = 'center_offline' | 'agent_silent' | 'lines_down' | 'check';

export interface Problem {
  id: string;
  kind: ProblemKind;
  province: string;
  center: string;
  agent?: string;
  check?: string;
  /** The line a check is bound to. */
  line?: string;
  /** The shared system a check reaches (e.g. `provincial-system`, `national-portal`). */
  upstream?: string;
  /**
   * The line whose failure this check stands for (topology.ts). Two for one line (the router's view and
   * the province's): the first given is the root, so the caller passes older problems first.
   */
  explains?: string;
}

export interface ProvinceWide {
  id: string;
  province: string;
  upstream: string;
  centers: string[];
}

export interface RootCauses {
  /** Problems that explain themselves: one message each. */
  roots: Problem[];
  /** Province-wide upstream outages: one message each, instead of one per center. */
  provinceWide: ProvinceWide[];
  /** problem id → the id of the root (or province-wide problem) that explains it. */
  suppressedBy: Map<string, string>;
}

export interface DependencyOptions {
  /** An upstream failing at this many centers or more of a province is one province-wide problem. Default 3. */
  provinceWideMinCenters?: number;
  /** …and at this share of the centers that check it (0..1). Default 0.5. */
  provinceWideMinShare?: number;
  /** Centers of each province that check each upstream: `${province}/${upstream}` → count. */
  centersChecking?: ReadonlyMap<string, number>;
}

export function rootCauses(problems: readonly Problem[], opts: DependencyOptions = {}): RootCauses {
  const minCenters = opts.provinceWideMinCenters ?? 3;
  const minShare = opts.provinceWideMinShare ?? 0.5;
  const suppressedBy = new Map<string, string>();
  const byKind = (kind: ProblemKind) => problems.filter((p) => p.kind === kind);
  const offline = new Map(byKind('center_offline').map((p) => [p.center, p.id]));
  const silent = new Map(byKind('agent_silent').map((p) => [`${p.center}/${p.agent}`, p.id]));
  const linesDown = new Map(byKind('lines_down').map((p) => [p.center, p.id]));
  const lineDown = new Map<string, string>();
  for (const p of problems) if (p.explains !== undefined && !lineDown.has(`${p.center}/${p.explains}`)) lineDown.set(`${p.center}/${p.explains}`, p.id);

  for (const p of problems) {
    if (p.kind === 'center_offline') continue;
    const parent =
      offline.get(p.center) ??
      (p.kind !== 'agent_silent' && p.agent !== undefined ? silent.get(`${p.center}/${p.agent}`) : undefined) ??
      (p.kind === 'check' && (p.line !== undefined || p.upstream !== undefined) ? linesDown.get(p.center) : undefined) ??
      (p.kind === 'check' && p.line !== undefined ? lineDown.get(`${p.center}/${p.line}`) : undefined);
    if (parent !== undefined && parent !== p.id) suppressedBy.set(p.id, parent);
  }

  // Upstream failures left unexplained, grouped per province and upstream.
  const groups = new Map<string, Problem[]>();
  for (const p of problems) {
    if (p.kind !== 'check' || p.upstream === undefined || suppressedBy.has(p.id)) continue;
    const key = `${p.province}/${p.upstream}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const provinceWide: ProvinceWide[] = [];
  for (const [key, list] of groups) {
    const centers = [...new Set(list.map((p) => p.center))].sort();
    const checking = opts.centersChecking?.get(key) ?? centers.length;
    if (centers.length < minCenters || centers.length / checking < minShare) continue;
    const [province, upstream] = [list[0]!.province, list[0]!.upstream!];
    const id = `province:${key}`;
    provinceWide.push({ id, province, upstream, centers });
    for (const p of list) suppressedBy.set(p.id, id);
  }
  return { roots: problems.filter((p) => !suppressedBy.has(p.id)), provinceWide, suppressedBy };
}
