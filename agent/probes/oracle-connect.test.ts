import { describe, expect, it } from 'vitest';
import { easyConnect, RowCounter, SERVICE_NAME, timeoutSeconds } from './oracle-connect.js';

describe('easyConnect', () => {
  it('writes host:port/service, tcps:// for TLS and brackets for IPv6', () => {
    expect(easyConnect('db.local', 1521, 'XEPDB1', false)).toBe('db.local:1521/XEPDB1');
    expect(easyConnect('10.0.0.5', 2484, 'MOTCUA', true)).toBe('tcps://10.0.0.5:2484/MOTCUA');
    expect(easyConnect('::1', 1521, 'XEPDB1', false)).toBe('[::1]:1521/XEPDB1');
  });

  it('takes only service names that cannot change the connect string', () => {
    expect(SERVICE_NAME.test('motcua.hcc.gov.vn')).toBe(true);
    expect(SERVICE_NAME.test('SVC$1#A-b_c')).toBe(true);
    expect(SERVICE_NAME.test('a)(HOST=x')).toBe(false);
    expect(SERVICE_NAME.test('a?ssl_server_dn_match=off')).toBe(false);
    expect(SERVICE_NAME.test('')).toBe(false);
  });
});

describe('timeoutSeconds', () => {
  it('rounds the deadline up to whole seconds, at least one', () => {
    expect(timeoutSeconds(200)).toBe(1);
    expect(timeoutSeconds(1000)).toBe(1);
    expect(timeoutSeconds(1001)).toBe(2);
    expect(timeoutSeconds(0)).toBe(1);
  });
});

describe('RowCounter', () => {
  it('counts rows over batches and keeps the first column of the first row', () => {
    const c = new RowCounter();
    c.add([]);
    c.add([
      [7, 'a'],
      [8, 'b'],
    ]);
    c.add([[9, 'c']]);
    expect(c).toMatchObject({ rowCount: 3, firstValue: 7 });
  });
});
