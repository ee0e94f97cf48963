import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { closeAll, watchSockets } from './oracle-sockets.js';

let server: Server;
let port = 0;
const remotes: string[] = [];

beforeAll(async () => {
  server = createServer((s) => {
    remotes.push(s.remoteAddress ?? '');
    s.on('error', () => {});
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

/** Opens a socket the way a driver does: deep in its own async code, with the plain net.connect API. */
async function driverLikeConnect(): Promise<Socket> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise((resolve) => s.once('connect', resolve));
  return s;
}

describe('watchSockets', () => {
  it('records the sockets opened inside its async context only, and closes them', async () => {
    const outside = connect(port, '127.0.0.1');
    const { watch, result } = watchSockets(driverLikeConnect);
    const inside = await result;
    expect(watch.sockets).toEqual([inside]);
    expect(watch.connectedAt).toBeGreaterThan(0);
    closeAll(watch);
    expect(inside.destroyed).toBe(true);
    expect(outside.destroyed).toBe(false);
    outside.destroy();
  });

  it('records the error code of a failed connect', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const { watch, result } = watchSockets(async () => {
      const s = connect(closed, '127.0.0.1');
      await new Promise((resolve) => s.once('error', resolve));
    });
    await result;
    expect((watch.error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('destroys a socket opened after closeAll at once', async () => {
    const { watch, result } = watchSockets(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return connect(port, '127.0.0.1').on('error', () => {});
    });
    closeAll(watch);
    const late = await result;
    await new Promise((resolve) => process.nextTick(resolve));
    expect(late.destroyed).toBe(true);
  });

  it("binds the driver's sockets to the given source address", async () => {
    remotes.length = 0;
    const { watch, result } = watchSockets(driverLikeConnect, '127.0.0.2');
    const s = await result;
    expect(s.localAddress).toBe('127.0.0.2');
    expect(watch.bindFailed).toBeUndefined();
    closeAll(watch);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(remotes).toContain('127.0.0.2');
  });
});
