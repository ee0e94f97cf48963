import { describe, expect, it } from 'vitest';
import { assessUps, errCode, errReason, listVarRequest, parseListVarLine, quoteArg, statusFlags } from './nut-protocol.js';

const vars = (o: Record<string, string>) => new Map(Object.entries(o));

describe('nut protocol', () => {
  it('builds requests and quotes arguments', () => {
    expect(listVarRequest('ups')).toBe('LIST VAR ups\n');
    expect(quoteArg('pa"ss\\w')).toBe('"pa\\"ss\\\\w"');
  });

  it('parses LIST VAR reply lines', () => {
    expect(parseListVarLine('BEGIN LIST VAR ups', 'ups')).toEqual({ kind: 'begin' });
    expect(parseListVarLine('VAR ups ups.status "OB LB"', 'ups')).toEqual({ kind: 'var', name: 'ups.status', value: 'OB LB' });
    expect(parseListVarLine('VAR ups device.model "Smart \\"1500\\""', 'ups')).toEqual({ kind: 'var', name: 'device.model', value: 'Smart "1500"' });
    expect(parseListVarLine('END LIST VAR ups', 'ups')).toEqual({ kind: 'end' });
    expect(parseListVarLine('ERR DATA-STALE', 'ups')).toEqual({ kind: 'err', code: 'DATA-STALE' });
    expect(parseListVarLine('VAR other ups.status "OL"', 'ups')).toEqual({ kind: 'bad' });
    expect(parseListVarLine('VAR ups ups.status OL', 'ups')).toEqual({ kind: 'bad' });
  });

  it('maps ERR codes to reasons', () => {
    expect(errCode('ERR ACCESS-DENIED')).toBe('ACCESS-DENIED');
    expect(errCode('OK')).toBeUndefined();
    expect(errReason('UNKNOWN-UPS')).toBe('missing');
    expect(errReason('ACCESS-DENIED')).toBe('auth');
    expect(errReason('INVALID-PASSWORD')).toBe('auth');
    expect(errReason('DATA-STALE')).toBe('offline');
    expect(errReason('DRIVER-NOT-CONNECTED')).toBe('offline');
    expect(errReason('UNKNOWN-COMMAND')).toBe('protocol');
  });

  it('splits status flags', () => {
    expect([...statusFlags(' ol  chrg ')]).toEqual(['OL', 'CHRG']);
    expect(statusFlags(undefined).size).toBe(0);
  });

  it.each([
    [{ 'ups.status': 'OL CHRG' }, true, false, 'ok'],
    [{ 'ups.status': 'OL', 'battery.runtime': '100' }, true, false, 'ok'], // mains on: short runtime blocks nothing yet
    [{ 'ups.status': 'OL RB' }, true, true, 'service_requested'],
    [{ 'ups.status': 'OL OVER' }, true, true, 'service_requested'],
    [{ 'ups.status': 'OB DISCHRG', 'battery.runtime': '900' }, true, true, 'on_battery'],
    [{ 'ups.status': 'OB', 'battery.runtime': '299' }, false, false, 'low_battery'],
    [{ 'ups.status': 'OB LB' }, false, false, 'low_battery'],
    [{ 'ups.status': 'OL LB' }, false, false, 'low_battery'],
    [{ 'ups.status': 'OB LB FSD' }, false, false, 'offline'],
    [{ 'ups.status': 'OFF' }, false, false, 'offline'],
    [{ 'ups.status': 'WAIT' }, false, false, 'offline'],
    [{}, false, false, 'protocol'],
  ] as const)('%o → up %s degraded %s %s', (v, up, degraded, reason) => {
    const a = assessUps(vars(v), 300);
    expect({ up: a.up, degraded: a.degraded, reason: a.reason }).toEqual({ up, degraded, reason });
  });

  it('reports ratios, runtime and on-battery; message has known flags only', () => {
    const a = assessUps(vars({ 'ups.status': 'OB DISCHRG <script>', 'battery.charge': '55', 'battery.runtime': '1234', 'ups.load': '42.5' }), 300);
    expect(a.observations).toEqual([
      { metric: 'upsOnBattery', value: 1 },
      { metric: 'upsBatteryChargeRatio', value: 0.55 },
      { metric: 'upsRuntimeSeconds', value: 1234 },
      { metric: 'upsLoadRatio', value: 0.425 },
    ]);
    expect(a.message).toBe('status OB DISCHRG, charge 55%, runtime 1234s');
    expect(assessUps(vars({ 'ups.status': 'OL', 'battery.charge': 'n/a' }), 300).observations).toEqual([{ metric: 'upsOnBattery', value: 0 }]);
  });
});
