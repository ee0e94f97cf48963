import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { FailureCounter, hashPassword, loginMiddleware, scryptKdf, verifyPassword, type Kdf } from './login.js';

describe('FailureCounter', () => {
  it('lets 5 failures through in a window, then makes the key wait until the window ends', () => {
    const f = new FailureCounter(5, 60_000, 100);
    for (let i = 0; i < 5; i++) {
      expect(f.waitMs('a', 1000 + i)).toBe(0);
      f.add('a', 1000 + i);
    }
    expect(f.waitMs('a', 2000)).toBe(59_000);
    expect(f.waitMs('b', 2000)).toBe(0);
    expect(f.waitMs('a', 61_000)).toBe(0); // the window is over
    f.add('a', 61_000);
    expect(f.waitMs('a', 61_001)).toBe(0); // a new window, one failure in it
  });

  it('takes back a success', () => {
    const f = new FailureCounter(2, 60_000, 100);
    f.add('a', 0);
    f.add('a', 0);
    expect(f.waitMs('a', 1)).toBeGreaterThan(0);
    f.forgive('a');
    expect(f.waitMs('a', 1)).toBe(0);
    f.forgive('a');
    expect(f.size).toBe(0);
  });

  it('remembers a bounded number of keys, dropping expired windows first, then the oldest', () => {
    const f = new FailureCounter(1, 1000, 3);
    for (let i = 0; i < 3; i++) f.add(`old-${i}`, 0);
    f.add('new', 5000); // all three expired
    expect(f.size).toBe(1);
    for (let i = 0; i < 100; i++) f.add(`k-${i}`, 5000 + i);
    expect(f.size).toBe(3);
    expect(f.waitMs('k-99', 5100)).toBeGreaterThan(0); // the newest are kept
  });
});

describe('verifyPassword', () => {
  it('accepts the password that `hashPassword` hashed and nothing else', async () => {
    const hash = hashPassword('mật-khẩu-đủ-dài');
    expect(await verifyPassword('mật-khẩu-đủ-dài', hash)).toBe(true);
    expect(await verifyPassword('mật-khẩu-sai', hash)).toBe(false);
    expect(await verifyPassword('mật-khẩu-đủ-dài', 'scrypt$AAAA$AAAA')).toBe(false);
  });

  it('runs scrypt off the event loop: 4 checks at once delay it by less than one check (on it they would take 4)', async () => {
    const hash = hashPassword('mật-khẩu-đủ-dài');
    const started = performance.now();
    await verifyPassword('x', hash);
    const one = performance.now() - started;
    // The largest gap between ticks of a 1 ms timer, from before the checks start to after they end.
    let last = performance.now();
    let maxMs = 0;
    const timer = setInterval(() => {
      const t = performance.now();
      maxMs = Math.max(maxMs, t - last);
      last = t;
    }, 1);
    const tick = () => new Promise((r) => setTimeout(r, 5));
    await tick();
    await Promise.all(Array.from({ length: 4 }, () => verifyPassword('wrong', hash)));
    await tick();
    clearInterval(timer);
    console.log(`one scrypt ${one.toFixed(1)} ms; event loop delay at most ${maxMs.toFixed(1)} ms during 4`);
    expect(maxMs).toBeLessThan(Math.max(one, 10));
  });
});

describe('loginMiddleware', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  /** A real express app behind the login on a loopback port; the key derivation is counted. */
  async function serve(users: Array<{ name: string; password_hash: string }>) {
    const calls: Array<{ saltBytes: number; keyLength: number }> = [];
    const kdf: Kdf = (password, salt, keyLength) => {
      calls.push({ saltBytes: salt.length, keyLength });
      return scryptKdf(password, salt, keyLength);
    };
    const app = express();
    app.use(loginMiddleware({ realm: 'centerwatch', users }, { kdf }));
    app.get('/', (_req, res) => void res.send('in'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    close = () => server.close();
    const port = (server.address() as AddressInfo).port;
    const get = async (user: string, password: string) =>
      (await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } })).status;
    return { calls, get };
  }

  it('an unknown user name costs the same scrypt as a known one with a wrong password', async () => {
    const { calls, get } = await serve([
      { name: 'lanhdao', password_hash: hashPassword('mật-khẩu-đủ-dài') },
      { name: 'broken', password_hash: 'scrypt$AAAA$AAAA' },
    ]);
    expect(await get('lanhdao', 'wrong')).toBe(401);
    expect(await get('nobody', 'wrong')).toBe(401);
    expect(await get('broken', 'wrong')).toBe(401);
    expect(calls).toEqual([
      { saltBytes: 16, keyLength: 32 },
      { saltBytes: 16, keyLength: 32 },
      { saltBytes: 16, keyLength: 32 },
    ]);
    expect(await get('lanhdao', 'mật-khẩu-đủ-dài')).toBe(200);
    expect(await get('lanhdao', 'mật-khẩu-đủ-dài')).toBe(200); // remembered: no second scrypt
    expect(calls).toHaveLength(4);
  });

  it('the 6th failure gets 429 without any scrypt', async () => {
    const { calls, get } = await serve([{ name: 'lanhdao', password_hash: hashPassword('mật-khẩu-đủ-dài') }]);
    for (let i = 0; i < 5; i++) expect(await get(`guess-${i}`, 'wrong')).toBe(401);
    expect(await get('guess-5', 'wrong')).toBe(429);
    expect(calls).toHaveLength(5);
  });
});
