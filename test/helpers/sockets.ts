import { readdirSync, readlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Open descriptors of this process, and how many of them are sockets (from /proc/self/fd). */
export function openFds(): { all: number; sockets: number } {
  const fds = readdirSync('/proc/self/fd');
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // the directory's own descriptor, closed while listing
    }
  }
  return { all: fds.length, sockets };
}

/** Sockets this process holds open. */
export function openSockets(): number {
  return openFds().sockets;
}

/** A loopback port nothing listens on (bound once by the kernel, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Awaits a promise and says how long it took, in milliseconds. */
export async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await p;
  return [r, performance.now() - t0];
}

/**
 * Waits up to `graceMs` for every connection a test server recorded to close, then forgets them
 * all; returns how many were still open (a probe that leaked its connection).
 */
export async function stillOpen(conns: Array<{ closed: Promise<unknown>; isClosed: boolean }>, graceMs = 1000): Promise<number> {
  await Promise.race([Promise.all(conns.map((c) => c.closed)), new Promise((r) => setTimeout(r, graceMs))]);
  const open = conns.filter((c) => !c.isClosed).length;
  conns.length = 0;
  return open;
}
