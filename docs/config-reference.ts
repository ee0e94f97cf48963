/**
 * docs/configuration.md from the zod schemas: every field with its type, default and doc comment.
 *
 * Structure and types come from JSON Schema (the agent's through `agentJsonSchema`, which also
 * lists the `<secret>_file` variants). Two things JSON Schema loses are taken elsewhere:
 * - defaults of fields that transform their input (durations, sizes): zod's `toJSONSchema` drops
 *   them for `io: 'input'`, so a walk of the zod schema beside the JSON one supplies them, written
 *   as a config file would (`30s`, `256MiB`);
 * - the doc comments (`/** … *\/` above a field), which exist only in the source: they are read
 *   with the TypeScript parser from the object literals given to `z.object(…)` / `.extend(…)`.
 */
import ts from 'typescript';
import { z } from 'zod';
import { byteSize } from '../common/byte-size.js';
import { formatDuration } from '../common/duration.js';
import { duration } from '../common/zod-helpers.js';

type Json = { [key: string]: unknown };
/** zod v4's internal definition, enough to walk a schema. */
type ZDef = { type: string; [key: string]: unknown };
type ZNode = { _zod: { def: ZDef } };

/** A doc comment source: the field names of one object literal, and the comment of each that has one. */
export interface Literal {
  keys: Set<string>;
  docs: Map<string, string>;
}

/** Every object literal of a file that defines a schema's fields (or is spread into one). */
export function literalsOf(fileName: string, text: string): Literal[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const out: Literal[] = [];
  const isSchemaLiteral = (node: ts.ObjectLiteralExpression): boolean => {
    const parent = node.parent;
    if (ts.isVariableDeclaration(parent)) return true;
    if (!ts.isCallExpression(parent)) return false;
    const callee = parent.expression;
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
    return ['object', 'strictObject', 'looseObject', 'extend', 'safeExtend'].includes(name);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node) && isSchemaLiteral(node)) {
      const lit: Literal = { keys: new Set(), docs: new Map() };
      for (const prop of node.properties) {
        if (!prop.name || !(ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name))) continue;
        const key = prop.name.text;
        lit.keys.add(key);
        // The `/** … */` comments in the trivia before the field, read from the text: the parser
        // attaches none to a shorthand property, nor to one on the line of the opening brace.
        const doc = (text.slice(prop.getFullStart(), prop.getStart(sf)).match(/\/\*\*[\s\S]*?\*\//g) ?? [])
          .map((c) => c.replace(/^\/\*\*|\*\/$/g, '').replace(/^\s*\* ?/gm, ''))
          .join(' ')
          .replace(/\s+/g, ' ')
          .trim();
        if (doc) lit.docs.set(key, doc);
      }
      if (lit.docs.size > 0) out.push(lit);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * The comment of each field of an object with these keys: from the literals whose fields all belong
 * to it (an object built by spreading or extending has several), preferring the one sharing the most.
 */
function docsFor(keys: string[], literals: Literal[]): Map<string, string> {
  const keySet = new Set(keys);
  const fitting = literals.filter((l) => [...l.keys].every((k) => keySet.has(k))).sort((a, b) => b.keys.size - a.keys.size);
  const docs = new Map<string, string>();
  for (const lit of fitting) for (const [k, d] of lit.docs) if (!docs.has(k)) docs.set(k, d);
  return docs;
}

function unwrap(node: ZNode | undefined): { node: ZNode | undefined; fallback: unknown; hasDefault: boolean; wraps: ZNode[] } {
  let fallback: unknown;
  let hasDefault = false;
  const wraps: ZNode[] = [];
  let n = node;
  while (n) {
    wraps.push(n);
    const def = n._zod.def;
    if ((def.type === 'default' || def.type === 'prefault') && !hasDefault) {
      hasDefault = true;
      fallback = def.defaultValue;
    }
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)) n = def.innerType as ZNode;
    else if (def.type === 'pipe') n = def.in as ZNode;
    else if (def.type === 'lazy') n = (def.getter as () => ZNode)();
    else break;
  }
  return { node: n, fallback, hasDefault, wraps };
}

const isDuration = (wraps: ZNode[]): boolean =>
  wraps.some((w) => (w as unknown) === duration || (w._zod.def.type === 'transform' && String(w._zod.def.transform).includes('parseDuration'))) ||
  wraps.some((w) => w._zod.def.type === 'pipe' && isDuration([w._zod.def.out as ZNode]));
const isSize = (wraps: ZNode[]): boolean => wraps.some((w) => (w as unknown) === byteSize);

function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const)
    if (n % size === 0) return `${n / size}${unit}`;
  return String(n);
}

/** A default as it would be written in the YAML file (flow style for lists and objects). */
function formatDefault(value: unknown, zNode: ZNode | undefined): string {
  const { node, wraps } = unwrap(zNode);
  // A default of a transformed field is its output (milliseconds, bytes): written back as input.
  // (A prefault is input already: a string, left as it is.)
  if (typeof value === 'number' && isDuration(wraps)) return value === 0 ? '0s' : formatDuration(value);
  if (typeof value === 'number' && isSize(wraps)) return formatBytes(value);
  if (Array.isArray(value)) return `[${value.map((v) => formatDefault(v, zodChildren(node, 'element') as ZNode | undefined)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const shape = (zodChildren(node, 'shape') ?? {}) as Record<string, ZNode>;
    const entries = Object.entries(value).map(([k, v]) => `${k}: ${formatDefault(v, shape[k])}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  if (typeof value === 'string') return value === '' ? '""' : value;
  return JSON.stringify(value);
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const numberOf = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
function bounds(j: Json): string {
  const [min, max] = [numberOf(j.minimum), numberOf(j.maximum)];
  const [exclusiveMin, exclusiveMax] = [numberOf(j.exclusiveMinimum), numberOf(j.exclusiveMaximum)];
  const lo = min ?? (exclusiveMin !== undefined ? `>${exclusiveMin}` : undefined);
  const hi = max !== MAX_SAFE ? (max ?? (exclusiveMax !== undefined ? `<${exclusiveMax}` : undefined)) : undefined;
  if (lo === undefined && hi === undefined) return '';
  if (lo === '>0' && hi === undefined) return ' > 0';
  return ` (${lo ?? ''}…${hi ?? ''})`;
}

/** A short type name for a JSON Schema node. */
function typeOf(j: Json, wraps: ZNode[]): string {
  if (isDuration(wraps)) return 'duration';
  if (isSize(wraps)) return 'size';
  if (j.const !== undefined) return `\`${JSON.stringify(j.const)}\``;
  if (Array.isArray(j.enum)) return j.enum.map((v) => `\`${String(v)}\``).join(', ');
  const alts = (j.anyOf ?? j.oneOf) as Json[] | undefined;
  if (alts) return [...new Set(alts.map((a) => typeOf(a, [])))].join(' or ');
  if (Array.isArray(j.type)) return j.type.join(' or ');
  switch (j.type) {
    case 'array': {
      const items = (j.items ?? {}) as Json;
      const alts = (items.anyOf ?? items.oneOf) as Json[] | undefined;
      const objects = (items.type === 'object' && items.properties) || alts?.every((a) => a.type === 'object');
      return objects ? 'list of objects' : `list of ${typeOf(items, [])}`;
    }
    case 'object':
      if (j.properties) return 'object';
      if (j.additionalProperties && typeof j.additionalProperties === 'object') return `map of ${typeOf(j.additionalProperties as Json, [])}`;
      return 'object';
    case 'integer':
    case 'number':
      return `${j.type}${bounds(j)}`;
    case 'string':
      return typeof j.format === 'string' ? `string (${j.format})` : 'string';
    case undefined:
      return 'any';
    default:
      return String(j.type);
  }
}

interface Section {
  path: string;
  rows: string[][];
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function zodChildren(z: ZNode | undefined, kind: 'shape' | 'element' | 'value'): Record<string, ZNode> | ZNode | undefined {
  if (!z) return undefined;
  const def = z._zod.def;
  if (kind === 'shape' && def.type === 'object') return def.shape as Record<string, ZNode>;
  if (kind === 'element' && def.type === 'array') return def.element as ZNode;
  if (kind === 'value' && def.type === 'record') return def.valueType as ZNode;
  return undefined;
}

/** Walks a JSON Schema object node (and its zod schema beside it), emitting a table per object. */
function walk(j: Json, zNode: ZNode | undefined, path: string, literals: Literal[], out: Section[]): void {
  const alts = (j.oneOf ?? j.anyOf) as Json[] | undefined;
  const zu = unwrap(zNode).node;
  if (alts && alts.every((a) => a.type === 'object' && a.properties)) {
    walkUnion(alts, zu, path, literals, out);
    return;
  }
  if (j.type === 'array' && j.items) return walk(j.items as Json, zodChildren(zu, 'element') as ZNode | undefined, `${path}[]`, literals, out);
  if (j.type === 'object' && !j.properties && j.additionalProperties && typeof j.additionalProperties === 'object')
    return walk(j.additionalProperties as Json, zodChildren(zu, 'value') as ZNode | undefined, `${path}.<key>`, literals, out);
  if (j.type !== 'object' || !j.properties) return;
  const props = j.properties as Record<string, Json>;
  const shape = (zodChildren(zu, 'shape') ?? {}) as Record<string, ZNode>;
  const required = new Set((j.required as string[] | undefined) ?? []);
  const docs = docsFor(Object.keys(props), literals);
  const rows: string[][] = [];
  const nested: Array<[Json, ZNode | undefined, string]> = [];
  for (const [key, p] of Object.entries(props)) {
    const u = unwrap(shape[key]);
    const dflt = u.hasDefault
      ? formatDefault(u.fallback, shape[key])
      : p.default !== undefined
        ? formatDefault(p.default, undefined)
        : required.has(key)
          ? '**required**'
          : '';
    const text = (p.description as string | undefined) ?? docs.get(key) ?? '';
    rows.push([`\`${key}\``, typeOf(p, u.wraps), dflt === '' ? '' : dflt.startsWith('**') ? dflt : `\`${dflt}\``, text]);
    nested.push([p, shape[key], path ? `${path}.${key}` : key]);
  }
  out.push({ path: path || '(top level)', rows });
  for (const [p, zc, sub] of nested) walk(p, zc, sub, literals, out);
}

/**
 * A discriminated union of objects (checks by `kind`, routes by `channel`): the fields every variant
 * shares once, then each variant's own fields and sub-objects under `path (kind: x)`.
 */
function walkUnion(alts: Json[], zu: ZNode | undefined, path: string, literals: Literal[], out: Section[]): void {
  const zOptions = zu && (zu._zod.def.type === 'union' || zu._zod.def.type === 'discriminated_union') ? (zu._zod.def.options as ZNode[]) : [];
  const propsOf = (a: Json) => a.properties as Record<string, Json>;
  const same = (k: string) => alts.every((a) => JSON.stringify(propsOf(a)[k]) === JSON.stringify(propsOf(alts[0]!)[k]));
  const shared = Object.keys(propsOf(alts[0]!)).filter((k) => alts.every((a) => k in propsOf(a)) && same(k));
  const discriminator = Object.keys(propsOf(alts[0]!)).find((k) => alts.every((a) => propsOf(a)[k]?.const !== undefined));
  const sharedPart = (a: Json): Json => ({ ...a, properties: Object.fromEntries(shared.map((k) => [k, propsOf(a)[k]!])) });
  const ownPart = (a: Json): Json => ({ ...a, properties: Object.fromEntries(Object.entries(propsOf(a)).filter(([k]) => !shared.includes(k))) });
  if (shared.length > 0) walk(sharedPart(alts[0]!), zOptions[0], path, literals, out);
  alts.forEach((a, i) => {
    const tag = discriminator ? `${discriminator}: ${String(propsOf(a)[discriminator]!.const)}` : `variant ${i + 1}`;
    walk(ownPart(a), zOptions[i], `${path} (${tag})`, literals, out);
  });
}

/** Markdown tables, one per object of the schema, in the order a config file is read. */
export function referenceOf(title: string, intro: string, json: Json, zod: z.ZodType, literals: Literal[]): string {
  const sections: Section[] = [];
  walk(json, zod as unknown as ZNode, '', literals, sections);
  const body = sections
    .filter((s) => s.rows.length > 0)
    .map((s) =>
      [
        `### \`${s.path}\``,
        '',
        '| field | type | default | description |',
        '| --- | --- | --- | --- |',
        ...s.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
      ].join('\n'),
    )
    .join('\n\n');
  return `## ${title}\n\n${intro}\n\n${body}\n`;
}

/** The server config as JSON Schema, describing the file as written (durations as strings). */
export function serverJsonSchema(schema: z.ZodType): Json {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}
