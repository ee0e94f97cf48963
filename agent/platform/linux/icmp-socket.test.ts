import { afterEach, describe, expect, it } from 'vitest';
import { echoRequest } from '../../probes/icmp-packet.js';
import { IcmpSocket, idFilter, type Arrival } from './icmp-socket.js';

const isRoot = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the id filter', () => {
  it('is iputils ping’s program: pass our id, pass errors, drop others’ replies', () => {
    expect(idFilter(4, 0xabcd)).toEqual([
      [0xb1, 0, 0, 0],
      [0x48, 0, 0, 4],
      [0x15, 0, 1, 0xabcd],
      [0x06, 0, 0, 0xffffffff],
      [0x50, 0, 0, 0],
      [0x15, 1, 0, 0],
      [0x06, 0, 0, 0xffffffff],
      [0x06, 0, 0, 0],
    ]);
    // ICMPv6 arrives without the IP header: absolute loads, reply type 129.
    expect(idFilter(6, 7).slice(0, 2)).toEqual([
      [0x28, 0, 0, 4],
      [0x15, 0, 1, 7],
    ]);
  });
});

describe.runIf(process.platform === 'linux' && isRoot)('the raw ICMP socket', () => {
  const open: IcmpSocket[] = [];
  afterEach(() => open.splice(0).forEach((s) => s.close()));
  const socket = (family: 4 | 6): IcmpSocket => {
    const o = IcmpSocket.open({ family });
    if (!('socket' in o)) throw new Error(o.problem);
    open.push(o.socket);
    return o.socket;
  };

  it.each([4, 6] as const)('IPv%i: gets its own replies with kernel times, and never another socket’s', async (family) => {
    const a = socket(family);
    const b = socket(family);
    const to = a.destination(family === 4 ? '127.0.0.1' : '::1')!;
    for (let seq = 1; seq <= 20; seq++) expect(a.send(echoRequest(family, a.id, seq), to)).toHaveProperty('atMs');
    await sleep(50);
    const got: Arrival[] = [];
    expect(a.drain((x) => got.push(x))).toBe(20);
    expect(got.map((x) => x.answer)).toEqual(Array.from({ length: 20 }, (_, i) => ({ type: 'reply', id: a.id, seq: i + 1 })));
    // Received after it was sent, and not later than now (the kernel's stamp, not the drain's time).
    for (const x of got) expect(x.atMs).toBeLessThanOrEqual(a.nowMs());
    // The other socket's kernel filter dropped all 20 (without it, a raw socket reads every reply).
    expect(b.drain(() => {})).toBe(0);
  });
});
