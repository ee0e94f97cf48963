/**
 * The pure parts of the province's outside-in probing (outside-in.ts runs them): which addresses to
 * probe, when in the interval each one is probed, and what a line's result is from its addresses'.
 */
import { isIP } from 'node:net';
import type { InventoryLine } from '../fleet/types.js';

/** Per center: its province and inventory lines. */
export type OutsideInInventory = () => ReadonlyMap<string, { province: string; lines: readonly InventoryLine[] }>;

/** One address of one line of one center, probed once per interval. */
export interface OutsideInTarget {
  /** `center`, line and address joined: unique, stable across re-imports. Never shown: it holds the address. */
  key: string;
  province: string;
  center: string;
  line: string;
  address: string;
  /** When in each interval it is probed, in ms from the interval's start. */
  offsetMs: number;
}

/** What one probe of one address found. */
export interface AddressResult {
  up: boolean;
  /** The probe's reason (`ok` when up). */
  reason: string;
  /** Mean ICMP round trip, else the TCP connect time; when up. */
  rttSeconds?: number;
}

/**
 * The single address a `public` entry names, or undefined for a prefix: a bare address, a /32 or /128,
 * an IPv4-mapped IPv6 address as IPv4 (what ping can reach). A prefix says where a center's pushes may
 * come from, not an address that answers.
 */
export function singleAddress(entry: string): string | undefined {
  const [addr, len, ...extra] = entry.trim().split('/');
  if (addr === undefined || extra.length > 0) return undefined;
  const v = isIP(addr);
  if (v === 0 || (len !== undefined && Number(len) !== (v === 4 ? 32 : 128))) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return mapped ? mapped[1]! : addr.toLowerCase();
}

/**
 * Every (center, line, address) to probe, in a stable order (center, then the inventory's line order,
 * then address), each given its offset in the interval: spread evenly, `intervalMs / n` apart, so the
 * probes of a whole province never start together.
 */
export function outsideInTargets(inventory: ReturnType<OutsideInInventory>, intervalMs: number): OutsideInTarget[] {
  const out: OutsideInTarget[] = [];
  const centers = [...inventory.keys()].sort();
  for (const center of centers) {
    const { province, lines } = inventory.get(center)!;
    const seenLines = new Set<string>();
    for (const l of lines) {
      if (seenLines.has(l.name)) continue;
      seenLines.add(l.name);
      const addresses = [...new Set((l.public ?? []).map(singleAddress).filter((a): a is string => a !== undefined))];
      for (const address of addresses) out.push({ key: `${center}\0${l.name}\0${address}`, province, center, line: l.name, address, offsetMs: 0 });
    }
  }
  out.forEach((t, i) => (t.offsetMs = (i * intervalMs) / out.length));
  return out;
}

/**
 * A line's result from its addresses' latest: up when any answered (the fastest answer's round trip),
 * else down with the first address's reason. Undefined before any of them was probed.
 */
export function lineResult(results: ReadonlyArray<AddressResult | undefined>): AddressResult | undefined {
  const known = results.filter((r): r is AddressResult => r !== undefined);
  if (known.length === 0) return undefined;
  const up = known.filter((r) => r.up);
  if (up.length === 0) return { up: false, reason: known[0]!.reason };
  const rtts = up.map((r) => r.rttSeconds).filter((s): s is number => s !== undefined);
  return { up: true, reason: 'ok', ...(rtts.length > 0 ? { rttSeconds: Math.min(...rtts) } : {}) };
}

/**
 * An address's result from its ICMP and TCP probes (either list may be empty): up when the echo was
 * answered or any port connected. Down: a refusal or an ICMP error says more than silence, so a reason
 * other than `timeout` wins.
 */
export function addressResult(icmp: AddressResult | undefined, tcp: readonly AddressResult[]): AddressResult {
  if (icmp?.up) return icmp;
  const connected = tcp.find((r) => r.up);
  if (connected) return connected;
  const all = [...(icmp ? [icmp] : []), ...tcp];
  const telling = all.find((r) => r.reason !== 'timeout');
  return { up: false, reason: (telling ?? all[0])?.reason ?? 'timeout' };
}
