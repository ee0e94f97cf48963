import type { Observation, Reason } from './types.js';

/**
 * Pure decoding of the Printer-MIB (RFC 3805) and HOST-RESOURCES-MIB (RFC 2790) values a printer
 * answers over SNMP into a probe verdict. No I/O here, so every mapping is unit-tested.
 */

/** hrPrinterStatus: 1.3.6.1.2.1.25.3.5.1.1.<hrDeviceIndex> */
export const HR_PRINTER_STATUS = '1.3.6.1.2.1.25.3.5.1.1';
/** hrPrinterDetectedErrorState: 1.3.6.1.2.1.25.3.5.1.2.<hrDeviceIndex> */
export const HR_PRINTER_ERROR_STATE = '1.3.6.1.2.1.25.3.5.1.2';
/** hrPrinterEntry, walked once for both columns. */
export const HR_PRINTER_ENTRY = '1.3.6.1.2.1.25.3.5.1';
/** prtMarkerSuppliesEntry: columns .6 description, .8 max capacity, .9 level; index <hrDeviceIndex>.<supplyIndex>. */
export const PRT_MARKER_SUPPLIES_ENTRY = '1.3.6.1.2.1.43.11.1.1';

const PRINTER_STATUS: Record<number, string> = { 1: 'other', 2: 'unknown', 3: 'idle', 4: 'printing', 5: 'warmup' };

/**
 * hrPrinterDetectedErrorState bits in RFC 2790 / RFC 3805 order: bit 0 is the most significant bit
 * of the first octet (the SNMP BITS encoding).
 */
export const ERROR_BITS = [
  'lowPaper',
  'noPaper',
  'lowToner',
  'noToner',
  'doorOpen',
  'jammed',
  'offline',
  'serviceRequested',
  'inputTrayMissing',
  'outputTrayMissing',
  'markerSupplyMissing',
  'outputNearFull',
  'outputFull',
  'inputTrayEmpty',
  'overduePreventMaint',
] as const;
export type ErrorBit = (typeof ERROR_BITS)[number];

/**
 * Error bits that stop a counter from printing, most specific first: when several are set the
 * first one found is the reason (a jam usually also sets offline, and the jam is what staff must fix).
 */
const DOWN: ReadonlyArray<[ErrorBit, Reason]> = [
  ['jammed', 'media_jam'],
  ['noPaper', 'media_empty'],
  ['noToner', 'marker_empty'],
  ['doorOpen', 'door_open'],
  ['serviceRequested', 'service_requested'],
  ['offline', 'offline'],
];
/** Bits that still let it print, but soon will not. */
const DEGRADED: ReadonlyArray<[ErrorBit, Reason]> = [
  ['lowPaper', 'media_low'],
  ['lowToner', 'marker_low'],
];

/** The error bits set in an hrPrinterDetectedErrorState value (any length; bits past 14 ignored). */
export function decodeErrorState(value: Buffer): ErrorBit[] {
  const set: ErrorBit[] = [];
  ERROR_BITS.forEach((name, bit) => {
    const octet = value[bit >> 3];
    if (octet !== undefined && (octet & (0x80 >> (bit & 7))) !== 0) set.push(name);
  });
  return set;
}

/** One row of hrPrinterTable. */
export interface PrinterRow {
  index: string;
  status?: number;
  errorState?: Buffer;
}

/** One row of prtMarkerSuppliesTable. */
export interface SupplyRow {
  /** `<hrDeviceIndex>.<prtMarkerSuppliesIndex>` */
  index: string;
  description?: string;
  maxCapacity?: number;
  level?: number;
}

const SUPPLY_KINDS: ReadonlyArray<[RegExp, string]> = [
  // Part kinds before colours: "Black Drum" is a drum, not the black toner.
  [/waste/, 'waste'],
  [/drum|imaging|photoconductor|opc/, 'drum'],
  [/fuser|fixing/, 'fuser'],
  [/transfer|belt/, 'transfer'],
  [/maintenance|kit/, 'maintenance'],
  [/black|\bbk\b|\bk\b|đen/, 'black'],
  [/cyan|xanh/, 'cyan'],
  [/magenta|đỏ|hồng/, 'magenta'],
  [/yellow|vàng/, 'yellow'],
  [/toner|ink|cartridge|mực/, 'toner'],
];

/**
 * A bounded label for a supply from its free-text description: one of a few kinds (`black`,
 * `cyan`, `drum`, …), else `supply_<index>`. Descriptions are vendor text and must never become a label.
 */
export function supplyName(description: string | undefined, index: string): string {
  const text = (description ?? '').toLowerCase();
  for (const [re, name] of SUPPLY_KINDS) if (re.test(text)) return name;
  return `supply_${index.replace(/\./g, '_')}`;
}

/**
 * Remaining ratio 0..1 of a supply, or undefined when the printer does not say: a negative level or
 * capacity is one of the RFC 3805 special values (-1 other, -2 unknown, -3 some remaining).
 */
export function supplyRatio(row: SupplyRow): number | undefined {
  const { level, maxCapacity } = row;
  if (level === undefined || maxCapacity === undefined || level < 0 || maxCapacity <= 0) return undefined;
  return Math.min(1, level / maxCapacity);
}

/** Supply level observations with unique, bounded `supply` labels (a second `black` becomes `black_2`). */
export function supplyObservations(rows: SupplyRow[], metric: string): Observation[] {
  const seen = new Map<string, number>();
  const out: Observation[] = [];
  for (const row of rows) {
    const ratio = supplyRatio(row);
    if (ratio === undefined) continue;
    const base = supplyName(row.description, row.index);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.push({ metric, value: ratio, labels: { supply: n === 1 ? base : `${base}_${n}` } });
  }
  return out;
}

/** What the printer's own state says, before any supply figures. */
export interface PrinterVerdict {
  up: boolean;
  degraded: boolean;
  reason: Reason;
  message: string;
}

/**
 * The verdict over every printer row the device reports (most have one): the first down bit of any
 * row wins, then the first degraded bit. No row at all means the device is not a printer (`missing`).
 */
export function printerVerdict(rows: PrinterRow[]): PrinterVerdict {
  if (rows.length === 0) return { up: false, degraded: false, reason: 'missing', message: 'no hrPrinterTable row' };
  const bits = new Set<ErrorBit>();
  for (const row of rows) for (const b of decodeErrorState(row.errorState ?? Buffer.alloc(0))) bits.add(b);
  const status = rows.map((r) => PRINTER_STATUS[r.status ?? 2] ?? `status ${r.status}`).join(',');
  const flags = [...bits];
  const message = flags.length > 0 ? `${status}; ${flags.join(' ')}` : status;
  for (const [bit, reason] of DOWN) if (bits.has(bit)) return { up: false, degraded: false, reason, message };
  for (const [bit, reason] of DEGRADED) if (bits.has(bit)) return { up: true, degraded: true, reason, message };
  return { up: true, degraded: false, reason: 'ok', message };
}
