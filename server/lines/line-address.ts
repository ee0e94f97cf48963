/**
 * Which of a center's lines an address belongs to, pure: each line lists its public addresses or CIDR
 * prefixes as the province sees them (`public` in the inventory); the longest matching prefix wins.
 * IPv4-mapped IPv6 addresses (`::ffff:203.0.113.5`, what a dual-stack socket reports) count as IPv4.
 */
import { isIP } from 'node:net';

/** An address or prefix as a 128-bit number (IPv4 in the mapped range) and a prefix length out of 128. */
interface Prefix {
  bits: bigint;
  length: number;
}

const V4_MAPPED = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;

function v4Bits(address: string): bigint {
  return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function v6Bits(address: string): bigint | undefined {
  // A dotted quad at the end (`::ffff:1.2.3.4`) is the last two groups.
  const text = address.replace(/(\d+\.\d+\.\d+\.\d+)$/, (q) => {
    const v4 = v4Bits(q);
    return `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  });
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): bigint[] => (s === '' ? [] : s.split(':').map((g) => BigInt(`0x${g}`)));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  return [...head, ...Array<bigint>(missing).fill(0n), ...rest].reduce((n, g) => (n << 16n) | g, 0n);
}

/** An address as 128 bits (IPv4 and IPv4-mapped alike); undefined when it is not an IP address. */
function addressBits(address: string): bigint | undefined {
  const plain = address.replace(/%.*$/, '');
  const v = isIP(plain);
  if (v === 4) return V4_MAPPED | v4Bits(plain);
  if (v === 6) return v6Bits(plain);
  return undefined;
}

/** `203.0.113.0/24`, `2402:800::/32` or a bare address; undefined when it is neither. */
export function parsePrefix(text: string): Prefix | undefined {
  const [addr, len, ...extra] = text.trim().split('/');
  if (extra.length > 0 || addr === undefined) return undefined;
  const v = isIP(addr);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
  const n = len === undefined ? max : Number(len);
  if (n > max) return undefined;
  const bits = addressBits(addr)!;
  const length = v === 4 ? 96 + n : n;
  const mask = length === 0 ? 0n : (ALL >> BigInt(128 - length)) << BigInt(128 - length);
  return { bits: bits & mask, length };
}

/** Why a `public` entry is refused. */
export const PREFIX_MESSAGE = 'must be an IP address or a CIDR prefix (203.0.113.0/24, 2402:800::/32)';

/** What a line needs for matching. */
export interface AddressedLine {
  name: string;
  public?: readonly string[] | undefined;
}

/**
 * The line whose public addresses or prefixes hold `address`, the longest prefix winning (a /32 given to
 * one line inside another's /24); undefined when none does or the address is not one.
 */
export function lineOfAddress<L extends AddressedLine>(lines: readonly L[], address: string): L | undefined {
  const bits = addressBits(address);
  if (bits === undefined) return undefined;
  let best: L | undefined;
  let bestLength = -1;
  for (const line of lines)
    for (const text of line.public ?? []) {
      const p = parsePrefix(text);
      if (!p || p.length <= bestLength) continue;
      const mask = p.length === 0 ? 0n : (ALL >> BigInt(128 - p.length)) << BigInt(128 - p.length);
      if ((bits & mask) === p.bits) {
        best = line;
        bestLength = p.length;
      }
    }
  return best;
}
