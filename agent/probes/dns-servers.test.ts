import { describe, expect, it } from 'vitest';
import { planResolvers, serverFamily } from './dns-servers.js';

describe('resolver servers', () => {
  it('reads the family of ip, ip:port and [ipv6]:port', () => {
    expect(['10.0.0.1', '10.0.0.1:5353', '::1', '[::1]:5353', 'ns.example.vn', 'ns.example.vn:53', '10.0.0.1:99999'].map(serverFamily)).toEqual([
      4,
      4,
      6,
      6,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('asks every resolver unbound when there is no line', () => {
    expect(planResolvers(['10.0.0.1', '[::1]:53'], () => ({ ok: true }))).toEqual({ ok: true, servers: ['10.0.0.1', '[::1]:53'] });
  });

  it('binds each family to the line and drops resolvers the line cannot reach', () => {
    const v4only = (f: 4 | 6) =>
      f === 4 ? { ok: true as const, address: '10.1.0.2' } : { ok: false as const, message: 'line inet1: interface eth1 has no IPv6 address' };
    expect(planResolvers(['10.0.0.1', '::1'], v4only)).toEqual({ ok: true, servers: ['10.0.0.1'], ipv4: '10.1.0.2' });
    expect(planResolvers(['::1'], v4only)).toEqual({ ok: false, message: 'line inet1: interface eth1 has no IPv6 address' });
    // A source address answers for both families in bindAddress; only its own family may use it.
    const source = () => ({ ok: true as const, address: '10.1.0.2' });
    expect(planResolvers(['10.0.0.1', '::1'], source)).toEqual({ ok: true, servers: ['10.0.0.1'], ipv4: '10.1.0.2' });
    expect(planResolvers(['[::1]:53'], source)).toEqual({ ok: false, message: 'line source 10.1.0.2 is not IPv6' });
  });

  it('fails without any resolver', () => {
    expect(planResolvers([], () => ({ ok: true }))).toEqual({ ok: false, message: 'no resolver configured' });
  });
});
