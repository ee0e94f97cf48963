import { describe, expect, it } from 'vitest';
import {
  IF_ALIAS,
  IF_DESCR,
  IF_NAME,
  counterDelta,
  findInterface,
  interfaceObservations,
  interfaceOids,
  interfaceRows,
  ratesBetween,
  readInterface,
  snmpBigInt,
  type IfReading,
  type Snapshot,
} from './router-ifmib.js';
import { formatBits } from './router.js';

const str = (s: string): Buffer => Buffer.from(s, 'utf8');
/** A DrayTek-like table: ifDescr carries the WAN names, ifName is empty on some rows, ifAlias set on one. */
const ROWS = interfaceRows([
  { oid: `${IF_DESCR}.1`, value: str('LAN') },
  { oid: `${IF_DESCR}.4`, value: str('WAN1') },
  { oid: `${IF_DESCR}.5`, value: str('WAN2') },
  { oid: `${IF_DESCR}.6`, value: str('WAN2') },
  { oid: `${IF_NAME}.1`, value: str('lan') },
  { oid: `${IF_NAME}.4`, value: str('') },
  { oid: `${IF_NAME}.5`, value: str('pppoe-out1') },
  { oid: `${IF_NAME}.6`, value: str('lte1') },
  { oid: `${IF_ALIAS}.4`, value: str('FPT fiber\0') },
]);

describe('finding an interface by the name the device shows', () => {
  it('reads the three name columns into rows by ifIndex, dropping empty names and trailing NULs', () => {
    expect(ROWS).toEqual([
      { index: 1, descr: 'LAN', name: 'lan' },
      { index: 4, descr: 'WAN1', alias: 'FPT fiber' },
      { index: 5, descr: 'WAN2', name: 'pppoe-out1' },
      { index: 6, descr: 'WAN2', name: 'lte1' },
    ]);
  });

  it('by ifName, ifDescr or ifAlias, exact before ignoring case', () => {
    expect(findInterface(ROWS, 'pppoe-out1')).toEqual({ ok: true, index: 5 });
    expect(findInterface(ROWS, 'WAN1')).toEqual({ ok: true, index: 4 });
    expect(findInterface(ROWS, 'FPT fiber')).toEqual({ ok: true, index: 4 });
    expect(findInterface(ROWS, 'wan1')).toEqual({ ok: true, index: 4 });
    // "lan" is row 1's ifName exactly; "LAN" is its ifDescr exactly: both row 1.
    expect(findInterface(ROWS, 'LAN')).toEqual({ ok: true, index: 1 });
    expect(findInterface(ROWS, 'LTE1')).toEqual({ ok: true, index: 6 });
  });

  it('a name two interfaces share is ambiguous, saying their indexes and the way out', () => {
    expect(findInterface(ROWS, 'WAN2')).toEqual({
      ok: false,
      message: 'interface "WAN2" is the ifDescr of several interfaces (ifIndex 5, 6): give its ifAlias, or its index',
    });
  });

  it('a name the device lacks says the names it has, the first eight', () => {
    expect(findInterface(ROWS, 'ether9')).toEqual({ ok: false, message: 'interface "ether9" not found (the device has: lan, WAN1, pppoe-out1, lte1)' });
    const many = interfaceRows(Array.from({ length: 12 }, (_, i) => ({ oid: `${IF_NAME}.${i + 1}`, value: str(`ether${i + 1}`) })));
    expect(findInterface(many, 'wan')).toEqual({
      ok: false,
      message: 'interface "wan" not found (the device has: ether1, ether2, ether3, ether4, ether5, ether6, ether7, ether8 and 4 more)',
    });
    expect(findInterface([], 'wan')).toMatchObject({ ok: false, message: expect.stringContaining('no interfaces') });
  });
});

describe("decoding one interface's columns", () => {
  const vb = (column: string, value: unknown) => ({ oid: `${column}.5`, value });
  const oids = interfaceOids(5);
  const [speed, admin, oper, inOct, inErr, outOct, outErr, hcIn, hcOut, highSpeed] = oids.map((o) => o.slice(0, -2));

  it('reads the 64-bit HC counters (Counter64 arrives as big-endian bytes) and ifHighSpeed in Mb/s', () => {
    const r = readInterface(5, [
      vb(speed!, 4294967295),
      vb(admin!, 1),
      vb(oper!, 1),
      vb(inOct!, 10),
      vb(outOct!, 20),
      vb(hcIn!, Buffer.from('0100000000', 'hex')),
      vb(hcOut!, Buffer.from([0x12, 0x34])),
      vb(highSpeed!, 10000),
      vb(inErr!, 3),
      vb(outErr!, 0),
    ]);
    expect(r).toEqual({ index: 5, hc: true, adminStatus: 1, operStatus: 1, speed: 10e9, inOctets: 2n ** 32n, outOctets: 0x1234n, inErrors: 3, outErrors: 0 });
  });

  it('falls back to the 32-bit counters and ifSpeed where the device has no ifXTable', () => {
    const r = readInterface(5, [vb(speed!, 100_000_000), vb(oper!, 2), vb(inOct!, 10), vb(outOct!, 20)]);
    expect(r).toEqual({ index: 5, hc: false, operStatus: 2, speed: 100e6, inOctets: 10n, outOctets: 20n });
  });

  it('ifHighSpeed 0 (under 500 kb/s) leaves the exact ifSpeed; a saturated ifSpeed alone is no speed', () => {
    expect(readInterface(5, [vb(highSpeed!, 0), vb(speed!, 256_000)]).speed).toBe(256_000);
    expect(readInterface(5, [vb(speed!, 4294967295)]).speed).toBeUndefined();
  });

  it('SNMP values to numbers', () => {
    expect(snmpBigInt(Buffer.from('ffffffffffffffff', 'hex'))).toBe(2n ** 64n - 1n);
    expect(snmpBigInt(Buffer.alloc(0))).toBe(0n);
    expect(snmpBigInt(Buffer.alloc(9))).toBeUndefined();
    expect(snmpBigInt(-1)).toBeUndefined();
    expect(snmpBigInt('7')).toBeUndefined();
  });
});

describe('counters into rates', () => {
  const reading = (o: Partial<IfReading> = {}): IfReading => ({ index: 4, hc: true, operStatus: 1, speed: 1e9, inOctets: 0n, outOctets: 0n, ...o });
  const snap = (atMs: number, o: Partial<IfReading> = {}, uptime?: number): Snapshot => ({
    reading: reading(o),
    atMs,
    ...(uptime !== undefined ? { uptime } : {}),
  });

  it('a 32-bit counter that went back wrapped once; a 64-bit one was reset', () => {
    expect(counterDelta(100n, 250n, 32)).toBe(150n);
    expect(counterDelta(4294967000n, 200n, 32)).toBe(496n);
    expect(counterDelta(4294967000n, 200n, 64)).toBeUndefined();
  });

  it('bytes per second since the previous run; the first run has none', () => {
    const first = snap(1000, { inOctets: 1_000_000n, outOctets: 5_000n });
    expect(ratesBetween(undefined, first)).toEqual({ receiveErrors: 0, transmitErrors: 0 });
    const next = snap(31_000, { inOctets: 4_750_000n, outOctets: 80_000n });
    expect(ratesBetween(first, next)).toEqual({ receiveBytesPerSecond: 125_000, transmitBytesPerSecond: 2_500, receiveErrors: 0, transmitErrors: 0 });
  });

  it('across a 32-bit wrap', () => {
    const a = snap(0, { hc: false, inOctets: 4_294_967_000n, outOctets: 0n });
    const b = snap(10_000, { hc: false, inOctets: 1_250_000n - 296n, outOctets: 0n });
    expect(ratesBetween(a, b).receiveBytesPerSecond).toBe(125_000);
  });

  it('a 32-bit "wrap" faster than the link is a reset: no rate rather than a spike', () => {
    const a = snap(0, { hc: false, speed: 10e6, inOctets: 3_000_000_000n, outOctets: 0n });
    const b = snap(30_000, { hc: false, speed: 10e6, inOctets: 1_000n, outOctets: 0n });
    expect(ratesBetween(a, b).receiveBytesPerSecond).toBeUndefined();
    expect(ratesBetween(a, b).transmitBytesPerSecond).toBe(0);
  });

  it('no rate across a restart of the device (sysUpTime went back), a moved ifIndex, or a change of counter width', () => {
    const a = snap(0, { inOctets: 1_000n }, 500_000);
    expect(ratesBetween(a, snap(30_000, { inOctets: 900n }, 3_000)).receiveBytesPerSecond).toBeUndefined();
    expect(ratesBetween(a, snap(30_000, { inOctets: 2_000n }, 3_000)).receiveBytesPerSecond).toBeUndefined();
    expect(ratesBetween(a, snap(30_000, { index: 7, inOctets: 2_000n }, 503_000)).receiveBytesPerSecond).toBeUndefined();
    expect(ratesBetween(a, snap(30_000, { hc: false, inOctets: 2_000n }, 503_000)).receiveBytesPerSecond).toBeUndefined();
    expect(ratesBetween(a, snap(30_000, { inOctets: 2_000n }, 503_000)).receiveBytesPerSecond).toBeCloseTo(33.33, 2);
  });

  it('errors counted between runs, with the 32-bit wrap', () => {
    const a = snap(0, { inErrors: 4294967290, outErrors: 7 });
    expect(ratesBetween(a, snap(30_000, { inErrors: 5, outErrors: 9 }))).toMatchObject({ receiveErrors: 11, transmitErrors: 2 });
  });
});

describe('series of one interface', () => {
  it('up, speed, rates and errors, each labelled with the interface and its line', () => {
    const r: IfReading = { index: 4, hc: true, operStatus: 7, speed: 1e8, inOctets: 0n, outOctets: 0n, inErrors: 0, outErrors: 0 };
    const labels = { interface: 'WAN1', line: 'inet1' };
    expect(interfaceObservations(r, { receiveBytesPerSecond: 8, receiveErrors: 2, transmitErrors: 0 }, labels)).toEqual([
      { metric: 'interface_up', value: 0, labels },
      { metric: 'speed_bytes_per_second', value: 1.25e7, labels },
      { metric: 'receive_bytes_per_second', value: 8, labels },
      { metric: 'errors_total', value: 2, labels: { ...labels, direction: 'receive' } },
      { metric: 'errors_total', value: 0, labels: { ...labels, direction: 'transmit' } },
    ]);
  });

  it('speeds in words', () => {
    expect([formatBits(1e9), formatBits(100e6), formatBits(2.5e9), formatBits(256_000), formatBits(300)]).toEqual([
      '1 Gb/s',
      '100 Mb/s',
      '2.5 Gb/s',
      '256 kb/s',
      '300 b/s',
    ]);
  });
});
