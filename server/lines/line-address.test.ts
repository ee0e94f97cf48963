import { describe, expect, it } from 'vitest';
import { lineOfAddress, parsePrefix } from './line-address.js';

const LINES = [
  { name: 'fiber-vnpt', public: ['113.160.12.34'] },
  { name: '4g-viettel', public: ['27.64.0.0/12', '2402:800::/32'] },
  { name: 'fiber-fpt', public: ['27.72.10.0/24'] },
  { name: 'tslcd' },
];
const nameOf = (address: string): string | undefined => lineOfAddress(LINES, address)?.name;

describe('which line an address belongs to', () => {
  it('an exact address and an IPv4 prefix', () => {
    expect(nameOf('113.160.12.34')).toBe('fiber-vnpt');
    expect(nameOf('27.64.0.1')).toBe('4g-viettel');
    expect(nameOf('27.79.255.255')).toBe('4g-viettel');
  });

  it('the longest prefix wins: a /24 inside another line’s /12', () => {
    expect(nameOf('27.72.10.200')).toBe('fiber-fpt');
    expect(nameOf('27.72.11.1')).toBe('4g-viettel');
    const reversed = [...LINES].reverse();
    expect(lineOfAddress(reversed, '27.72.10.200')?.name).toBe('fiber-fpt');
  });

  it('IPv6 prefixes, and IPv4-mapped IPv6 as a dual-stack socket reports it', () => {
    expect(nameOf('2402:800:63a1::5')).toBe('4g-viettel');
    expect(nameOf('2402:801::1')).toBeUndefined();
    expect(nameOf('::ffff:113.160.12.34')).toBe('fiber-vnpt');
    expect(nameOf('::ffff:27.72.10.9')).toBe('fiber-fpt');
    expect(lineOfAddress([{ name: 'v6', public: ['::ffff:27.72.10.0/120'] }], '27.72.10.9')?.name).toBe('v6');
  });

  it('no match, a line without public addresses, and what is not an address', () => {
    expect(nameOf('113.160.12.35')).toBeUndefined();
    expect(nameOf('8.8.8.8')).toBeUndefined();
    expect(nameOf('not-an-address')).toBeUndefined();
    expect(nameOf('')).toBeUndefined();
    expect(lineOfAddress([{ name: 'tslcd' }], '10.0.0.1')).toBeUndefined();
  });

  it('a /0 matches everything of its family; the mapped IPv4 range keeps the families apart', () => {
    expect(lineOfAddress([{ name: 'any4', public: ['0.0.0.0/0'] }], '203.0.113.9')?.name).toBe('any4');
    expect(lineOfAddress([{ name: 'any4', public: ['0.0.0.0/0'] }], '2001:db8::1')).toBeUndefined();
  });

  it('parses prefixes and refuses what is not one', () => {
    expect(parsePrefix('10.1.2.3/8')).toEqual(parsePrefix('10.0.0.0/8'));
    for (const bad of ['10.0.0.0/33', '2402:800::/129', '10.0.0', '10.0.0.0/', '10.0.0.0/8/1', 'vnpt.vn', '10.0.0.0/-1', ''])
      expect(parsePrefix(bad), bad).toBeUndefined();
  });
});
