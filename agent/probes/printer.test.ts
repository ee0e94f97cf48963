import { describe, expect, it } from 'vitest';
import { TAG, type IppResponse, type IppValue } from './ipp-codec.js';
import { ippEndpoint, verdictFromAttributes } from './printer-ipp.js';
import { printerProbe } from './printer.js';

describe('printer options', () => {
  it('defaults to IPP and picks SNMP by protocol, each strict to its own keys', () => {
    expect(printerProbe.options.parse({})).toEqual({ protocol: 'ipp', insecure_skip_verify: false, require_accepting: true });
    expect(printerProbe.options.parse({ protocol: 'snmp' })).toMatchObject({ protocol: 'snmp', version: '2c', community: 'public' });
    expect(printerProbe.options.safeParse({ community: 'x' }).success).toBe(false);
    expect(printerProbe.options.safeParse({ protocol: 'snmp', insecure_skip_verify: true }).success).toBe(false);
    expect(printerProbe.options.safeParse({ protocol: 'lpd' }).success).toBe(false);
  });

  it('keeps the SNMP v3 cross-field checks', () => {
    expect(printerProbe.options.safeParse({ protocol: 'snmp', version: '3' }).success).toBe(false);
  });
});

describe('ippEndpoint', () => {
  it('maps ipp:// to HTTP on 631 and ipps:// to HTTPS, keeping the printer URI', () => {
    expect(ippEndpoint('ipp://p.local/ipp/print')).toMatchObject({ tls: false, printerUri: 'ipp://p.local/ipp/print' });
    expect(ippEndpoint('ipp://p.local/ipp/print')!.url.href).toBe('http://p.local:631/ipp/print');
    expect(ippEndpoint('ipps://10.0.0.5:8631/ipp/print')!.url.href).toBe('https://10.0.0.5:8631/ipp/print');
    expect(ippEndpoint('http://10.0.0.5:631/ipp/print')).toMatchObject({ tls: false, printerUri: 'ipp://10.0.0.5:631/ipp/print' });
    expect(ippEndpoint('ipp://[fd00::5]/ipp/print')!.url.href).toBe('http://[fd00::5]:631/ipp/print');
  });

  it('refuses what is not a printer URL, and credentials in the URL', () => {
    expect(ippEndpoint('10.0.0.5:631')).toBeUndefined();
    expect(ippEndpoint('ftp://p/x')).toBeUndefined();
    expect(ippEndpoint('ipp://user:secret@p/ipp/print')).toBeUndefined();
  });
});

function response(attrs: Record<string, IppValue[]>): IppResponse {
  return { version: '1.1', statusCode: 0, requestId: 1, groups: [{ tag: TAG.printer, attributes: new Map(Object.entries(attrs)) }] };
}

describe('verdictFromAttributes', () => {
  it('is down (offline) when the printer refuses jobs, unless told not to care', () => {
    const res = response({ 'printer-state': [3], 'printer-state-reasons': ['none'], 'printer-is-accepting-jobs': [false] });
    expect(verdictFromAttributes(res, { require_accepting: true })).toMatchObject({ up: false, reason: 'offline' });
    expect(verdictFromAttributes(res, { require_accepting: false })).toMatchObject({ up: true, reason: 'ok' });
  });

  it('is down with the cause of a stopped printer, and still reports its supplies', () => {
    const res = response({ 'printer-state': [5], 'printer-state-reasons': ['media-jam-error'], 'marker-names': ['Black'], 'marker-levels': [3] });
    const r = verdictFromAttributes(res, { require_accepting: true });
    expect(r).toMatchObject({ up: false, reason: 'media_jam' });
    expect(r.observations).toEqual([
      { metric: 'supply_level', value: 0.03, labels: { supply: 'black' } },
      { metric: 'low_supply_ratio', value: 0.03 },
    ]);
  });
});
