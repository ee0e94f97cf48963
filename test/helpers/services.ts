import { connect } from 'node:net';

/** Whether something accepts TCP connections on a loopback port (a service the tests need). */
export function serviceUp(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    const done = (up: boolean): void => {
      s.destroy();
      resolve(up);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
