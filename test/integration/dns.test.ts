import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dns from 'node:dns';
import { createSocket } from 'node:dgram';
import { readdirSync, readlinkSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dnsProbe } from '../../agent/probes/dns.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { makeCtx } from '../helpers/ctx.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

let server: TestDnsServer;
let silent: TestDnsServer;
let closedPort = 0;

beforeAll(async () => {
  server = await startDnsServer({
    records: [
      { name: 'portal.test', type: 'A', data: '127.0.0.10' },
      { name: 'portal.test', type: 'A', data: '127.0.0.11' },
      { name: 'portal.test', type: 'AAAA', data: '2001:db8::10' },
      { name: 'portal.test', type: 'TXT', data: ['centerwatch=', 'ok'] },
      { name: 'portal.test', type: 'MX', data: { preference: 10, exchange: 'mx.portal.test' } },
      { name: 'www.portal.test', type: 'CNAME', data: 'portal.test' },
      { name: 'test', type: 'NS', data: 'ns1.test' },
      {
        name: 'test',
        type: 'SOA',
        data: { mname: 'ns1.test', rname: 'hostmaster.test', serial: 2025070101, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
      },
      { name: '_https._tcp.portal.test', type: 'SRV', data: { priority: 1, weight: 5, port: 443, target: 'portal.test' } },
      { name: '10.0.0.127.in-addr.arpa', type: 'PTR', data: 'portal.test' },
    ],
    rules: { 'broken.test': 'SERVFAIL', 'closed.test': 'REFUSED', 'slow.test': 'silent' },
  });
  silent = await startDnsServer({ behaviour: 'silent' });
  // A port nothing listens on: the kernel answers with ICMP port unreachable.
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  closedPort = s.address().port;
  await new Promise<void>((resolve) => s.close(resolve));
});

afterAll(async () => {
  await server?.close();
  await silent?.close();
});

function run(target: string, options: Record<string, unknown> = {}, ctxOpts: Parameters<typeof makeCtx>[0] = {}): Promise<ProbeResult> {
  return dnsProbe.run(target, dnsProbe.options.parse({ server: server.address, ...options }), makeCtx({ timeoutMs: 2000, ...ctxOpts }));
}

const answers = (r: ProbeResult) => r.observations?.find((o) => o.metric === 'answers')?.value;

function socketFds(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false; // the fd of readdir itself, already closed
    }
  }).length;
}

describe('dns probe', () => {
  it('is up when the expected A answers are present, with the lookup time and the answer count', async () => {
    const before = server.queries.length;
    const r = await run('portal.test', { expect_answers: ['127.0.0.10', '127.0.0.11'] });
    expect(r).toMatchObject({ up: true, reason: 'ok', observations: [{ metric: 'answers', value: 2 }] });
    expect(r.phases?.resolve).toBeGreaterThan(0);
    expect(r.phases?.resolve).toBeLessThan(1);
    // One query, of the asked type, to the asked server.
    expect(server.queries.slice(before).map((q) => `${q.question.name} ${q.question.type}`)).toEqual(['portal.test A']);
  });

  it('reads a TXT record split in several strings as one answer', async () => {
    const r = await run('portal.test', { record_type: 'TXT', expect_answers: ['centerwatch=ok'] });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(answers(r)).toBe(1);
  });

  it.each([
    ['AAAA', 'portal.test', '2001:DB8:0::10'],
    ['CNAME', 'www.portal.test', 'Portal.Test.'],
    ['MX', 'portal.test', '10 mx.portal.test'],
    ['NS', 'test', 'ns1.test'],
    ['SRV', '_https._tcp.portal.test', '1 5 443 portal.test'],
    ['SOA', 'test', 'ns1.test hostmaster.test'],
    ['PTR', '127.0.0.10', 'portal.test'],
  ])('reads %s answers', async (type, name, expected) => {
    expect(await run(name, { record_type: type, expect_answers: [expected] })).toMatchObject({ up: true, reason: 'ok' });
  });

  it('fails with assertion when an expected answer is missing, naming it', async () => {
    const r = await run('portal.test', { expect_answers: ['127.0.0.10', '127.0.0.1'] });
    expect(r).toMatchObject({ up: false, reason: 'assertion', message: 'missing "127.0.0.1" among 2 answers' });
    expect(answers(r)).toBe(2);
  });

  it('fails with assertion on NODATA unless min_answers allows none', async () => {
    const r = await run('www.portal.test', { record_type: 'TXT' });
    expect(r).toMatchObject({ up: false, reason: 'assertion', message: '0 TXT answers, expected at least 1' });
    expect(answers(r)).toBe(0);
    expect(await run('www.portal.test', { record_type: 'TXT', min_answers: 0 })).toMatchObject({ up: true });
    expect(await run('portal.test', { min_answers: 3 })).toMatchObject({ up: false, reason: 'assertion', message: '2 A answers, expected at least 3' });
  });

  it('fails with dns on NXDOMAIN, and is up when NXDOMAIN is what is expected', async () => {
    const gone = await run('gone.test');
    expect(gone).toMatchObject({ up: false, reason: 'dns', message: 'NXDOMAIN, expected NOERROR' });
    expect(answers(gone)).toBe(0);
    expect(await run('gone.test', { expect_rcode: 'NXDOMAIN' })).toMatchObject({ up: true, reason: 'ok', observations: [{ metric: 'answers', value: 0 }] });
    // A name that should be absent but resolves is a broken expectation, not a broken resolver.
    expect(await run('portal.test', { expect_rcode: 'NXDOMAIN' })).toMatchObject({ up: false, reason: 'assertion', message: 'NOERROR, expected NXDOMAIN' });
  });

  it('fails with dns on SERVFAIL and REFUSED responses', async () => {
    expect(await run('broken.test')).toMatchObject({ up: false, reason: 'dns', message: 'SERVFAIL, expected NOERROR' });
    expect(await run('closed.test')).toMatchObject({ up: false, reason: 'dns', message: 'REFUSED, expected NOERROR' });
    expect(await run('broken.test', { expect_rcode: 'SERVFAIL' })).toMatchObject({ up: true });
  });

  it('fails with timeout within the deadline + 1 s when the server never answers, asking once', async () => {
    const before = silent.queries.length;
    const t0 = performance.now();
    const r = await run('portal.test', { server: silent.address }, { timeoutMs: 1000 });
    const elapsed = performance.now() - t0;
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(r.observations).toBeUndefined();
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2000);
    expect(silent.queries.length - before).toBe(1);
  });

  it('stops at the signal, before the resolver would time out', async () => {
    const ctx = makeCtx({ timeoutMs: 5000 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('deadline')), 200);
    const t0 = performance.now();
    const r = await dnsProbe.run('slow.test', dnsProbe.options.parse({ server: server.address }), { ...ctx, signal: abort.signal });
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'no answer before the deadline' });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('fails with refused when nothing listens on the resolver port', async () => {
    expect(await run('portal.test', { server: `127.0.0.1:${closedPort}` })).toMatchObject({
      up: false,
      reason: 'refused',
      message: 'no answer (ECONNREFUSED)',
    });
  });

  it('asks the system resolvers when no server is given', async () => {
    // The process-wide resolver list stands in for /etc/resolv.conf, so nothing leaves loopback.
    const saved = dns.getServers();
    dns.setServers([server.address]);
    try {
      // Guard: were the list not replaced, the query would go to the host's real resolver.
      expect(dns.getServers()).toEqual([server.address]);
      const before = server.queries.length;
      const r = await dnsProbe.run('portal.test', dnsProbe.options.parse({ expect_answers: ['127.0.0.11'] }), makeCtx({ timeoutMs: 2000 }));
      expect(r).toMatchObject({ up: true });
      expect(server.queries.length - before).toBe(1);
    } finally {
      dns.setServers(saved);
    }
  });

  it('asks an IPv6 resolver', async () => {
    const hasV6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === '::1'));
    if (!hasV6Loopback) return void console.warn('skipping: no ::1 on this host');
    const v6 = await startDnsServer({ host: '::1', records: [{ name: 'portal.test', type: 'A', data: '127.0.0.10' }] });
    try {
      expect(await run('portal.test', { server: v6.address, expect_answers: ['127.0.0.10'] })).toMatchObject({ up: true });
      expect(v6.queries.at(-1)?.from).toBe('::1');
    } finally {
      await v6.close();
    }
  });

  describe('on a line', () => {
    it("sends the query from the line's source address", async () => {
      const r = await run('portal.test', {}, { line: { name: 'inet2', source: '127.0.0.2' } });
      expect(r).toMatchObject({ up: true });
      expect(server.queries.at(-1)?.from).toBe('127.0.0.2');
    });

    it('fails with unreachable, sending nothing, when the line cannot reach the resolver', async () => {
      const before = server.queries.length;
      expect(await run('portal.test', {}, { line: { name: 'inet1', interface: 'cw-no-such-if0' } })).toMatchObject({
        up: false,
        reason: 'unreachable',
        message: 'line inet1: interface cw-no-such-if0 has no IPv4 address',
      });
      expect(await run('portal.test', {}, { line: { name: 'inet1', source: '::1' } })).toMatchObject({
        up: false,
        reason: 'unreachable',
        message: 'line source ::1 is not IPv4',
      });
      expect(server.queries.length).toBe(before);
    });
  });

  it('leaves no socket open after answers, errors and timeouts', async () => {
    const baseline = socketFds();
    for (let i = 0; i < 5; i++) {
      await run('portal.test');
      await run('gone.test');
      await run('portal.test', { server: `127.0.0.1:${closedPort}` });
      await run('slow.test', {}, { timeoutMs: 100 });
    }
    expect(socketFds()).toBe(baseline);
  });

  it('rejects options that cannot work', () => {
    expect(dnsProbe.options.safeParse({ server: 'ns1.example.vn' }).success).toBe(false);
    expect(dnsProbe.options.safeParse({ server: '127.0.0.1:70000' }).success).toBe(false);
    expect(dnsProbe.options.safeParse({ record_type: 'ANY' }).success).toBe(false);
    expect(dnsProbe.options.safeParse({ expect_rcode: 'NXDOMAIN', expect_answers: ['127.0.0.1'] }).error?.issues[0]?.path).toEqual(['expect_answers']);
    expect(dnsProbe.options.parse({})).toEqual({ record_type: 'A', expect_answers: [], expect_rcode: 'NOERROR', min_answers: 1 });
    expect(dnsProbe.options.parse({ server: '[::1]:5353' }).server).toBe('[::1]:5353');
  });
});
