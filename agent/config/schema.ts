import { z } from 'zod';
import { PROBES, PROBE_KINDS, type ProbeKind } from '../probes/index.js';
import type { ProbeDefinition } from '../probes/types.js';
import { duration, identifier, labelName, formatDuration } from '../../common/zod-helpers.js';
import { RESERVED_LABELS } from '../../common/metrics.js';
import { pushSchema } from '../push/schema.js';
import { centralSchema } from '../central/schema.js';
import { provinceProblem } from '../../common/provinces.js';

/** How much a check matters to the center being able to serve citizens. */
export const IMPACTS = ['blocking', 'degrading', 'info'] as const;

const threshold = z
  .object({
    /** A metric key of the check's kind marked as usable for thresholds (e.g. `loss_ratio`). */
    metric: z.string(),
    /** Degraded when the value is above this. */
    above: z.number().optional(),
    /** Degraded when the value is below this. */
    below: z.number().optional(),
  })
  .strict()
  .refine((t) => (t.above === undefined) !== (t.below === undefined), { error: 'set exactly one of "above" or "below"' });

const line = z
  .object({
    name: identifier,
    /** Network interface the line leaves through (e.g. `eth1`, `ppp0`). */
    interface: z
      .string()
      .regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'must be a Linux interface name such as eth1 or ppp0 (a Windows adapter name is not one: bind by source address)')
      .optional(),
    /** Local address to bind probes to; with policy routing this selects the line. */
    source: z.union([z.ipv4(), z.ipv6()]).optional(),
    description: z.string().optional(),
  })
  .strict();

function checkVariant<K extends ProbeKind>(kind: K) {
  const def = PROBES[kind];
  return z
    .object({
      /** Unique id, used as the `check` label. */
      id: identifier,
      kind: z.literal(kind),
      /** What to probe; its form depends on the kind. */
      target: def.targetRequired ? z.string().min(1) : z.string().default(''),
      /** Name of a line from `lines`: the probe's traffic is bound to it. */
      line: identifier.optional(),
      /** How often to run. Default: `defaults.interval`. */
      interval: duration.optional(),
      /** Hard deadline of one run; at most `interval`. Default: `defaults.timeout` (capped at the interval). */
      timeout: duration.optional(),
      /** Static labels added to every series of the check. */
      labels: z.record(labelName, z.string().max(128)).default({}),
      /** Conditions that turn an up check `degraded`. */
      thresholds: z.array(threshold).default([]),
      impact: z.enum(IMPACTS).default('degrading'),
      /** Readiness group (e.g. `lines`, `counter-1`). */
      group: identifier.optional(),
      description: z.string().optional(),
      options: (def.options as z.ZodType<unknown>).prefault({}) as unknown as z.ZodType<z.output<(typeof PROBES)[K]['options']>>,
    })
    .strict();
}

const checks = PROBE_KINDS.map((k) => checkVariant(k)) as unknown as [ReturnType<typeof checkVariant<'icmp'>>, ...ReturnType<typeof checkVariant<ProbeKind>>[]];

export const agentConfigSchema = z
  .object({
    center: z
      .object({
        id: identifier,
        name: z.string().min(1).max(200),
        /** One of the 34 provinces: its id (`quang-ngai`) or its official code (`51`). */
        province: identifier.superRefine((value, ctx) => {
          const problem = provinceProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      })
      .strict(),
    agent: z
      .object({
        id: identifier,
        /** host:port of the `/metrics` and `/healthz` endpoint. Default `127.0.0.1:9478`. */
        listen: z
          .string()
          .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'must be host:port')
          .default('127.0.0.1:9478'),
        /** At most this many probe runs at once. Default 16. */
        concurrency: z.number().int().min(1).max(256).default(16),
        log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      })
      .strict(),
    defaults: z
      .object({
        interval: duration.prefault('30s'),
        timeout: duration.prefault('10s'),
      })
      .strict()
      .prefault({}),
    lines: z.array(line).default([]),
    checks: z.array(z.discriminatedUnion('kind', checks)).default([]),
    /** Push to the province server (remote_write with a WAL). Absent: metrics are only served on /metrics. */
    push: pushSchema.optional(),
    /**
     * Present in a file written by `centerwatch-agent enroll`: the rest of the file is the province server's
     * profile for this agent, fetched again every few minutes (a change is applied like SIGHUP). Remove
     * this section to manage the file by hand.
     */
    central: centralSchema.optional(),
    /**
     * A secret written in the file itself (rather than as `<key>_file` or `${ENV}`): `warn` (default) says
     * so in `--check-config` and the log; `refuse` makes it an error (for machines whose config files are
     * copied around, where secrets must live in files of their own).
     */
    literal_secrets: z.enum(['warn', 'refuse']).default('warn'),
  })
  .strict()
  // Cross-field rules run even when some fields failed, so one pass reports every problem;
  // they read the partly parsed value defensively.
  .superRefine((cfg, ctx) => crossFieldRules(cfg, ctx), { when: (payload) => typeof payload.value === 'object' && payload.value !== null });

/** The config as the cross-field rules see it: any field may be missing or of the wrong type. */
interface Loose {
  defaults?: { interval?: unknown };
  lines?: unknown;
  checks?: unknown;
}
type LooseCheck = {
  id?: unknown;
  kind?: unknown;
  target?: unknown;
  line?: unknown;
  interval?: unknown;
  timeout?: unknown;
  labels?: unknown;
  thresholds?: unknown;
  options?: unknown;
};

function crossFieldRules(cfg: Loose, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
  const lines = Array.isArray(cfg.lines) ? (cfg.lines as Array<{ name?: unknown }>) : [];
  const checks = Array.isArray(cfg.checks) ? (cfg.checks as LooseCheck[]) : [];
  const lineNames = new Map<unknown, number>();
  lines.forEach((l, i) => {
    const first = lineNames.get(l?.name);
    if (first !== undefined) issue(['lines', i, 'name'], `duplicate line name "${String(l.name)}" (first at lines[${first}])`);
    else lineNames.set(l?.name, i);
  });
  const defaultInterval = typeof cfg.defaults?.interval === 'number' ? cfg.defaults.interval : undefined;
  const ids = new Map<unknown, number>();
  checks.forEach((c, i) => {
    if (!c || typeof c !== 'object') return;
    const first = ids.get(c.id);
    if (first !== undefined) issue(['checks', i, 'id'], `duplicate check id "${String(c.id)}" (first at checks[${first}])`);
    else ids.set(c.id, i);
    const lineProblem = (path: PropertyKey[], name: string): void => {
      if (!lineNames.has(name)) issue(['checks', i, ...path], `unknown line "${name}" (lines: ${[...lineNames.keys()].join(', ') || 'none declared'})`);
    };
    if (typeof c.line === 'string') lineProblem(['line'], c.line);
    const interval = typeof c.interval === 'number' ? c.interval : defaultInterval;
    if (typeof c.timeout === 'number' && interval !== undefined && c.timeout > interval) {
      issue(['checks', i, 'timeout'], `timeout ${formatDuration(c.timeout)} exceeds the interval ${formatDuration(interval)}`);
    }
    if (typeof c.kind !== 'string' || !(c.kind in PROBES)) return;
    const kind = c.kind as ProbeKind;
    for (const ref of (PROBES[kind] as ProbeDefinition).lineRefs?.(c.options) ?? []) lineProblem(['options', ...ref.path], ref.line);
    if (typeof c.target === 'string' && c.target !== '') {
      // Each kind's own rule; some read the options (a printer's protocol), given when they are valid.
      const def = PROBES[kind] as ProbeDefinition;
      const options = def.options.safeParse(c.options ?? {});
      const problem = def.targetProblem(c.target, options.success ? options.data : undefined);
      if (problem) issue(['checks', i, 'target'], problem);
    }
    for (const name of Object.keys(c.labels && typeof c.labels === 'object' ? c.labels : {})) {
      if (RESERVED_LABELS.has(name) || name.startsWith('__')) issue(['checks', i, 'labels', name], `label "${name}" is reserved`);
    }
    const usable = Object.entries(PROBES[kind].metrics as Record<string, { threshold?: boolean }>)
      .filter(([, spec]) => spec.threshold)
      .map(([key]) => key);
    (Array.isArray(c.thresholds) ? (c.thresholds as Array<{ metric?: unknown }>) : []).forEach((t, j) => {
      if (typeof t?.metric === 'string' && !usable.includes(t.metric)) {
        const list = usable.length ? usable.join(', ') : 'none';
        issue(['checks', i, 'thresholds', j, 'metric'], `"${t.metric}" is not a threshold metric of kind ${kind} (one of: ${list})`);
      }
    });
  });
}

export type AgentConfigInput = z.input<typeof agentConfigSchema>;
type Parsed = z.output<typeof agentConfigSchema>;
export type LineConfig = Parsed['lines'][number];

/** A check after defaults are applied: interval and timeout always set. */
export type CheckConfig = Parsed['checks'][number] & { interval: number; timeout: number };

export type AgentConfig = Omit<Parsed, 'checks'> & { checks: CheckConfig[] };

/** Fills each check's interval and timeout from `defaults` (a timeout never exceeds its interval). */
export function applyDefaults(cfg: Parsed): AgentConfig {
  return {
    ...cfg,
    checks: cfg.checks.map((c) => {
      const interval = c.interval ?? cfg.defaults.interval;
      return { ...c, interval, timeout: c.timeout ?? Math.min(cfg.defaults.timeout, interval) };
    }),
  };
}
