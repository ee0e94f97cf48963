import { bindLibc, type Libc } from './libc.js';
import { readEcho, WANTED_TYPES, type EchoAnswer } from '../../probes/icmp-packet.js';

/*
 * An ICMP socket of the agent's own, through libc (koffi), so a line check sends its echo requests
 * without a `ping` process: no child, no pipe to read four times a second, no stream machinery. A
 * raw socket (root, or CAP_NET_RAW as the .deb grants) or, where net.ipv4.ping_group_range allows it,
 * an unprivileged ping socket. Non-blocking: nothing waits in the kernel; the owner drains what came
 * (each datagram with the kernel's receive time, so a late drain does not lengthen an RTT).
 * Where neither socket can be opened, the caller falls back to the system ping.
 */

const AF = { 4: 2, 6: 10 } as const;
const SOCK_RAW = 3;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const PROTO = { 4: 1, 6: 58 } as const;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_BINDTODEVICE = 25;
const SOL_RAW = 255;
const ICMP_FILTER = 1;
const ICMP6_FILTER = 1;
/** Also the control message's type (SCM_TIMESTAMPNS). */
const SO_TIMESTAMPNS = 35;
const CLOCK_REALTIME = 0;
const EINTR = 4;
const RECEIVE_BUFFER = 256 * 1024;
/** Datagrams read per drain at most: a flood cannot hold the event loop. */
const DRAIN_LIMIT = 4096;

/** The C library's words for the errors a ping meets: what `ping` itself would print. */
const ERRNO_TEXT: Record<number, string> = {
  1: 'Operation not permitted',
  13: 'Permission denied',
  19: 'No such device',
  22: 'Invalid argument',
  97: 'Address family not supported by protocol',
  99: 'Cannot assign requested address',
  100: 'Network is down',
  101: 'Network is unreachable',
  105: 'No buffer space available',
  113: 'No route to host',
};

export function errnoText(errno: number): string {
  return ERRNO_TEXT[errno] ?? `error ${errno}`;
}

/** A struct timespec at `at` in `buf`, as epoch milliseconds. */
function timespecMs(buf: Buffer, at: number): number {
  return Number(buf.readBigInt64LE(at)) * 1000 + Number(buf.readBigInt64LE(at + 8)) / 1e6;
}

function realtimeMs(c: Libc, ts: Buffer): number {
  c.clockGettime(CLOCK_REALTIME, ts);
  return timespecMs(ts, 0);
}

/** A sockaddr_in / sockaddr_in6 for `address`, or undefined when it is not an address of `family`. */
function sockaddr(c: Libc, family: 4 | 6, address: string): Buffer | undefined {
  const [host, scope] = address.split('%', 2) as [string, string | undefined];
  const raw = Buffer.alloc(family === 4 ? 4 : 16);
  if (c.inetPton(AF[family], host, raw) !== 1) return undefined;
  const sa = Buffer.alloc(family === 4 ? 16 : 28);
  sa.writeUInt16LE(AF[family], 0);
  if (family === 4) raw.copy(sa, 4);
  else {
    raw.copy(sa, 8);
    if (scope !== undefined && /^\d+$/.test(scope)) sa.writeUInt32LE(Number(scope), 24);
  }
  return sa;
}

const SO_ATTACH_FILTER = 26;

/**
 * A raw socket receives every echo reply the host gets, also those of other processes' pings (a busy
 * server's thousands a second): a classic BPF program in the kernel passes only replies carrying this
 * socket's identifier, and the errors (which quote it deeper; they are matched in readEcho), as
 * iputils ping does. Its instructions: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }.
 */
export function idFilter(family: 4 | 6, id: number): Array<[code: number, jt: number, jf: number, k: number]> {
  const ACCEPT = 0xffff_ffff;
  const reply = family === 4 ? 0 : 129;
  return [
    // IPv4: X = the IP header's length (ldxb 4*([0]&0xf)); IPv6 has no header in front.
    ...(family === 4 ? [[0xb1, 0, 0, 0] as [number, number, number, number]] : []),
    [family === 4 ? 0x48 : 0x28, 0, 0, 4], // ldh [x+4] / [4]: the echo identifier
    [0x15, 0, 1, id], // ours?
    [0x06, 0, 0, ACCEPT], //   yes: pass
    [family === 4 ? 0x50 : 0x30, 0, 0, 0], // ldb [x+0] / [0]: the type
    [0x15, 1, 0, reply], // an echo reply of someone else's?
    [0x06, 0, 0, ACCEPT], //   no (an error): pass
    [0x06, 0, 0, 0], //   yes: drop
  ];
}

function attachIdFilter(c: Libc, fd: number, family: 4 | 6, id: number): boolean {
  const program = idFilter(family, id);
  // struct sock_fprog { u16 len; (pad) struct sock_filter *filter; }, the program right after it.
  const size = 16 + 8 * program.length;
  const block: unknown = c.koffi.alloc('uint8_t', size);
  try {
    const view = Buffer.from(c.koffi.view(block, size));
    view.writeUInt16LE(program.length, 0);
    view.writeBigUInt64LE(c.koffi.address(block) + 16n, 8);
    program.forEach(([code, jt, jf, k], i) => {
      view.writeUInt16LE(code, 16 + 8 * i);
      view[16 + 8 * i + 2] = jt;
      view[16 + 8 * i + 3] = jf;
      view.writeUInt32LE(k >>> 0, 16 + 8 * i + 4);
    });
    return c.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, block as Buffer, 16) === 0;
  } finally {
    c.koffi.free(block);
  }
}

/** The SCM_TIMESTAMPNS control message's time (epoch ms), if the kernel gave one. */
function receivedAt(control: Buffer, length: number): number | undefined {
  // struct cmsghdr { size_t len; int level; int type; } then the data, each aligned to 8 bytes.
  for (let at = 0; at + 16 <= length;) {
    const len = Number(control.readBigUInt64LE(at));
    if (len < 16) return undefined;
    if (control.readInt32LE(at + 8) === SOL_SOCKET && control.readInt32LE(at + 12) === SO_TIMESTAMPNS && at + 32 <= length) {
      return timespecMs(control, at + 16);
    }
    at += (len + 7) & ~7;
  }
  return undefined;
}

/** A datagram read from the socket: who sent it (errors only), what it says, when the kernel received it (epoch ms). */
export interface Arrival {
  from: string;
  answer: EchoAnswer;
  atMs: number;
}

export interface IcmpSocketOptions {
  family: 4 | 6;
  /** Local address to send from (a line's source). */
  source?: string | undefined;
  /** Device to send through (a line's interface; SO_BINDTODEVICE, needs CAP_NET_RAW). */
  device?: string | undefined;
}

export type Opened = { socket: IcmpSocket } | { problem: string; errno: number };

/*
 * recvmsg's arguments live in one block of native memory, laid out once per socket: struct msghdr
 * pointing at an iovec, the sender's address and the control buffer, the iovec at the datagram
 * buffer. Each read then passes one pointer and reads the block through a view: no per-read
 * marshalling of a struct (koffi would build and finalize objects four times a second per line).
 */
const MSGHDR = 0; // 56 bytes: name, namelen, iov, iovlen, control, controllen, flags
const IOVEC = 56; // 16 bytes: base, len
const NAME = 72; // sockaddr_in6: 28 bytes
const NAME_SIZE = 28;
const CONTROL = 104; // cmsghdr + timespec, with room
const CONTROL_SIZE = 64;
const DATA = 168;
const DATA_SIZE = 2048;
const BLOCK = DATA + DATA_SIZE;

export class IcmpSocket {
  private readonly ts = Buffer.alloc(16);
  private readonly text = Buffer.alloc(64);
  private readonly block: unknown;
  private readonly view: Buffer;
  private closed = false;

  private constructor(
    private readonly c: Libc,
    private readonly fd: number,
    readonly family: 4 | 6,
    /** A raw IPv4 socket hands over the IP header too; it is also the only kind that sees others' replies. */
    private readonly raw: boolean,
    /** The echo identifier of this socket's requests (a ping socket's is the kernel's: not checked). */
    readonly id: number,
  ) {
    const koffi = c.koffi;
    this.block = koffi.alloc('uint8_t', BLOCK);
    this.view = Buffer.from(koffi.view(this.block, BLOCK));
    this.view.fill(0);
    const base = koffi.address(this.block);
    this.view.writeBigUInt64LE(base + BigInt(NAME), MSGHDR);
    this.view.writeBigUInt64LE(base + BigInt(IOVEC), MSGHDR + 16);
    this.view.writeBigUInt64LE(1n, MSGHDR + 24);
    this.view.writeBigUInt64LE(base + BigInt(CONTROL), MSGHDR + 32);
    this.view.writeBigUInt64LE(base + BigInt(DATA), IOVEC);
    this.view.writeBigUInt64LE(BigInt(DATA_SIZE), IOVEC + 8);
  }

  /** Opens a socket (raw first, then a ping socket), bound as asked; or says why not. */
  static open(o: IcmpSocketOptions): Opened {
    const c = bindLibc();
    if (!c) return { problem: 'no ICMP socket on this platform', errno: 0 };
    const id = Math.floor(Math.random() * 0xffff) + 1;
    let fd = c.socket(AF[o.family], SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, PROTO[o.family]);
    let raw = true;
    if (fd < 0) {
      fd = c.socket(AF[o.family], SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, PROTO[o.family]);
      raw = false;
    }
    if (fd < 0) {
      const errno = c.koffi.errno();
      return { problem: errnoText(errno), errno };
    }
    const fail = (what: string): Opened => {
      const errno = c.koffi.errno();
      c.close(fd);
      return { problem: `${what}: ${errnoText(errno)}`, errno };
    };
    const int = (v: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      return b;
    };
    c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int(RECEIVE_BUFFER), 4);
    if (raw) {
      // A raw socket sees every ICMP message the host receives: keep only what answers an echo.
      if (o.family === 4) {
        let pass = 0;
        for (const t of WANTED_TYPES[4]) pass |= 1 << t;
        c.setsockopt(fd, SOL_RAW, ICMP_FILTER, int(~pass), 4);
      } else {
        // struct icmp6_filter: a set bit blocks that type.
        const filter = Buffer.alloc(32, 0xff);
        for (const t of WANTED_TYPES[6]) filter[t >> 3]! &= ~(1 << (t & 7));
        c.setsockopt(fd, PROTO[6], ICMP6_FILTER, filter, 32);
      }
    }
    // Without the kernel filter (an emulator that lacks it) the identifier is still checked on reading.
    if (raw) attachIdFilter(c, fd, o.family, id);
    if (o.device !== undefined) {
      const name = Buffer.from(`${o.device}\0`);
      if (c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) !== 0) return fail(`SO_BINDTODEVICE ${o.device}`);
    }
    if (o.source !== undefined) {
      const sa = sockaddr(c, o.family, o.source);
      if (!sa) {
        c.close(fd);
        return { problem: `bind: ${o.source} is not an IPv${o.family} address`, errno: 22 };
      }
      if (c.bind(fd, sa, sa.length) !== 0) return fail(`bind ${o.source}`);
    }
    // The kernel's receive time of each datagram comes with it, as a control message.
    c.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, int(1), 4);
    return { socket: new IcmpSocket(c, fd, o.family, raw, id) };
  }

  /** The destination of `address` for send(), or undefined when it is not an address of this family. */
  destination(address: string): Buffer | undefined {
    return sockaddr(this.c, this.family, address);
  }

  /**
   * Sends one packet; returns the send time (epoch ms, read just before: over loopback the reply is
   * received, and stamped, before sendto returns) or the errno.
   */
  send(packet: Buffer, to: Buffer): { atMs: number } | { errno: number } {
    const atMs = realtimeMs(this.c, this.ts);
    if (this.c.sendto(this.fd, packet, packet.length, 0, to, to.length) < 0) return { errno: this.c.koffi.errno() };
    return { atMs };
  }

  /**
   * Reads everything waiting (up to DRAIN_LIMIT datagrams) and hands each echo answer of ours to
   * `onArrival`; returns how many datagrams were read.
   */
  drain(onArrival: (a: Arrival) => void): number {
    if (this.closed) return 0;
    const c = this.c;
    let i = 0;
    for (; i < DRAIN_LIMIT; i++) {
      const v = this.view;
      v.writeUInt32LE(NAME_SIZE, MSGHDR + 8);
      v.writeBigUInt64LE(BigInt(CONTROL_SIZE), MSGHDR + 40);
      const n = c.recvmsg(this.fd, this.block);
      if (n < 0) {
        // Interrupted: read again. Anything else (EAGAIN: nothing left) ends this drain, so an error
        // that persists cannot spin DRAIN_LIMIT system calls on every drain.
        if (c.koffi.errno() === EINTR) continue;
        return i;
      }
      const answer = readEcho(this.family, v.subarray(DATA, DATA + Math.min(n, DATA_SIZE)), this.raw && this.family === 4);
      if (!answer || (this.raw && answer.id !== this.id)) continue;
      const controlLen = Number(v.readBigUInt64LE(MSGHDR + 40));
      const atMs = receivedAt(v.subarray(CONTROL, CONTROL + CONTROL_SIZE), controlLen) ?? realtimeMs(c, this.ts);
      onArrival({ from: answer.type === 'error' ? this.sender() : '', answer, atMs });
    }
    return i;
  }

  /** The current time on the clock the send and receive times use (epoch ms). */
  nowMs(): number {
    return realtimeMs(this.c, this.ts);
  }

  /** The last datagram's sender, as text (only errors need it: ping names the router that sent one). */
  private sender(): string {
    const at = this.family === 4 ? NAME + 4 : NAME + 8;
    const addr = Buffer.from(this.view.subarray(at, at + (this.family === 4 ? 4 : 16)));
    return this.c.inetNtop(AF[this.family], addr, this.text, this.text.length) ?? '?';
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.c.close(this.fd);
    this.c.koffi.free(this.block);
  }
}
