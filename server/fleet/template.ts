/**
 * Profile templates: an agent config in YAML with `{{ name }}` placeholders, filled in place on the parsed
 * document so a problem still points at the profile's own line. Pure: the values come in a Scope.
 *
 *   {{ center.code }} {{ center.name }} {{ center.type }} {{ center.address }} {{ center.counters }}
 *   {{ province.id }} {{ province.name }} {{ province.code }}
 *   {{ agent.name }} {{ agent.platform }} {{ agent.hostname }}
 *   {{ vars.NAME }}     the agent's own, else its center's, else the province's (`fleet.vars`)
 *   {{ secret.NAME }}   a secret file on the server; only agents whose profile names it receive it
 *
 * Repetition from the inventory, as an item of a list:
 *
 *   checks:
 *     - for_each: lines            # or devices, or counters
 *       where: { kind: fiber }     # optional: only elements whose fields equal these
 *       item:
 *         id: "line-{{ line.name }}"
 *         kind: icmp
 *         target: "{{ line.gateway }}"
 *
 * binds `line` (name, isp, kind, source, gateway), `device` (name, kind, address, counter) or `counter`
 * (number). A value that is exactly one placeholder keeps its type (a number stays a number); ending the
 * name with `?` (`{{ line.source? }}`) drops the whole entry when there is no such value.
 */
import { isMap, isScalar, isSeq, type Scalar, type YAMLMap, type Document, type Node, type Pair } from 'yaml';
import type { PreProblem } from '../../common/yaml-config.js';

export type Value = string | number;
/** An element a `for_each` walks over: field name → value (absent fields are undefined). */
export type Element = Record<string, Value | undefined>;

export interface Scope {
  /** A dotted name's value; undefined when it has none. */
  lookup(name: string): Value | undefined;
  /** The names known in this scope, for the error message of an unknown one. */
  known(): string[];
  /** The elements of `lines`, `devices` or `counters`. */
  collection(name: string): Element[] | undefined;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)(\?)?\s*\}\}/g;
const ONLY = /^\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)(\?)?\s*\}\}$/;
/** What `for_each` binds each collection's element to. */
const BINDS: Record<string, string> = { lines: 'line', devices: 'device', counters: 'counter' };

/** Fills every placeholder and expands every `for_each` in `doc`, in place. */
export function fillTemplate(doc: Document, scope: Scope): PreProblem[] {
  const problems: PreProblem[] = [];
  doc.contents = fillNode(doc.contents, [], scope, problems) as typeof doc.contents;
  return problems;
}

/** Whether a profile's text uses a secret, by name. */
export function secretsNamed(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((n) => n.startsWith('secret.')))].map((n) => n.slice(7));
}

type Filled = Node | null | typeof DROP;
const DROP = Symbol('drop');

function fillNode(node: Node | null, path: PropertyKey[], scope: Scope, problems: PreProblem[]): Filled {
  if (isScalar(node)) return fillScalar(node, path, scope, problems);
  if (isMap(node)) {
    node.items = node.items.flatMap((pair: Pair) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const value = fillNode(pair.value as Node | null, [...path, key], scope, problems);
      if (value === DROP) return [];
      pair.value = value;
      return [pair];
    });
    return node;
  }
  if (isSeq(node)) {
    const out: unknown[] = [];
    node.items.forEach((item, i) => {
      const repeated = isMap(item) && item.has('for_each') ? expand(item, [...path, i], scope, problems) : undefined;
      for (const x of repeated ?? [item]) {
        const filled = fillNode(x as Node, [...path, out.length], scope, problems);
        if (filled !== DROP) out.push(filled);
      }
    });
    node.items = out;
    return node;
  }
  return node;
}

function fillScalar(node: Scalar, path: PropertyKey[], scope: Scope, problems: PreProblem[]): Filled {
  if (typeof node.value !== 'string' || !node.value.includes('{{')) return node;
  const text = node.value;
  const only = ONLY.exec(text);
  if (only) {
    const value = scope.lookup(only[1]!);
    if (value === undefined) {
      if (only[2]) return DROP;
      problems.push(unknown(path, only[1]!, scope));
      return node;
    }
    node.value = value;
    return node;
  }
  let missing = false;
  node.value = text.replace(PLACEHOLDER, (_m, name: string, optional: string | undefined) => {
    const value = scope.lookup(name);
    if (value !== undefined) return String(value);
    if (optional) missing = true;
    else problems.push(unknown(path, name, scope));
    return '';
  });
  return missing ? DROP : node;
}

function unknown(path: PropertyKey[], name: string, scope: Scope): PreProblem {
  const known = scope.known();
  const family = name.split('.')[0]!;
  const near = known.filter((k) => k.startsWith(`${family}.`));
  const hint = near.length > 0 ? `known: ${near.join(', ')}` : `known: ${known.join(', ')}`;
  return { path, atKey: false, message: `{{ ${name} }} has no value for this agent (${hint})` };
}

/** The copies of a `for_each` item, each with its element bound; undefined leaves the item as written. */
function expand(item: YAMLMap, path: PropertyKey[], scope: Scope, problems: PreProblem[]): Node[] | undefined {
  const over = item.get('for_each');
  const template = item.get('item', true) as Node | undefined;
  const name = typeof over === 'string' ? over : '';
  const bind = BINDS[name];
  if (!bind || !template) {
    problems.push({
      path: [...path, bind ? 'item' : 'for_each'],
      atKey: false,
      message: bind ? 'for_each needs an item: the entry to repeat' : `for_each takes one of: ${Object.keys(BINDS).join(', ')}`,
    });
    return [];
  }
  for (const key of item.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')))
    if (!['for_each', 'where', 'item'].includes(key))
      problems.push({ path: [...path, key], atKey: true, message: `unknown key "${key}" (for_each, where, item)` });
  const where = item.get('where');
  const conditions = isMap(where) ? (where.toJSON() as Record<string, unknown>) : {};
  const elements = (scope.collection(name) ?? []).filter((e) => Object.entries(conditions).every(([k, v]) => String(e[k]) === String(v)));
  return elements.map((e) => {
    const copy = template.clone() as Node;
    const inner: Scope = {
      lookup: (n) => (n.startsWith(`${bind}.`) ? e[n.slice(bind.length + 1)] : scope.lookup(n)),
      known: () => [...Object.keys(e).map((k) => `${bind}.${k}`), ...scope.known()],
      collection: (n) => scope.collection(n),
    };
    // Filled now, with the element in scope; the caller's pass finds no placeholders left in it.
    return fillNode(copy, path, inner, problems) as Node;
  });
}
