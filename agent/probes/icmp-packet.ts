/**
 * ICMP echo packets, pure: what the agent's own ICMP socket (agent/platform/linux/icmp-socket.ts)
 * sends and how it reads what comes back. Only what ping needs: echo request and reply, and the two
 * errors a router sends back about an echo (destination unreachable, time exceeded), which carry the
 * start of our request so they can be matched to it.
 */

const V4 = { request: 8, reply: 0, unreachable: 3, timeExceeded: 11 } as const;
const V6 = { request: 128, reply: 129, unreachable: 1, timeExceeded: 3 } as const;

/** The types a raw socket needs to see (everything else is filtered out by the kernel). */
export const WANTED_TYPES = { 4: [V4.reply, V4.unreachable, V4.timeExceeded], 6: [V6.reply, V6.unreachable, V6.timeExceeded] } as const;

/** RFC 1071 checksum over `buf`. */
export function internetChecksum(buf: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (buf.length % 2) sum += buf[buf.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An echo request of `size` payload bytes (ping's default 56). IPv4 carries its checksum; for ICMPv6
 * the kernel computes it (it covers a pseudo-header only the kernel knows).
 */
export function echoRequest(family: 4 | 6, id: number, seq: number, size = 56): Buffer {
  const buf = Buffer.alloc(8 + size);
  buf[0] = family === 4 ? V4.request : V6.request;
  buf.writeUInt16BE(id & 0xffff, 4);
  buf.writeUInt16BE(seq & 0xffff, 6);
  for (let i = 0; i < size; i++) buf[8 + i] = (0x10 + i) & 0xff;
  if (family === 4) buf.writeUInt16BE(internetChecksum(buf), 2);
  return buf;
}

export type EchoAnswer = { type: 'reply'; id: number; seq: number } | { type: 'error'; id: number; seq: number; text: string };

const V4_UNREACHABLE: Record<number, string> = {
  0: 'Destination Net Unreachable',
  1: 'Destination Host Unreachable',
  2: 'Destination Protocol Unreachable',
  3: 'Destination Port Unreachable',
  4: 'Frag needed',
  9: 'Destination Net Prohibited',
  10: 'Destination Host Prohibited',
  13: 'Communication prohibited by filter',
};
const V6_UNREACHABLE: Record<number, string> = {
  0: 'No route',
  1: 'Administratively prohibited',
  3: 'Address unreachable',
  4: 'Port unreachable',
  5: 'Source address failed ingress/egress policy',
  6: 'Reject route to destination',
};

/**
 * Reads one datagram from an ICMP socket. `ipHeader`: an IPv4 raw socket hands over the IP header
 * too (its length is in its first byte); a ping (datagram) socket and IPv6 do not. An error is matched
 * through the copy of our request it quotes (the original IP header, then our first 8 bytes).
 * Undefined for anything that is not about an echo of ours.
 */
export function readEcho(family: 4 | 6, data: Uint8Array, ipHeader: boolean): EchoAnswer | undefined {
  let at = 0;
  if (ipHeader) {
    if (data.length < 20) return undefined;
    at = (data[0]! & 0x0f) * 4;
  }
  if (data.length < at + 8) return undefined;
  const type = data[at]!;
  const code = data[at + 1]!;
  const t = family === 4 ? V4 : V6;
  const u16 = (i: number): number => (data[i]! << 8) | data[i + 1]!;
  if (type === t.reply) return { type: 'reply', id: u16(at + 4), seq: u16(at + 6) };
  if (type !== t.unreachable && type !== t.timeExceeded) return undefined;
  // The quoted request: after the 8-byte error header, the original IP header (IPv4: its own length;
  // IPv6: 40 bytes, no extension headers for an echo we sent), then our ICMP header.
  const inner = at + 8;
  const innerIp = family === 4 ? (data.length > inner ? (data[inner]! & 0x0f) * 4 : 0) : 40;
  const quoted = inner + innerIp;
  if (innerIp === 0 || data.length < quoted + 8 || data[quoted] !== t.request) return undefined;
  const text =
    type === t.timeExceeded
      ? 'Time to live exceeded'
      : ((family === 4 ? V4_UNREACHABLE[code] : V6_UNREACHABLE[code]) ?? `Destination unreachable (code ${code})`);
  return { type: 'error', id: u16(quoted + 4), seq: u16(quoted + 6), text };
}
