/**
 * The inventory of centers as files: text in, centers or every problem out (file:line:column: field:
 * message). Pure: the caller reads the file and stores the result. The format follows the file's
 * extension (.csv, .yaml, .yml); a CSV file is one of two shapes, told apart by its header.
 *
 * 1. The national list (common/data/vn-divisions-2025.csv), one commune per row:
 *      province_code,province_name,province_type,ward_code,ward_name,ward_type
 *    → code = ward_code, province = the province's id, name = ward_name, type = ward_type; no lines,
 *    devices or variables (`referenceCenters` takes one province of it).
 *
 * 2. The inventory CSV, one center per row, columns in any order:
 *      code,name,province,type,address,counters,lines,profile,var.his_url,var.printer_ip
 *    code, name, province and type are required columns; the others may be left out. `code` is the
 *    official unit code (leading zeros dropped) or an identifier; `province` an id or official code;
 *    `type` phường, xã or đặc khu; `counters` 0 to 200; each `var.NAME` column sets that profile
 *    variable (an empty cell sets nothing). `lines` lists the center's lines, separated by `;`:
 *      NAME=KIND/ISP[@SOURCE][>GATEWAY][^PUBLIC[|PUBLIC…]]
 *    NAME the line's name at the center, KIND one of fiber, adsl, 4g, 5g, leased, satellite, other,
 *    ISP the provider, SOURCE the local address its probes bind to, GATEWAY its gateway or a host to ping,
 *    PUBLIC the line's public addresses or CIDR prefixes as the province sees the center's pushes
 *    (IPv4 or IPv6, separated by `|`: which line the center is on). The first line is the main one:
 *      fiber-vnpt=fiber/VNPT;4g-viettel=4g/Viettel
 *      tslcd=leased/VNPT@10.51.3.2>10.51.3.1; inet1=fiber/FPT Telecom@192.168.1.10>192.168.1.1
 *      inet1=fiber/VNPT^113.160.12.34;4g=4g/Viettel^27.64.0.0/12|2402:800::/32
 *    Devices need YAML. Quoting as RFC 4180 (a cell with a comma, quote or line break is quoted, a quote
 *    inside written ""); a UTF-8 BOM, CRLF and a `;` separator (Excel under Vietnamese settings) are read.
 *
 * 3. YAML: `centers:` a list of { code, name, province, type, address, counters,
 *    lines: [{ name, isp, kind, source?, gateway?, public?: [address or prefix, …] }], devices: [{ name, kind, address?, counter? }],
 *    vars: { NAME: value }, profile? }; unknown keys refused.
 *
 * Names are NFC-normalized and trimmed. Codes are unique within a file: a repeated one is refused at
 * its second row, naming the first. One bad row fails the whole file.
 */
import { extname, relative } from 'node:path';
import { isMap, isScalar, isSeq, type Document } from 'yaml';
import { z } from 'zod';
import { ConfigError, formatPath, type ConfigProblem } from '../../common/config-errors.js';
import { parseYamlConfig, type PreProblem } from '../../common/yaml-config.js';
import { parseCsv, sniffSeparator, type CsvCell, type CsvRow } from './csv.js';
import { centerSchema, normalizeCode, provinceId, unknownProvinceMessage } from './inventory-schema.js';
import { NATIONAL_LIST_FILE } from './national-list.js';
import type { InventoryCenter } from './types.js';

export type ParsedCenter = Omit<InventoryCenter, 'updatedAtMs'>;

export type InventoryParse =
  /** `shape`: which of the shapes the file was (the national list only names communes). */
  { ok: true; shape: 'reference' | 'inventory'; centers: ParsedCenter[] } | { ok: false; problems: ConfigProblem[] };

export const REFERENCE_COLUMNS = ['province_code', 'province_name', 'province_type', 'ward_code', 'ward_name', 'ward_type'] as const;
export const INVENTORY_COLUMNS = ['code', 'name', 'province', 'type', 'address', 'counters', 'lines', 'profile'] as const;
const REQUIRED_COLUMNS = ['code', 'name', 'province', 'type'];
export const LINE_SYNTAX = 'NAME=KIND/ISP[@SOURCE][>GATEWAY][^PUBLIC[|PUBLIC…]]';

export function parseInventory(text: string, file: string): InventoryParse {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return parseCsvInventory(text, file);
  if (ext === '.yaml' || ext === '.yml') return parseYamlInventory(text, file);
  return failed([{ file: displayName(file), line: 0, column: 0, path: '', message: `unknown format "${ext}": an inventory is .csv, .yaml or .yml` }]);
}

/** The national list's communes, of one province when given (official code or id). */
export function referenceCenters(csvText: string, provinceCode?: string, file = NATIONAL_LIST_FILE): InventoryParse {
  let province: string | undefined;
  if (provinceCode !== undefined) {
    province = provinceId(provinceCode);
    if (province === undefined) return failed([{ file, line: 0, column: 0, path: 'province', message: unknownProvinceMessage(provinceCode) }]);
  }
  const parsed = parseCsvInventory(csvText, file);
  if (!parsed.ok) return parsed;
  if (parsed.shape !== 'reference')
    return failed([{ file, line: 1, column: 1, path: '', message: `not the national list: its header is ${REFERENCE_COLUMNS.join(',')}` }]);
  return { ...parsed, centers: province === undefined ? parsed.centers : parsed.centers.filter((c) => c.province === province) };
}

function failed(problems: ConfigProblem[]): InventoryParse {
  return { ok: false, problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
}

/** As common/yaml-config.ts names files: relative to the working directory when below it. */
function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || rel === '' ? file : rel;
}

function parseYamlInventory(text: string, file: string): InventoryParse {
  const schema = z.object({ centers: z.array(centerSchema) }).strict();
  try {
    const doc = parseYamlConfig(text, file, { schema, secretKeys: [], prepare: (d) => duplicateYamlCodes(d, text) });
    return { ok: true, shape: 'inventory', centers: doc.centers };
  } catch (err) {
    if (err instanceof ConfigError) return failed(err.problems);
    throw err;
  }
}

/** A code given twice, at the second, naming the first one's line (before validation, so with the other problems). */
function duplicateYamlCodes(doc: Document, text: string): PreProblem[] {
  const list = doc.get('centers', true);
  if (!isSeq(list)) return [];
  const seen = new Map<string, number>();
  const out: PreProblem[] = [];
  list.items.forEach((item, i) => {
    const node = isMap(item) ? item.get('code', true) : undefined;
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) return;
    const code = normalizeCode(String(node.value).trim());
    const line = lineAt(text, node.range?.[0] ?? 0);
    const first = seen.get(code);
    if (first === undefined) seen.set(code, line);
    else out.push({ path: ['centers', i, 'code'], atKey: false, message: `duplicate code "${code}": also on line ${first}` });
  });
  return out;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** One row as the schema's input, and the cell each field came from. */
interface RowInput {
  raw: Record<string, unknown>;
  /** Field (`code`, `lines`, `var.his_url`) → its cell. */
  cells: Map<string, CsvCell>;
  /** The column a schema field is reported under (the national list's own names). */
  column: (field: string) => string;
}

function parseCsvInventory(text: string, file: string): InventoryParse {
  const name = displayName(file);
  const csv = parseCsv(text, sniffSeparator(text.replace(/^\uFEFF/, '')));
  const problems: ConfigProblem[] = csv.errors.map((e) => ({ file: name, line: e.line, column: e.column, path: '', message: e.message }));
  const [header, ...rows] = csv.rows;
  if (!header)
    return failed([
      ...problems,
      { file: name, line: 1, column: 1, path: '', message: `no header: the first line names the columns (${INVENTORY_COLUMNS.join(',')})` },
    ]);
  const columns = header.cells.map((c) => c.value.normalize('NFC').trim());
  const lower = columns.map((c) => c.toLowerCase());
  const reference = lower.length === REFERENCE_COLUMNS.length && REFERENCE_COLUMNS.every((c) => lower.includes(c));
  if (!reference) problems.push(...headerProblems(header, columns, name));
  if (problems.length > 0) return failed(problems);

  const toInput = reference ? referenceRow(lower) : inventoryRow(columns);
  const centers: ParsedCenter[] = [];
  const firstLine = new Map<string, number>();
  for (const row of rows) {
    if (row.cells.length !== columns.length) {
      problems.push({ file: name, line: row.line, column: 1, path: '', message: `${row.cells.length} fields where the header has ${columns.length}` });
      continue;
    }
    const input = toInput(row, problems, name);
    const at = (field: string, fallback = row.cells[0]!) => {
      const cell = input.cells.get(field) ?? fallback;
      return { file: name, line: cell.line, column: cell.column };
    };
    if (typeof input.raw.code === 'string') {
      const code = normalizeCode(input.raw.code);
      const first = firstLine.get(code);
      if (first === undefined) firstLine.set(code, row.line);
      else problems.push({ ...at('code'), path: input.column('code'), message: `duplicate code "${code}": also on line ${first}` });
    }
    const result = centerSchema.safeParse(input.raw);
    if (result.success) centers.push(result.data);
    else
      for (const issue of result.error.issues) {
        const [top, key] = issue.path;
        const field = top === 'vars' ? `var.${String(key)}` : String(top ?? '');
        const path = top === 'vars' ? field : issue.path.length > 1 ? formatPath([input.column(field), ...issue.path.slice(1)]) : input.column(field);
        problems.push({ ...at(field), path, message: messageOf(issue, valueAt(input.raw, issue.path)) });
      }
  }
  if (problems.length > 0) return failed(problems);
  return { ok: true, shape: reference ? 'reference' : 'inventory', centers };
}

function headerProblems(header: CsvRow, columns: string[], file: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  columns.forEach((col, i) => {
    const at = { file, line: header.line, column: header.cells[i]!.column };
    const known = (INVENTORY_COLUMNS as readonly string[]).includes(col.toLowerCase()) || /^var\./i.test(col);
    if (!known)
      out.push({
        ...at,
        path: '',
        message: `unknown column "${col}": use ${INVENTORY_COLUMNS.join(', ')} and var.NAME (or the national list's ${REFERENCE_COLUMNS.join(',')})`,
      });
    else if (/^var\./i.test(col) && !/^[a-z][a-z0-9_]{0,62}$/.test(col.slice(4)))
      out.push({ ...at, path: '', message: `column "${col}": a variable name is lower-case letters, digits and "_", starting with a letter (at most 63)` });
    const key = /^var\./i.test(col) ? `var.${col.slice(4)}` : col.toLowerCase();
    if (seen.has(key)) out.push({ ...at, path: '', message: `column "${col}" appears twice` });
    seen.add(key);
  });
  for (const required of REQUIRED_COLUMNS)
    if (!seen.has(required))
      out.push({ file, line: header.line, column: 1, path: '', message: `missing column "${required}" (required: ${REQUIRED_COLUMNS.join(', ')})` });
  return out;
}

const cellText = (cell: CsvCell): string => cell.value.normalize('NFC').trim();

function referenceRow(columns: string[]) {
  const index = (c: string) => columns.indexOf(c);
  const FIELDS = { code: 'ward_code', province: 'province_code', name: 'ward_name', type: 'ward_type' } as const;
  return (row: CsvRow): RowInput => {
    const raw: Record<string, unknown> = {};
    const cells = new Map<string, CsvCell>();
    for (const [field, column] of Object.entries(FIELDS)) {
      const cell = row.cells[index(column)]!;
      cells.set(field, cell);
      const value = cellText(cell);
      if (value !== '') raw[field] = value;
    }
    return { raw, cells, column: (field) => (FIELDS as Record<string, string>)[field] ?? field };
  };
}

function inventoryRow(columns: string[]) {
  return (row: CsvRow, problems: ConfigProblem[], file: string): RowInput => {
    const raw: Record<string, unknown> = {};
    const vars: Record<string, string> = {};
    const cells = new Map<string, CsvCell>();
    columns.forEach((col, i) => {
      const cell = row.cells[i]!;
      const isVar = /^var\./i.test(col);
      const field = isVar ? `var.${col.slice(4)}` : col.toLowerCase();
      cells.set(field, cell);
      const value = cellText(cell);
      if (value === '') return;
      if (isVar) vars[col.slice(4)] = value;
      else if (field === 'counters') raw.counters = /^-?[0-9]+(\.[0-9]+)?$/.test(value) ? Number(value) : value;
      else if (field === 'lines') {
        const { lines, bad } = parseLinesCell(value);
        raw.lines = lines;
        for (const part of bad)
          problems.push({
            file,
            line: cell.line,
            column: cell.column,
            path: 'lines',
            message: `"${part}" is not ${LINE_SYNTAX} (e.g. fiber-vnpt=fiber/VNPT;4g-viettel=4g/Viettel)`,
          });
      } else raw[field] = value;
    });
    if (Object.keys(vars).length > 0) raw.vars = vars;
    return { raw, cells, column: (field) => field };
  };
}

const LINE_PART = /^([^=]*)=([^/]*)\/([^@>^]*)(?:@([^>^]*))?(?:>([^^]*))?(?:\^(.*))?$/;

/** `fiber-vnpt=fiber/VNPT;4g-viettel=4g/Viettel` → lines as the schema takes them; parts that do not fit, as written. */
export function parseLinesCell(value: string): { lines: Array<Record<string, string | string[]>>; bad: string[] } {
  const lines: Array<Record<string, string | string[]>> = [];
  const bad: string[] = [];
  for (const part of value.split(';').map((p) => p.trim())) {
    if (part === '') continue;
    const m = LINE_PART.exec(part);
    if (!m) {
      bad.push(part);
      continue;
    }
    const line: Record<string, string> = { name: m[1]!.trim(), kind: m[2]!.trim(), isp: m[3]!.trim() };
    if (m[4] !== undefined) line.source = m[4].trim();
    if (m[5] !== undefined) line.gateway = m[5].trim();
    const out: Record<string, string | string[]> = line;
    if (m[6] !== undefined) out.public = m[6].split('|').map((p) => p.trim());
    lines.push(out);
  }
  return { lines, bad };
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

/** The words common/yaml-config.ts uses for the same issues, so CSV and YAML read alike. */
function messageOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined ? 'required' : `expected ${issue.expected}, got ${typeof value} ${JSON.stringify(value)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`;
    default:
      return issue.message;
  }
}
