/**
 * `centerwatch-server centers|enroll-code|agents|profiles …`: the fleet from the command line. Each opens
 * the store of the server config (`<data_dir>/engine.sqlite`), also while the server runs: SQLite lets
 * both write, and the server sees a new code, a revocation or a profile at its next request.
 */
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrReport } from '../../common/config-errors.js';
import { formatDuration } from '../../common/duration.js';
import { loadServerConfig } from '../config/load.js';
import { openSqliteStore } from '../store/store.js';
import { centersCommand } from './cli-centers.js';
import type { FleetCliContext } from './deps.js';
import { createCode } from './codes.js';
import { AgentConfigs, profileNameOf } from './render.js';
import { setProfile } from './profiles.js';
import { table } from './text-table.js';

export const FLEET_HELP = `Fleet (each takes --config FILE, default config/server.yaml, and works while the server runs):
  centerwatch-server centers import [FILE] [--province CODE] [--dry-run]
                                            import or update centers (CSV or YAML; no FILE: the national list)
  centerwatch-server centers list [--province P] | show CODE | remove CODE
  centerwatch-server enroll-code --center CODE [--uses N] [--expires 72h] [--profile NAME]
                                            print a one-time code for the center's machines to enrol with
  centerwatch-server agents list [--province P] [--center CODE]
  centerwatch-server agents revoke CENTER/NAME
                                            refuse that agent's next request (it must enrol again)
  centerwatch-server agents set-var CENTER/NAME KEY=VALUE… | set-profile CENTER/NAME PROFILE
  centerwatch-server profiles set NAME FILE [--dry-run]
                                            store a new revision of a profile, once it renders for every agent
  centerwatch-server profiles list | show NAME
`;

export const FLEET_COMMANDS = ['centers', 'enroll-code', 'agents', 'profiles'] as const;
export type FleetCommand = (typeof FLEET_COMMANDS)[number];
export const isFleetCommand = (c: string | undefined): c is FleetCommand => (FLEET_COMMANDS as readonly string[]).includes(c ?? '');

/** Runs one fleet command; the exit code. */
export async function fleetMain(argv: string[], io: { out: (t: string) => void; err: (t: string) => void } = stdio): Promise<number> {
  const [command, ...rest] = argv;
  // --config is taken out here; the rest belongs to the command.
  let configFile = 'config/server.yaml';
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--config' || a === '-c') configFile = rest[++i] ?? configFile;
    else if (a.startsWith('--config=')) configFile = a.slice(9);
    else args.push(a);
  }
  const cfg = loadOrReport(() => loadServerConfig(configFile));
  if (!cfg) return 1;
  mkdirSync(cfg.data_dir, { recursive: true });
  const store = openSqliteStore(join(cfg.data_dir, 'engine.sqlite'));
  const ctx: FleetCliContext = { cfg, store, out: io.out, err: io.err, now: Date.now };
  try {
    switch (command as FleetCommand) {
      case 'centers':
        return await centersCommand(args, ctx);
      case 'enroll-code':
        return enrollCode(args, ctx);
      case 'agents':
        return agentsCommand(args, ctx);
      case 'profiles':
        return profilesCommand(args, ctx);
    }
  } catch (err) {
    if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${err.message}\n\n${FLEET_HELP}`);
      return 2;
    }
    throw err;
  } finally {
    store.close();
  }
  return 2;
}

const stdio = { out: (t: string) => void process.stdout.write(t), err: (t: string) => void process.stderr.write(t) };

function enrollCode(args: string[], ctx: FleetCliContext): number {
  const { values } = parseArgs({
    args,
    options: { center: { type: 'string' }, uses: { type: 'string', default: '1' }, expires: { type: 'string' }, profile: { type: 'string' } },
    strict: true,
  });
  if (!values.center) return usage(ctx, 'enroll-code needs --center CODE');
  const uses = Number(values.uses);
  if (!Number.isInteger(uses) || uses < 1 || uses > 1000) return usage(ctx, '--uses must be a whole number from 1 to 1000');
  const r = createCode(
    ctx.store.fleet,
    ctx.cfg.fleet,
    { center: values.center, uses, expires: values.expires, profile: values.profile, by: process.env.USER ?? 'cli' },
    ctx.now(),
  );
  if (!r.ok) {
    if (r.problem === 'invalid') return usage(ctx, `--${r.error}`);
    ctx.err(`${r.error}\n`);
    return 1;
  }
  const { code, id, center, ttlMs: ttl, expiresAtMs } = r;
  ctx.out(
    `${code}\n` +
      `  code #${id} for ${center.name} (${center.code}), ${uses === 1 ? 'one machine' : `${uses} machines`}, ` +
      `valid for ${formatDuration(ttl)} (until ${new Date(expiresAtMs).toISOString()})\n` +
      `  on each machine: centerwatch-agent enroll --server https://<this server> --code ${code} --name <machine name>\n` +
      '  the code is shown only now; the server keeps its hash.\n',
  );
  return 0;
}

function agentsCommand(args: string[], ctx: FleetCliContext): number {
  const [sub, ...rest] = args;
  const fleet = ctx.store.fleet;
  if (sub === 'list') {
    const { values } = parseArgs({ args: rest, options: { province: { type: 'string' }, center: { type: 'string' } }, strict: true });
    const configs = new AgentConfigs(fleet, ctx.cfg.fleet);
    const rows = fleet.agents({ ...(values.province ? { province: values.province } : {}), ...(values.center ? { center: values.center } : {}) }).map((a) => {
      const current = a.revokedAtMs === undefined ? configs.currentRevision(a) : undefined;
      return [
        a.id,
        a.platform,
        a.version || '-',
        a.runningRevision || '-',
        current ?? '-',
        a.revokedAtMs !== undefined ? 'revoked' : a.lastSeenAtMs ? new Date(a.lastSeenAtMs).toISOString() : 'never',
      ];
    });
    ctx.out(table(['AGENT', 'PLATFORM', 'VERSION', 'RUNNING', 'CURRENT', 'LAST SEEN'], rows));
    return 0;
  }
  const id = rest[0];
  if (!id || !fleet.agent(id)) {
    if (sub === 'revoke' || sub === 'set-var' || sub === 'set-profile') {
      ctx.err(id ? `unknown agent ${id} (centerwatch-server agents list)\n` : `agents ${sub} needs CENTER/NAME\n`);
      return id ? 1 : 2;
    }
    return usage(ctx, `unknown agents command ${sub ?? ''}`);
  }
  if (sub === 'revoke') {
    if (!fleet.revokeAgent(id, ctx.now())) {
      ctx.err(`${id} is revoked already\n`);
      return 1;
    }
    ctx.out(`${id} revoked: its next request is refused; to bring the machine back, enrol it again with a new code\n`);
    return 0;
  }
  if (sub === 'set-var') {
    const vars = { ...fleet.agent(id)!.vars };
    for (const kv of rest.slice(1)) {
      const m = /^([a-z][a-z0-9_]{0,62})=(.*)$/s.exec(kv);
      if (!m) return usage(ctx, `"${kv}" is not KEY=VALUE (a key is lower-case letters, digits and _)`);
      if (m[2] === '') delete vars[m[1]!];
      else vars[m[1]!] = m[2]!;
    }
    return applyIfRenders(ctx, id, () => fleet.setAgentVars(id, vars), { vars });
  }
  if (sub === 'set-profile') {
    const profile = rest[1];
    if (!profile || !fleet.profile(profile)) return usage(ctx, `unknown profile ${profile ?? ''}`);
    return applyIfRenders(ctx, id, () => fleet.setAgentProfile(id, profile), { profile });
  }
  return usage(ctx, `unknown agents command ${sub}`);
}

/** Changes an agent only if its config still renders afterwards. */
function applyIfRenders(ctx: FleetCliContext, id: string, apply: () => void, change: { vars?: Record<string, string>; profile?: string }): number {
  const agent = { ...ctx.store.fleet.agent(id)!, ...change };
  const r = new AgentConfigs(ctx.store.fleet, ctx.cfg.fleet).forAgent(agent);
  if (!r.ok && r.profile !== undefined) {
    ctx.err(`refused: ${id}'s config would not load:\n${r.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  apply();
  ctx.out(`${id} updated${r.ok ? `; its config is now revision ${r.config.revision}` : ''}\n`);
  return 0;
}

function profilesCommand(args: string[], ctx: FleetCliContext): number {
  const [sub, ...rest] = args;
  const fleet = ctx.store.fleet;
  if (sub === 'list') {
    const agents = fleet.agents().filter((a) => a.revokedAtMs === undefined);
    const centers = new Map(fleet.centers().map((c) => [c.code, c]));
    const rows = fleet
      .profiles()
      .map((p) => [
        p.name,
        String(p.revision),
        new Date(p.createdAtMs).toISOString(),
        p.createdBy,
        String(agents.filter((a) => profileNameOf(a, centers.get(a.center), ctx.cfg.fleet.default_profile) === p.name).length),
      ]);
    ctx.out(table(['PROFILE', 'REVISION', 'SINCE', 'BY', 'AGENTS'], rows));
    return 0;
  }
  if (sub === 'show') {
    const p = rest[0] ? fleet.profile(rest[0]) : undefined;
    if (!p) return usage(ctx, `unknown profile ${rest[0] ?? ''}`);
    ctx.out(`# profile ${p.name}, revision ${p.revision}, ${new Date(p.createdAtMs).toISOString()} by ${p.createdBy}\n${p.body}`);
    return 0;
  }
  if (sub === 'set') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { 'dry-run': { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: true,
    });
    const [name, file] = positionals;
    if (!name || !file || !/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name))
      return usage(ctx, 'profiles set NAME FILE (NAME: lower-case letters, digits, ".", "_" or "-")');
    let body: string;
    try {
      body = readFileSync(file, 'utf8');
    } catch (err) {
      ctx.err(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})\n`);
      return 1;
    }
    const result = setProfile(ctx, name, body, process.env.USER ?? 'cli', values['dry-run']);
    for (const w of result.warnings) ctx.err(`${w} (warning)\n`);
    if (!result.ok) {
      ctx.err(
        `profile ${name} refused, nothing changed: it does not load for ${result.failing} of ${result.agents} agents:\n${result.problems.map((p) => `  ${p}`).join('\n')}\n`,
      );
      return 1;
    }
    ctx.out(
      values['dry-run']
        ? `profile ${name} renders for all ${result.agents} agents that get it (dry run: nothing stored)\n`
        : `profile ${name} revision ${result.revision} stored; ${result.agents} agents get it at their next fetch (every ${formatDuration(ctx.cfg.fleet.fetch_interval)})\n`,
    );
    return 0;
  }
  return usage(ctx, `unknown profiles command ${sub ?? ''}`);
}

function usage(ctx: FleetCliContext, problem: string): number {
  ctx.err(`${problem}\n\n${FLEET_HELP}`);
  return 2;
}
