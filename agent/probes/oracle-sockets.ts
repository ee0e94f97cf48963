import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * The sockets a driver opens while it works for one check run. oracledb's thin mode keeps its
 * socket private and has no deadline after the listener accepted the connection (a server that
 * hangs during the login holds it forever), so the probe finds the socket itself: Node publishes
 * every new TCP client socket on the `net.client.socket` diagnostics channel, synchronously in
 * the caller's async context, and an AsyncLocalStorage tells which run that caller works for.
 * Concurrent checks of other kinds are not in the store and are left alone.
 */
export interface SocketWatch {
  /** Raw TCP sockets opened for the run (a TLS socket wraps one of these). */
  sockets: Socket[];
  /** When the first socket finished its TCP handshake (performance.now()). */
  connectedAt?: number;
  /** The first socket error (its `code` says refused, unreachable, DNS …). */
  error?: Error;
  /** Set by `closeAll`: a socket opened afterwards (a late redirect) is destroyed at once. */
  closed: boolean;
  /** Source address every socket must leave from (the check's line); see `bindTo`. */
  localAddress?: string;
  /** Set when a socket did not leave from `localAddress`: it was cut before sending anything. */
  bindFailed?: boolean;
}

const store = new AsyncLocalStorage<SocketWatch>();
let subscribed = false;

function onSocket(message: unknown): void {
  const watch = store.getStore();
  const socket = (message as { socket?: Socket }).socket;
  if (!watch || !socket) return;
  if (watch.closed) {
    // Not now: net.connect calls socket.connect() right after publishing, and that revives a destroyed socket.
    process.nextTick(() => socket.destroy());
    return;
  }
  watch.sockets.push(socket);
  if (watch.localAddress) bindTo(socket, watch.localAddress);
  socket.once('connect', () => {
    if (watch.localAddress && socket.localAddress !== watch.localAddress) {
      watch.bindFailed = true;
      socket.destroy(Object.assign(new Error('not bound to the line'), { code: 'EADDRNOTAVAIL' }));
      return;
    }
    watch.connectedAt ??= performance.now();
  });
  // Registered before the driver's own listeners: it sees the error code the driver keeps only as text.
  socket.once('error', (err) => (watch.error ??= err));
}

/**
 * Makes a driver's socket connect from `address`. The channel publishes a socket before
 * `net.connect` calls `socket.connect(normalizedArgs)`, so the options (the first element of
 * those arguments) can still take a `localAddress`. This leans on Node's internals: the
 * `connect` listener above checks the address the socket really got and cuts it otherwise.
 */
function bindTo(socket: Socket, address: string): void {
  const connect = socket.connect.bind(socket) as (...a: unknown[]) => Socket;
  socket.connect = function (...args: unknown[]) {
    const first = args[0];
    if (Array.isArray(first)) {
      const options: unknown = first[0];
      if (typeof options === 'object' && options !== null) first[0] = { ...options, localAddress: address };
    }
    return connect(...args);
  };
}

/** Runs `fn`, recording every TCP client socket opened in its async context (bound to `localAddress` when given). */
export function watchSockets<T>(fn: () => Promise<T>, localAddress?: string): { watch: SocketWatch; result: Promise<T> } {
  if (!subscribed) {
    subscribe('net.client.socket', onSocket);
    subscribed = true;
  }
  const watch: SocketWatch = { sockets: [], closed: false, ...(localAddress ? { localAddress } : {}) };
  return { watch, result: store.run(watch, fn) };
}

/** Destroys every socket of the run (closing its descriptor), now and from now on. */
export function closeAll(watch: SocketWatch): void {
  watch.closed = true;
  for (const s of watch.sockets) s.destroy();
}
