import { describe, expect, it } from 'vitest';
import { answerTexts, hasAnswer, normalizeAnswer, queryName, rcodeOf } from './dns-answers.js';

describe('answerTexts', () => {
  it('prints records as dig +short does', () => {
    expect(answerTexts('A', ['127.0.0.1', '127.0.0.2'])).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(answerTexts('MX', [{ priority: 10, exchange: 'mx.example.vn' }])).toEqual(['10 mx.example.vn']);
    expect(answerTexts('TXT', [['v=spf1 ', '-all'], ['x']])).toEqual(['v=spf1 -all', 'x']);
    expect(answerTexts('SRV', [{ priority: 1, weight: 5, port: 443, name: 'a.example.vn' }])).toEqual(['1 5 443 a.example.vn']);
    expect(answerTexts('SOA', { nsname: 'ns.example.vn', hostmaster: 'h.example.vn', serial: 7, refresh: 1, retry: 2, expire: 3, minttl: 4 })).toEqual([
      'ns.example.vn h.example.vn 7 1 2 3 4',
    ]);
  });
});

describe('hasAnswer', () => {
  it('compares names without case or trailing dot, TXT exactly', () => {
    expect(hasAnswer('CNAME', ['Portal.Example.VN'], 'portal.example.vn.')).toBe(true);
    expect(hasAnswer('MX', ['10 MX.example.vn'], '10 mx.example.vn.')).toBe(true);
    expect(hasAnswer('TXT', ['Token=A'], 'token=a')).toBe(false);
    expect(hasAnswer('TXT', ['Token=A'], 'Token=A')).toBe(true);
  });

  it('compares IPv6 addresses in canonical form', () => {
    expect(normalizeAnswer('AAAA', '2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(hasAnswer('AAAA', ['2001:db8::1'], '2001:0db8::0001')).toBe(true);
    expect(hasAnswer('AAAA', ['2001:db8::1'], '2001:db8::2')).toBe(false);
  });

  it('matches an MX or SRV by its target and an SOA by its leading fields', () => {
    expect(hasAnswer('MX', ['10 mx.example.vn'], 'mx.example.vn')).toBe(true);
    expect(hasAnswer('MX', ['10 mx.example.vn'], '20 mx.example.vn')).toBe(false);
    expect(hasAnswer('SRV', ['1 5 443 a.example.vn'], 'a.example.vn')).toBe(true);
    expect(hasAnswer('SOA', ['ns.example.vn h.example.vn 7 1 2 3 4'], 'ns.example.vn')).toBe(true);
    expect(hasAnswer('SOA', ['ns.example.vn h.example.vn 7 1 2 3 4'], 'ns.example.vn h.example.vn 8')).toBe(false);
    expect(hasAnswer('SOA', ['ns.example.vn h.example.vn 7 1 2 3 4'], 'h.example.vn')).toBe(false);
  });

  it('does not let a partial address match', () => {
    expect(hasAnswer('A', ['127.0.0.10'], '127.0.0.1')).toBe(false);
  });
});

describe('queryName', () => {
  it('turns an address into its reverse name for PTR only', () => {
    expect(queryName('PTR', '192.0.2.5')).toBe('5.2.0.192.in-addr.arpa');
    expect(queryName('PTR', '2001:db8::567:89ab')).toBe('b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(queryName('PTR', '::ffff:192.0.2.5')).toBe('5.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa');
    expect(queryName('PTR', '5.2.0.192.in-addr.arpa')).toBe('5.2.0.192.in-addr.arpa');
    expect(queryName('A', '192.0.2.5')).toBe('192.0.2.5');
  });
});

describe('rcodeOf', () => {
  it('tells a response code from no response', () => {
    expect(['ENOTFOUND', 'ESERVFAIL', 'EREFUSED', 'ENODATA', 'ETIMEOUT', 'ECONNREFUSED', 'ECANCELLED'].map(rcodeOf)).toEqual([
      'NXDOMAIN',
      'SERVFAIL',
      'REFUSED',
      'NOERROR',
      undefined,
      undefined,
      undefined,
    ]);
  });
});
