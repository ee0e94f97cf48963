/**
 * The `engine:` section of the server config: alert rules, readiness groups, shared upstreams, office
 * hours, notification routes (each channel's options from server/notifiers), escalation, the morning
 * digest, silences and API tokens. Every field has a default, so a server config without `engine:`
 * alerts with sensible settings and sends nothing.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../../common/duration.js';
import { identifier, labelName } from '../../common/zod-helpers.js';
import { CHANNELS, NOTIFIERS, type Channel } from '../notifiers/index.js';

/** A duration that may be zero (`for: 0s` fires on the first bad result). */
const span = z.string().transform((text, ctx) => {
  const ms = text.trim() === '0' ? 0 : parseDuration(text);
  if (ms === undefined || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${text}" (use e.g. 0s, 500ms, 30s, 5m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a local date YYYY-MM-DD');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');
const bilingual = z.object({ vi: z.string().min(1).max(300), en: z.string().min(1).max(300) }).strict();

/** `for` / `recover_for` / flap detection of one kind of check (first matching rule wins). */
const rule = z
  .object({
    /** Matches checks of this kind (icmp, http, printer…). */
    kind: z.string().optional(),
    /** Matches this check id. */
    check: identifier.optional(),
    /** Matches the checks of this readiness group. */
    group: identifier.optional(),
    for: span.optional(),
    recover_for: span.optional(),
  })
  .strict();

const calendarOverride = z
  .object({
    /** Open on Saturday morning (07:30–11:30). */
    saturday_morning: z.boolean().optional(),
    /** Closed days (public holidays, the lunar ones as dates of the year). */
    holidays: z.array(localDate).optional(),
    /** Weekend days worked instead of a bridged holiday. */
    extra_workdays: z.array(localDate).optional(),
  })
  .strict();

const calendar = calendarOverride
  .extend({
    /** Outside office hours non-urgent alerts wait for the lead time before the next opening. `false`: page at once, always. */
    hold_outside_hours: z.boolean().default(true),
    /** Evaluation and paging start this long before opening. Default 30m. */
    lead_time: span.default(30 * 60_000),
    /** Per-province overrides, keyed by province id. */
    provinces: z.record(identifier, calendarOverride).default({}),
  })
  .strict();

const SEVERITIES = ['critical', 'warning', 'info'] as const;

const routeBase = {
  name: identifier,
  lang: z.enum(['vi', 'en']).default('vi'),
  /** Severities sent on this route. Default critical and warning (info is recorded, never paged). */
  severities: z.array(z.enum(SEVERITIES)).default(['critical', 'warning']),
  /** Only these provinces / centers (default all). */
  provinces: z.array(identifier).optional(),
  centers: z.array(identifier).optional(),
  /** Unacknowledged this long after firing: the alert goes to `escalate_to` as well. */
  escalate_after: span.optional(),
  escalate_to: identifier.optional(),
  /** A route used only by escalation or the digest gets no alerts of its own. */
  escalation_only: z.boolean().default(false),
};

/** One route per channel, each with that channel's options (server/notifiers/<channel>.ts). */
function routeVariant<C extends Channel>(channel: C) {
  // The assertion keeps C in the inferred shape (without it each variant's options widen to every channel's union).
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return z.object({ ...routeBase, channel: z.literal(channel), options: NOTIFIERS[channel].options as (typeof NOTIFIERS)[C]['options'] }).strict();
}

type RouteVariant = { [C in Channel]: ReturnType<typeof routeVariant<C>> }[Channel];

const route = z.discriminatedUnion('channel', CHANNELS.map((c) => routeVariant(c)) as unknown as [RouteVariant, ...RouteVariant[]]);

/** Alertmanager-style matcher text: `center="sa-huynh"`, `kind=~"printer|scanner"`, `check!="x"` (config and API). */
export const matcher = z.string().transform((text, ctx) => {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(text);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `invalid matcher "${text.slice(0, 100)}" (use label="value", label!="value", label=~"regex" or label!~"regex")` });
    return z.NEVER;
  }
  return { label: m[1]!, op: m[2] as '=' | '!=' | '=~' | '!~', value: m[3]!.replace(/\\(.)/g, '$1') };
});

/** A silence or maintenance window from the config (the API adds more at run time). */
const silence = z
  .object({
    matchers: z.array(matcher).min(1),
    /** ISO 8601 instants; default: from now, for ever (a recurring window needs no end). */
    starts: z.iso.datetime({ offset: true }).optional(),
    ends: z.iso.datetime({ offset: true }).optional(),
    /** Recurring maintenance window at local time: `weekly sat 07:00-09:00`, `daily 12:00-13:00`, `monthly 1 22:00-02:00`. */
    recurring: z.string().optional(),
    comment: z.string().max(500).default(''),
  })
  .strict();

/** A bearer token allowed to write through the API (silences, acknowledgements); only its SHA-256 is kept. */
const apiToken = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
      .optional(),
    token: z.string().min(16, 'at least 16 characters').optional(),
    token_file: z.unknown().optional(),
  })
  .strict()
  .refine((t) => t.token_file !== undefined || (t.sha256 === undefined) !== (t.token === undefined), {
    error: 'set exactly one of "sha256" or "token"/"token_file"',
  })
  .transform(({ id, token, sha256 }) => ({
    id,
    sha256:
      sha256 ??
      createHash('sha256')
        .update(token ?? '')
        .digest('hex'),
  }));

export const engineConfigSchema = z
  .object({
    /** How often the engine evaluates every center. Default 1s. */
    interval: span.default(1000),
    /** An agent not heard for this long is silent (the agent pushes every 15 s by default). Default 45s. */
    agent_silent_after: span.default(45_000),
    /** The readiness page's base URL, for the links in messages. */
    public_url: z.string().default('http://127.0.0.1:9480'),
    /** The readiness group holding a center's lines (all of them down: one root-cause alert). Default `lines`. */
    lines_group: identifier.default('lines'),
    /** How each readiness group counts; groups not listed are `all_of` (each member needed). */
    groups: z.array(z.object({ name: identifier, mode: z.enum(['any_of', 'all_of']) }).strict()).default([{ name: 'lines', mode: 'any_of' }]),
    /** Systems shared by many centers: when one fails at many centers of a province, one province-wide alert. */
    upstreams: z
      .array(
        z
          .object({
            name: identifier,
            title: bilingual,
            /** Check ids (the same in every center's config) that reach this system. */
            checks: z.array(identifier).min(1),
          })
          .strict(),
      )
      .default([]),
    province_wide: z
      .object({ min_centers: z.number().int().min(2).default(3), min_share: z.number().gt(0).max(1).default(0.5) })
      .strict()
      .prefault({}),
    /** First match wins; then `defaults`. Lines are probed continuously and confirm a cut themselves. */
    rules: z.array(rule).default([{ kind: 'icmp', for: 0, recover_for: 10_000 }]),
    defaults: z
      .object({
        for: span.default(30_000),
        recover_for: span.default(60_000),
        flap_window: span.default(10 * 60_000),
        flap_transitions: z.number().int().min(2).default(6),
      })
      .strict()
      .prefault({}),
    readiness: z
      .object({ enter_after: z.number().int().min(1).default(2), leave_after: z.number().int().min(1).default(3) })
      .strict()
      .prefault({}),
    calendar: calendar.prefault({}),
    routes: z.array(route).default([]),
    digest: z
      .object({
        /** Local time (UTC+7) of the morning digest. */
        at: clock.default('07:00'),
        /** Routes that receive it (leaders' channels). */
        routes: z.array(identifier).min(1),
        /** Working days only. Default true. */
        workdays_only: z.boolean().default(true),
      })
      .strict()
      .optional(),
    silences: z.array(silence).default([]),
    /** Tokens for writes through the API. Without any, the write endpoints answer 403. */
    api_tokens: z.array(apiToken).default([]),
    /** Resolved alerts, transitions and sent messages older than this are deleted. Default 400 days. */
    retention: span.default(400 * 86_400_000),
    /** Labels copied from a check's series onto its alerts (and so to silences and Alertmanager). */
    alert_labels: z.array(labelName).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = new Map<string, number>();
    cfg.routes.forEach((r, i) => {
      if (names.has(r.name))
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `duplicate route name "${r.name}" (also routes[${names.get(r.name)}])` });
      names.set(r.name, i);
    });
    cfg.routes.forEach((r, i) => {
      if (r.escalate_to !== undefined && !names.has(r.escalate_to))
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'escalate_to'], message: `unknown route "${r.escalate_to}"` });
      if ((r.escalate_to === undefined) !== (r.escalate_after === undefined))
        ctx.addIssue({ code: 'custom', path: ['routes', i], message: 'set both "escalate_after" and "escalate_to", or neither' });
    });
    cfg.digest?.routes.forEach((n, i) => {
      if (!names.has(n)) ctx.addIssue({ code: 'custom', path: ['digest', 'routes', i], message: `unknown route "${n}"` });
    });
    const seen = new Map<string, string>();
    cfg.upstreams.forEach((u, i) =>
      u.checks.forEach((c, j) => {
        if (seen.has(c))
          ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'checks', j], message: `check "${c}" already belongs to upstream "${seen.get(c)}"` });
        seen.set(c, u.name);
      }),
    );
  });

export type EngineConfig = z.output<typeof engineConfigSchema>;
export type RouteConfig = EngineConfig['routes'][number];
export type AlertRuleConfig = EngineConfig['rules'][number];
