import type { Observation } from './types.js';

/**
 * Pure reading of IF-MIB (RFC 2863) for the `router` probe: finding an interface by the name the
 * device shows, decoding one interface's columns, and turning two readings into rates. No I/O here.
 */

/** sysUpTime.0: the SNMP agent's uptime in hundredths of a second; going back means its counters restarted. */
export const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
/** ifEntry (ifTable) and ifXEntry (ifXTable): `<entry>.<column>.<ifIndex>`. */
export const IF_ENTRY = '1.3.6.1.2.1.2.2.1';
export const IFX_ENTRY = '1.3.6.1.2.1.31.1.1.1';
/** The name columns walked to find an interface's ifIndex. */
export const IF_DESCR = `${IF_ENTRY}.2`;
export const IF_NAME = `${IFX_ENTRY}.1`;
export const IF_ALIAS = `${IFX_ENTRY}.18`;

/** The columns read for one interface, by what they hold. */
const COLUMNS = {
  speed: `${IF_ENTRY}.5`,
  adminStatus: `${IF_ENTRY}.7`,
  operStatus: `${IF_ENTRY}.8`,
  inOctets: `${IF_ENTRY}.10`,
  inErrors: `${IF_ENTRY}.14`,
  outOctets: `${IF_ENTRY}.16`,
  outErrors: `${IF_ENTRY}.20`,
  hcInOctets: `${IFX_ENTRY}.6`,
  hcOutOctets: `${IFX_ENTRY}.10`,
  highSpeed: `${IFX_ENTRY}.15`,
} as const;
type Column = keyof typeof COLUMNS;

/** ifOperStatus / ifAdminStatus values. */
const STATUS: Record<number, string> = { 1: 'up', 2: 'down', 3: 'testing', 4: 'unknown', 5: 'dormant', 6: 'notPresent', 7: 'lowerLayerDown' };
export const statusName = (v: number | undefined): string => (v === undefined ? 'not reported' : (STATUS[v] ?? String(v)));

const TWO_32 = 1n << 32n;

/** One row of the name columns. */
export interface IfRow {
  index: number;
  name?: string;
  descr?: string;
  alias?: string;
}

/** What the names walk returned, as `oid` → value (octet strings as Buffers). */
export interface NameVarbind {
  oid: string;
  value: unknown;
}

/** The rows of ifName, ifDescr and ifAlias, by ifIndex, in ifIndex order. */
export function interfaceRows(varbinds: readonly NameVarbind[]): IfRow[] {
  const rows = new Map<number, IfRow>();
  const fields: Array<[string, 'name' | 'descr' | 'alias']> = [
    [IF_NAME, 'name'],
    [IF_DESCR, 'descr'],
    [IF_ALIAS, 'alias'],
  ];
  for (const vb of varbinds) {
    for (const [column, field] of fields) {
      if (!vb.oid.startsWith(column + '.')) continue;
      const index = Number(vb.oid.slice(column.length + 1));
      if (!Number.isInteger(index)) continue;
      const text = Buffer.isBuffer(vb.value) ? vb.value.toString('utf8').replace(/\0+$/, '').trim() : '';
      const row = rows.get(index) ?? { index };
      if (text) row[field] = text;
      rows.set(index, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.index - b.index);
}

export type Lookup = { ok: true; index: number } | { ok: false; message: string };

/**
 * The ifIndex of the interface called `name` by ifName, else ifDescr, else ifAlias; exact first,
 * then ignoring case. A name shared by several interfaces in the first field that has it is
 * ambiguous; one the device does not have says the names it has (the first few).
 */
export function findInterface(rows: readonly IfRow[], name: string): Lookup {
  const fields = ['name', 'descr', 'alias'] as const;
  const column = { name: 'ifName', descr: 'ifDescr', alias: 'ifAlias' };
  for (const same of [(a: string) => a === name, (a: string) => a.toLowerCase() === name.toLowerCase()]) {
    for (const f of fields) {
      const hits = rows.filter((r) => r[f] !== undefined && same(r[f]));
      if (hits.length === 1) return { ok: true, index: hits[0]!.index };
      if (hits.length > 1) {
        const at = hits.map((r) => r.index).join(', ');
        return { ok: false, message: `interface "${name}" is the ${column[f]} of several interfaces (ifIndex ${at}): give its ifAlias, or its index` };
      }
    }
  }
  return { ok: false, message: `interface "${name}" not found (the device has: ${someNames(rows)})` };
}

/** The first few names a device shows, for a message. */
export function someNames(rows: readonly IfRow[], most = 8): string {
  const names = rows.map((r) => r.name ?? r.descr ?? `ifIndex ${r.index}`);
  if (names.length === 0) return 'no interfaces';
  const more = names.length - most;
  return names.slice(0, most).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** The OIDs read for one interface. */
export function interfaceOids(index: number): string[] {
  return Object.values(COLUMNS).map((c) => `${c}.${index}`);
}

/** One interface as read once. Octets are bigint: ifHCInOctets is a 64-bit counter. */
export interface IfReading {
  index: number;
  adminStatus?: number;
  operStatus?: number;
  /** Bits per second (ifHighSpeed × 10⁶, or ifSpeed below 4 294 967 295). */
  speed?: number;
  inOctets?: bigint;
  outOctets?: bigint;
  /** Whether the octets are the 64-bit HC counters (else the 32-bit ones, which wrap). */
  hc: boolean;
  inErrors?: number;
  outErrors?: number;
}

/** A number from an SNMP value: integers and 32-bit types are numbers, Counter64 arrives as big-endian bytes. */
export function snmpBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint') return value;
  if (Buffer.isBuffer(value) && value.length <= 8) return value.length ? BigInt('0x' + value.toString('hex')) : 0n;
  return undefined;
}

/** Decodes one interface from the varbinds of `interfaceOids(index)` (columns the device lacks are absent). */
export function readInterface(index: number, varbinds: readonly NameVarbind[]): IfReading {
  const v: Partial<Record<Column, bigint>> = {};
  for (const [col, oid] of Object.entries(COLUMNS) as Array<[Column, string]>) {
    const vb = varbinds.find((b) => b.oid === `${oid}.${index}`);
    const n = vb === undefined ? undefined : snmpBigInt(vb.value);
    if (n !== undefined) v[col] = n;
  }
  const num = (b: bigint | undefined): number | undefined => (b === undefined ? undefined : Number(b));
  const speed = speedOf(v.highSpeed, v.speed);
  const hc = v.hcInOctets !== undefined && v.hcOutOctets !== undefined;
  const reading: IfReading = { index, hc };
  const set = <K extends keyof IfReading>(k: K, value: IfReading[K] | undefined): void => {
    if (value !== undefined) reading[k] = value;
  };
  set('adminStatus', num(v.adminStatus));
  set('operStatus', num(v.operStatus));
  set('speed', speed);
  set('inOctets', hc ? v.hcInOctets : v.inOctets);
  set('outOctets', hc ? v.hcOutOctets : v.outOctets);
  set('inErrors', num(v.inErrors));
  set('outErrors', num(v.outErrors));
  return reading;
}

/** ifHighSpeed (Mb/s) is 0 below 500 kb/s, where ifSpeed (b/s) is exact; ifSpeed saturates at 2³²−1 above 4.29 Gb/s. */
function speedOf(highSpeed: bigint | undefined, speed: bigint | undefined): number | undefined {
  if (highSpeed !== undefined && highSpeed > 0n) return Number(highSpeed) * 1e6;
  if (speed !== undefined && speed < TWO_32 - 1n) return Number(speed);
  return highSpeed === undefined ? undefined : 0;
}

/** A reading with the time it was taken, kept for the next run. */
export interface Snapshot {
  reading: IfReading;
  /** Monotonic milliseconds. */
  atMs: number;
  /** sysUpTime in hundredths of a second, when the device gave it. */
  uptime?: number;
}

/**
 * How much a counter grew. A 32-bit counter that went back wrapped once (more than one wrap between
 * runs cannot be seen: at 1 Gb/s ifInOctets wraps every 34 s, hence the HC counters first); a 64-bit
 * one that went back was reset, and has no delta.
 */
export function counterDelta(prev: bigint, cur: bigint, bits: 32 | 64): bigint | undefined {
  if (cur >= prev) return cur - prev;
  return bits === 32 ? cur + TWO_32 - prev : undefined;
}

/** Whether two snapshots of one interface can be compared: same row, same counters, the agent not restarted. */
function continuous(prev: Snapshot, cur: Snapshot): boolean {
  if (prev.reading.index !== cur.reading.index || prev.reading.hc !== cur.reading.hc) return false;
  if (prev.uptime !== undefined && cur.uptime !== undefined && cur.uptime < prev.uptime) return false;
  return cur.atMs > prev.atMs;
}

export interface Rates {
  receiveBytesPerSecond?: number;
  transmitBytesPerSecond?: number;
  /** Errors counted since the previous snapshot (0 when there is none or it cannot be compared). */
  receiveErrors: number;
  transmitErrors: number;
}

/** Rates between two snapshots of one interface; the first run (no `prev`) has none. */
export function ratesBetween(prev: Snapshot | undefined, cur: Snapshot): Rates {
  const none: Rates = { receiveErrors: 0, transmitErrors: 0 };
  if (!prev || !continuous(prev, cur)) return none;
  const seconds = (cur.atMs - prev.atMs) / 1000;
  const bits = cur.reading.hc ? 64 : 32;
  const rate = (a: bigint | undefined, b: bigint | undefined): number | undefined => {
    if (a === undefined || b === undefined) return undefined;
    const d = counterDelta(a, b, bits);
    if (d === undefined) return undefined;
    const r = Number(d) / seconds;
    // A 32-bit "wrap" faster than the link can carry was a reset the uptime did not show.
    return b < a && cur.reading.speed && r * 8 > cur.reading.speed * 1.05 ? undefined : r;
  };
  const errors = (a: number | undefined, b: number | undefined): number => {
    if (a === undefined || b === undefined) return 0;
    return Number(counterDelta(BigInt(a), BigInt(b), 32) ?? 0n);
  };
  const out: Rates = {
    receiveErrors: errors(prev.reading.inErrors, cur.reading.inErrors),
    transmitErrors: errors(prev.reading.outErrors, cur.reading.outErrors),
  };
  const rx = rate(prev.reading.inOctets, cur.reading.inOctets);
  const tx = rate(prev.reading.outOctets, cur.reading.outOctets);
  if (rx !== undefined) out.receiveBytesPerSecond = rx;
  if (tx !== undefined) out.transmitBytesPerSecond = tx;
  return out;
}

/** The per-interface series of one run, labelled with the interface's configured name and its line. */
export function interfaceObservations(reading: IfReading, rates: Rates, labels: { interface: string; line: string }): Observation[] {
  const out: Observation[] = [];
  const add = (metric: string, value: number | undefined, extra: Record<string, string> = {}): void => {
    if (value !== undefined) out.push({ metric, value, labels: { ...labels, ...extra } });
  };
  add('interface_up', reading.operStatus === undefined ? undefined : reading.operStatus === 1 ? 1 : 0);
  add('speed_bytes_per_second', reading.speed === undefined ? undefined : reading.speed / 8);
  add('receive_bytes_per_second', rates.receiveBytesPerSecond);
  add('transmit_bytes_per_second', rates.transmitBytesPerSecond);
  if (reading.inErrors !== undefined) add('errors_total', rates.receiveErrors, { direction: 'receive' });
  if (reading.outErrors !== undefined) add('errors_total', rates.transmitErrors, { direction: 'transmit' });
  return out;
}
