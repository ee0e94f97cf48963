/**
 * What a center of the inventory may hold, for every input shape (national list, inventory CSV, YAML):
 * one zod schema, so a CSV cell and a YAML field are refused with the same words.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parsePrefix, PREFIX_MESSAGE } from '../lines/line-address.js';
import { PROVINCES, provinceProblem } from '../../common/provinces.js';
import { CENTER_TYPES, LINE_KINDS } from './types.js';

/** Province ids and official codes → id. */
const PROVINCE_ID = new Map<string, string>(PROVINCES.flatMap(([id, , code]) => [[id, id] as const, [code, id] as const]));

/** The province id of an id (`quang-ngai`) or official code (`51`, `051`); undefined when it is not one of the 34. */
export function provinceId(value: string): string | undefined {
  const v = value.trim();
  return PROVINCE_ID.get(v) ?? PROVINCE_ID.get(v.replace(/^0+(?=\d)/, ''));
}

/** The error for a province option that is not one of the 34, listing every code with its id. */
export function unknownProvinceMessage(value: string): string {
  const all = [...PROVINCES].sort((a, b) => Number(a[2]) - Number(b[2])).map(([id, , code]) => `${code} (${id})`);
  return `unknown province "${value}": use an official code or id, one of ${all.join(', ')}`;
}

const OFFICIAL_CODE = /^[0-9]{1,6}$/;
const IDENTIFIER = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const IDENTIFIER_MESSAGE = 'must be lower-case letters, digits, ".", "_" or "-" (at most 63, starting with a letter or digit)';
const VAR_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * A center's code as stored: official codes lose leading zeros (`00004` → `4`, as the national list
 * writes them), so a spreadsheet's zero-padded codes name the same center as the list's.
 */
export function normalizeCode(code: string): string {
  return OFFICIAL_CODE.test(code) ? String(Number(code)) : code;
}

const trimmed = (v: unknown): unknown => (typeof v === 'string' ? v.normalize('NFC').trim() : v);
/** `Phường`, `FIBER`: the enums are lower-case. */
const lowerCase = (v: unknown): unknown => (typeof v === 'string' ? v.normalize('NFC').trim().toLowerCase() : v);
/** YAML reads `code: 21025` and `province: 51` as numbers: they are text here. */
const asText = (v: unknown): unknown => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : trimmed(v));
const text = (max: number, min = 0) => z.preprocess(trimmed, z.string().min(min, 'must not be empty').max(max, `at most ${max} characters`));

const identifier = z.string().regex(IDENTIFIER, IDENTIFIER_MESSAGE);
const hostOrIp = z.string().refine((v) => isIP(v) !== 0 || HOST_NAME.test(v), 'must be an IP address or a host name');
const wholeNumber = (min: number, max: number) =>
  z
    .number()
    .min(min, `must be from ${min} to ${max}`)
    .max(max, `must be from ${min} to ${max}`)
    // A refinement, not .int(): zod reports a fraction as a type error ("expected int").
    .refine(Number.isInteger, 'must be a whole number');

const code = z.preprocess(
  asText,
  z
    .string()
    .refine(
      (c) => OFFICIAL_CODE.test(c) || (!/^[0-9]+$/.test(c) && IDENTIFIER.test(c)),
      'must be an official unit code (1 to 6 digits, as in the national list) or an identifier (lower-case letters, digits, ".", "_" or "-", at most 63)',
    )
    .transform(normalizeCode),
);

const province = z.preprocess(
  asText,
  z.string().transform((v, ctx) => {
    const id = provinceId(v);
    if (id === undefined) {
      ctx.addIssue({ code: 'custom', message: provinceProblem(v) ?? `unknown province "${v}"` });
      return z.NEVER;
    }
    return id;
  }),
);

/** Names are unique within their list; the later one is refused, naming the earlier. */
function uniqueNames(list: string, what: string) {
  return (items: ReadonlyArray<{ name: string }>, ctx: z.RefinementCtx): void => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.name);
      if (first === undefined) seen.set(item.name, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate ${what} "${item.name}" (also ${list}[${first}])` });
    });
  };
}

export const lineSchema = z
  .object({
    name: identifier,
    isp: text(100, 1),
    kind: z.preprocess(lowerCase, z.string().pipe(z.enum(LINE_KINDS))),
    source: z
      .string()
      .refine((v) => isIP(v) !== 0, 'must be an IP address (the local address probes of this line bind to)')
      .optional(),
    gateway: hostOrIp.optional(),
    /** Its public addresses or prefixes, as the province sees its pushes. */
    public: z
      .array(
        z.preprocess(
          trimmed,
          z.string().refine((v) => parsePrefix(v) !== undefined, PREFIX_MESSAGE),
        ),
      )
      .min(1, 'list at least one address or prefix, or leave public out')
      .max(32, 'at most 32 addresses or prefixes')
      .optional(),
  })
  .strict();

export const deviceSchema = z
  .object({
    name: identifier,
    /** printer, scanner, ups, router, id-reader, qr-scanner, signing-token, other… */
    kind: identifier,
    address: hostOrIp.optional(),
    /** The counter it serves (1-based). */
    counter: wholeNumber(1, 200).optional(),
  })
  .strict();

/** One center as an input file gives it; the output is what the store takes. */
export const centerSchema = z
  .object({
    code,
    name: text(200, 1),
    province,
    type: z.preprocess(lowerCase, z.string().pipe(z.enum(CENTER_TYPES))),
    address: text(500).default(''),
    counters: wholeNumber(0, 200).default(0),
    lines: z.array(lineSchema).max(16, 'at most 16 lines').superRefine(uniqueNames('lines', 'line name')).default([]),
    devices: z.array(deviceSchema).max(1000, 'at most 1000 devices').superRefine(uniqueNames('devices', 'device name')).default([]),
    vars: z
      .record(z.string(), z.preprocess(asText, z.string().max(2000, 'at most 2000 characters')))
      .superRefine((vars, ctx) => {
        for (const name of Object.keys(vars)) {
          if (!VAR_NAME.test(name))
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: 'a variable name is lower-case letters, digits and "_", starting with a letter (at most 63)',
            });
        }
      })
      .default({}),
    profile: identifier.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.devices.forEach((d, i) => {
      if (d.counter !== undefined && d.counter > c.counters)
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'counter'], message: `counter ${d.counter} is beyond the center's ${c.counters} counters` });
    });
  });

export type CenterInput = z.output<typeof centerSchema>;
