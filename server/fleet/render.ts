/**
 * Each enrolled agent's config, rendered from its profile with its center's and its own variables, and
 * validated with the agent's own loader for the agent's platform (what `--check-config` would say on the
 * machine). The rendered text is cached per agent until the profile, the center, the agent or a secret
 * file it names changes; its content hash is the revision the agent runs and the fleet view compares.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isScalar, Pair, Scalar, visit, type Document } from 'yaml';
import { SECRET_KEYS } from '../../common/secrets.js';
import { ConfigError, formatProblem } from '../../common/config-errors.js';
import { PROVINCES } from '../../common/provinces.js';
import { addCentralSections } from '../../agent/central/compose.js';
import { parseAgentConfig } from '../../agent/config/load.js';
import type { ServerConfig } from '../config/schema.js';
import type { ConfigSource, RenderOutcome } from './deps.js';
import { fillTemplate, secretsNamed, type Element, type Scope, type Value } from './template.js';
import type { AgentRecord, FleetStore, InventoryCenter, ProfileRecord } from './types.js';

/** What the server stands in for while validating (the agent puts its own address and token file there). */
const STAND_IN_CENTRAL = { server: 'https://province-server.invalid', token_file: 'agent.token' } as const;

/** Where a profile's problems are said to be: `profiles/<name>.yaml`, line and field of its text. */
export const profileFile = (name: string): string => `profiles/${name}.yaml`;

/** The profile an agent gets: its own (from its code), else its center's, else the province default. */
export function profileNameOf(
  agent: Pick<AgentRecord, 'profile'>,
  center: Pick<InventoryCenter, 'profile'> | undefined,
  fallback: string | undefined,
): string | undefined {
  return agent.profile ?? center?.profile ?? fallback;
}

export interface RenderInput {
  profile: ProfileRecord;
  center: InventoryCenter;
  agent: Pick<AgentRecord, 'name' | 'platform' | 'hostname' | 'vars'>;
  provinceVars: Record<string, string>;
  /** A secret's value by name, or undefined. */
  secret: (name: string) => string | undefined;
}

/** Renders and validates one agent's config. Pure but for `secret`. */
export function renderProfile(input: RenderInput): RenderOutcome {
  const { profile, center, agent } = input;
  let text = '';
  const before = (doc: Document): ReturnType<typeof fillTemplate> => {
    const problems = fillTemplate(doc, scopeOf(input));
    // Identity is the server's to say: whatever the profile wrote, the agent is who its token says.
    doc.setIn(['center'], doc.createNode({ id: center.code, name: center.name, province: center.province }));
    doc.setIn(['agent', 'id'], agent.name);
    text = doc.toString({ lineWidth: 0 });
    addCentralSections(doc, { ...STAND_IN_CENTRAL });
    standInSecretFiles(doc);
    return problems;
  };
  try {
    parseAgentConfig(profile.body, profileFile(profile.name), {}, undefined, agent.platform, { before });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, profile: profile.name, problems: err.problems.map(formatProblem) };
  }
  return { ok: true, config: { profile: profile.name, revision: revisionOf(text), text } };
}

/**
 * `<secret>_file: path` names a file on the agent's machine, read there when the agent loads the config;
 * the server checks the rest with a stand-in value in its place.
 */
function standInSecretFiles(doc: Document): void {
  visit(doc, {
    Pair(_key, pair) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      // The central section's token_file is the agent's own, not a secret reference.
      if (key === 'central') return visit.SKIP;
      const base = key.replace(/_file$/, '');
      if (base !== key && (SECRET_KEYS as readonly string[]).includes(base)) return new Pair(new Scalar(base), new Scalar('(read on the agent)'));
      return undefined;
    },
  });
}

export const revisionOf = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

function scopeOf({ center, agent, provinceVars, secret }: RenderInput): Scope {
  const province = PROVINCES.find(([id]) => id === center.province);
  const fixed: Record<string, Value | undefined> = {
    'center.code': center.code,
    'center.name': center.name,
    'center.type': center.type,
    'center.address': center.address || undefined,
    'center.counters': center.counters,
    'province.id': center.province,
    'province.name': province?.[1],
    'province.code': province?.[2],
    'agent.name': agent.name,
    'agent.platform': agent.platform,
    'agent.hostname': agent.hostname || undefined,
  };
  const vars = { ...provinceVars, ...center.vars, ...agent.vars };
  return {
    lookup: (name) => {
      if (name.startsWith('vars.')) return vars[name.slice(5)];
      if (name.startsWith('secret.')) return secret(name.slice(7));
      return fixed[name];
    },
    known: () => [...Object.keys(fixed).filter((k) => fixed[k] !== undefined), ...Object.keys(vars).map((k) => `vars.${k}`)],
    collection: (name): Element[] | undefined => {
      // A line's public addresses are the province's business, not a template's.
      if (name === 'lines') return center.lines.map(({ public: _public, ...l }) => ({ ...l, description: `${l.kind} ${l.isp}` }));
      if (name === 'devices') return center.devices.map((d) => ({ ...d }));
      if (name === 'counters') return Array.from({ length: center.counters }, (_, i) => ({ number: i + 1 }));
      return undefined;
    },
  };
}

/** Secret files: `<dir>/<center>/<name>` first, then `<dir>/<name>`; names are plain words, never paths. */
export function secretPaths(dir: string, center: string, name: string): string[] {
  if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/i.test(name) || name.includes('..')) return [];
  return [join(dir, center, name), join(dir, name)];
}

function readSecret(dir: string, center: string, name: string): string | undefined {
  for (const p of secretPaths(dir, center, name)) {
    try {
      return readFileSync(p, 'utf8').replace(/\r?\n$/, '');
    } catch {
      // the next place
    }
  }
  return undefined;
}

/** The mtimes of a profile's secret files for one center: part of the cache key (a rotated password is sent). */
function secretStamp(dir: string, center: string, names: readonly string[]): string {
  return names
    .map((n) =>
      secretPaths(dir, center, n)
        .map((p) => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0)
        .join(','),
    )
    .join(';');
}

/** The ConfigSource the server uses: renders from the store, with a cache per agent. */
export class AgentConfigs implements ConfigSource {
  private readonly cache = new Map<string, { key: string; outcome: RenderOutcome }>();

  constructor(
    private readonly fleet: FleetStore,
    private readonly cfg: ServerConfig['fleet'],
  ) {}

  forAgent(agent: AgentRecord): RenderOutcome {
    const center = this.fleet.center(agent.center);
    const name = profileNameOf(agent, center, this.cfg.default_profile);
    if (!center) return { ok: false, profile: undefined, problems: [`center ${agent.center} is no longer in the inventory`] };
    if (!name)
      return { ok: false, profile: undefined, problems: ['no profile: give the code a --profile, the center a profile, or set fleet.default_profile'] };
    const profile = this.fleet.profile(name);
    if (!profile) return { ok: false, profile: undefined, problems: [`profile "${name}" does not exist (centerwatch-server profiles set ${name} FILE)`] };
    const secrets = secretsNamed(profile.body);
    const key = [
      profile.name,
      profile.revision,
      center.updatedAtMs,
      agent.platform,
      JSON.stringify(agent.vars),
      agent.hostname,
      JSON.stringify(this.cfg.vars),
      secretStamp(this.cfg.secrets_dir, center.code, secrets),
    ].join('|');
    const hit = this.cache.get(agent.id);
    if (hit?.key === key) return hit.outcome;
    const outcome = renderProfile({
      profile,
      center,
      agent,
      provinceVars: this.cfg.vars,
      secret: (n) => readSecret(this.cfg.secrets_dir, center.code, n),
    });
    // Bounded by the number of enrolled agents; a revoked agent's entry goes when it is asked for no more.
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(agent.id, { key, outcome });
    return outcome;
  }

  currentRevision(agent: AgentRecord): string | undefined {
    const r = this.forAgent(agent);
    return r.ok ? r.config.revision : undefined;
  }

  /**
   * Whether a new text for profile `name` renders for every agent that would get it: `problems` (each
   * prefixed with the agent's id) refuse it. With no such agent yet nothing can break, so it is rendered
   * for a stand-in agent of the first center on each platform and what that says comes as `warnings`.
   */
  checkProfile(name: string, body: string): { problems: string[]; warnings: string[]; agents: number } {
    const candidate: ProfileRecord = { name, revision: 0, body, createdAtMs: 0, createdBy: '' };
    const problems: string[] = [];
    let agents = 0;
    const centers = new Map(this.fleet.centers().map((c) => [c.code, c]));
    const render = (center: InventoryCenter, agent: RenderInput['agent']): RenderOutcome =>
      renderProfile({ profile: candidate, center, agent, provinceVars: this.cfg.vars, secret: (n) => readSecret(this.cfg.secrets_dir, center.code, n) });
    for (const a of this.fleet.agents()) {
      const center = centers.get(a.center);
      if (a.revokedAtMs !== undefined || !center || profileNameOf(a, center, this.cfg.default_profile) !== name) continue;
      agents++;
      const r = render(center, a);
      if (!r.ok) problems.push(...r.problems.map((p) => `${a.id}: ${p}`));
    }
    const warnings: string[] = [];
    if (agents === 0) {
      const center = centers.values().next().value ?? STAND_IN_CENTER;
      for (const platform of ['linux', 'win32'] as const) {
        const r = render(center, { name: 'example', platform, hostname: 'example', vars: {} });
        if (!r.ok) warnings.push(...r.problems.map((p) => `(a ${platform} agent at ${center.code}): ${p}`));
      }
    }
    return { problems, warnings, agents };
  }
}

const STAND_IN_CENTER: InventoryCenter = {
  code: 'example',
  province: 'quang-ngai',
  name: 'Example',
  type: 'xã',
  address: '',
  counters: 1,
  lines: [],
  devices: [],
  vars: {},
  updatedAtMs: 0,
};
