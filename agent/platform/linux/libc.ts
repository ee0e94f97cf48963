import type * as Koffi from 'koffi';
import { loadNative } from '../../../common/native.js';

/*
 * The C library calls the agent makes itself on Linux (its ICMP socket, giving back start-up pages),
 * through koffi: the add-on the packaged agent already carries for Windows' system calls.
 */

export interface Libc {
  koffi: typeof Koffi;
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrLen: number): number;
  /** recvmsg with a struct msghdr (and all it points to) in native memory made by `alloc`. */
  recvmsg(fd: number, msghdr: unknown): number;
  clockGettime(clock: number, ts: Buffer): number;
  inetPton(af: number, src: string, dst: Buffer): number;
  inetNtop(af: number, src: Buffer, dst: Buffer, size: number): string | null;
  close(fd: number): number;
  madvise(addr: bigint, length: number, advice: number): number;
}

let libc: Libc | null | undefined;

/** libc through koffi, bound once; null where that is not possible (not Linux, koffi missing). */
export function bindLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux') return null;
  try {
    const mod = loadNative<typeof Koffi & { default?: typeof Koffi }>('koffi');
    const koffi = mod.default ?? mod;
    const lib = koffi.load('libc.so.6');
    const f = {
      socket: lib.func('int socket(int, int, int)'),
      setsockopt: lib.func('int setsockopt(int, int, int, const void *, uint32_t)'),
      bind: lib.func('int bind(int, const void *, uint32_t)'),
      sendto: lib.func('intptr_t sendto(int, const void *, uintptr_t, int, const void *, uint32_t)'),
      recvmsg: lib.func('intptr_t recvmsg(int, void *, int)'),
      clockGettime: lib.func('int clock_gettime(int, void *)'),
      inetPton: lib.func('int inet_pton(int, const char *, void *)'),
      inetNtop: lib.func('const char *inet_ntop(int, const void *, void *, uint32_t)'),
      close: lib.func('int close(int)'),
      madvise: lib.func('int madvise(uintptr_t, uintptr_t, int)'),
    };
    libc = {
      koffi,
      socket: (a, b, c) => f.socket(a, b, c) as number,
      setsockopt: (fd, l, n, v, len) => f.setsockopt(fd, l, n, v, len) as number,
      bind: (fd, a, len) => f.bind(fd, a, len) as number,
      sendto: (fd, b, len, fl, a, al) => Number(f.sendto(fd, b, len, fl, a, al)),
      recvmsg: (fd, msghdr) => Number(f.recvmsg(fd, msghdr, 0)),
      clockGettime: (c, ts) => f.clockGettime(c, ts) as number,
      inetPton: (af, s, d) => f.inetPton(af, s, d) as number,
      inetNtop: (af, s, d, n) => f.inetNtop(af, s, d, n) as string | null,
      close: (fd) => f.close(fd) as number,
      madvise: (addr, len, advice) => f.madvise(addr, len, advice) as number,
    };
  } catch {
    libc = null;
  }
  return libc;
}
