/** `centerwatch-server centers import|list|show|remove`: the inventory of centers from the command line. */
import { readFileSync } from 'node:fs';
import { table } from './text-table.js';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { formatProblem } from '../../common/config-errors.js';
import { provinceName } from '../../common/provinces.js';
import type { FleetCliContext } from './deps.js';
import { importCenters, planImport } from './import.js';
import { normalizeCode, provinceId, unknownProvinceMessage } from './inventory-schema.js';
import { LINE_SYNTAX } from './inventory.js';
import { NATIONAL_LIST_FILE, nationalListText } from './national-list.js';

export const CENTERS_USAGE = `Usage:
  centerwatch-server centers import [FILE] [--province CODE] [--dry-run]
      import or update centers (by code; all or none) from FILE: .csv (the inventory, or the national
      list's columns) or .yaml/.yml; without FILE, from the national list shipped with the server.
      --province keeps one province's centers (official code such as 51, or id such as quang-ngai);
      --dry-run counts what would change and stores nothing
  centerwatch-server centers list [--province P]
  centerwatch-server centers show CODE
  centerwatch-server centers remove CODE     remove the center and revoke its agents

Inventory CSV columns: code,name,province,type,address,counters,lines,profile and var.NAME (any order;
code, name, province and type required). lines: ${LINE_SYNTAX} separated by ";",
the first the main one, PUBLIC the line's public addresses or CIDR prefixes as the province sees them,
e.g. fiber-vnpt=fiber/VNPT^113.160.12.34;4g-viettel=4g/Viettel^27.64.0.0/12|2402:800::/32
`;

/** Runs `centers …` (args: what follows `centers`, without --config); the exit code. */
export function centersCommand(args: string[], ctx: FleetCliContext): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'import':
        return Promise.resolve(importCommand(rest, ctx));
      case 'list':
        return Promise.resolve(listCommand(rest, ctx));
      case 'show':
      case 'remove':
        return Promise.resolve(oneCenter(sub, rest, ctx));
      case '--help':
      case '-h':
      case 'help':
        ctx.out(CENTERS_USAGE);
        return Promise.resolve(0);
      default:
        return Promise.resolve(usage(ctx, sub === undefined ? 'centers needs a command' : `unknown centers command "${sub}"`));
    }
  } catch (err) {
    // parseArgs refuses an unknown option or a missing value with a TypeError that has a code.
    if (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) return Promise.resolve(usage(ctx, err.message));
    throw err;
  }
}

function usage(ctx: FleetCliContext, problem: string): number {
  ctx.err(`${problem}\n\n${CENTERS_USAGE}`);
  return 2;
}

function importCommand(args: string[], ctx: FleetCliContext): number {
  const { values, positionals } = parseArgs({
    args,
    options: { province: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 1) return usage(ctx, 'centers import takes at most one FILE');
  if (values.province !== undefined && provinceId(values.province) === undefined) return usage(ctx, `--province: ${unknownProvinceMessage(values.province)}`);
  const file = positionals[0];
  let text: string;
  try {
    text = file === undefined ? nationalListText() : readFileSync(file, 'utf8');
  } catch (err) {
    ctx.err(`cannot read ${file ?? NATIONAL_LIST_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})\n`);
    return 1;
  }
  const name = file ?? NATIONAL_LIST_FILE;
  const plan = planImport(text, name, values.province);
  if (!plan.ok) {
    const n = plan.problems.length;
    ctx.err(`${plan.problems.map(formatProblem).join('\n')}\n${n} problem${n === 1 ? '' : 's'} in ${name}: nothing imported\n`);
    return 1;
  }
  const dryRun = values['dry-run'];
  const r = importCenters(ctx.store.fleet, plan, ctx.now(), dryRun);
  const what = plan.shape === 'reference' ? (file === undefined ? 'the national list' : `${file} (the national list's shape)`) : file!;
  const of = plan.province === undefined ? '' : ` of ${provinceName(plan.province)}`;
  const skipped = plan.skipped > 0 ? `; ${plan.skipped} of other provinces left out` : '';
  ctx.out(
    `${plan.centers.length} centers${of} from ${what}${skipped}\n` +
      `${dryRun ? 'would be ' : ''}created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}${dryRun ? ' (dry run: nothing stored)' : ''}\n`,
  );
  return 0;
}

function listCommand(args: string[], ctx: FleetCliContext): number {
  const { values, positionals } = parseArgs({ args, options: { province: { type: 'string' } }, strict: true, allowPositionals: true });
  if (positionals.length > 0) return usage(ctx, `centers list takes no argument ("${positionals[0]}")`);
  const province = values.province === undefined ? undefined : provinceId(values.province);
  if (values.province !== undefined && province === undefined) return usage(ctx, `--province: ${unknownProvinceMessage(values.province)}`);
  const rows = ctx.store.fleet
    .centers(province)
    .map((c) => [c.code, c.name, c.type, c.province, String(c.counters), c.lines.map((l) => l.name).join(',') || '-']);
  ctx.out(table(['CODE', 'NAME', 'TYPE', 'PROVINCE', 'COUNTERS', 'LINES'], rows));
  return 0;
}

function oneCenter(sub: 'show' | 'remove', args: string[], ctx: FleetCliContext): number {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true });
  if (positionals.length !== 1) return usage(ctx, `centers ${sub} takes one CODE`);
  const fleet = ctx.store.fleet;
  const code = normalizeCode(positionals[0]!.trim());
  const center = fleet.center(code);
  if (!center) {
    ctx.err(`unknown center ${positionals[0]} (centerwatch-server centers list)\n`);
    return 1;
  }
  const agents = fleet.agents({ center: code });
  if (sub === 'remove') {
    const live = agents.filter((a) => a.revokedAtMs === undefined).length;
    fleet.removeCenter(code, ctx.now());
    ctx.out(`removed ${center.code} ${center.name}; ${live} agent${live === 1 ? '' : 's'} revoked\n`);
    return 0;
  }
  const { updatedAtMs, profile, ...rest } = center;
  const view = {
    ...rest,
    province: `${center.province} (${provinceName(center.province)})`,
    profile: profile ?? null,
    updated: new Date(updatedAtMs).toISOString(),
    agents: agents.map((a) => ({
      id: a.id,
      platform: a.platform,
      version: a.version,
      hostname: a.hostname,
      enrolled: new Date(a.enrolledAtMs).toISOString(),
      ...(a.revokedAtMs !== undefined ? { revoked: new Date(a.revokedAtMs).toISOString() } : {}),
    })),
  };
  ctx.out(stringify(view, { lineWidth: 0 }));
  return 0;
}
