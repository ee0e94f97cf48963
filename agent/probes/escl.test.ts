import { describe, expect, it } from 'vitest';
import { esclVerdict, parseScannerStatus } from './escl.js';

const status = (state: string, adf?: string, jobs = ''): string =>
  `<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerStatus xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
  <pwg:Version>2.63</pwg:Version>
  <pwg:State>${state}</pwg:State>
  ${adf ? `<scan:AdfState>${adf}</scan:AdfState>` : ''}
  <scan:Jobs>${jobs}</scan:Jobs>
</scan:ScannerStatus>`;

const job = `<scan:JobInfo><pwg:JobUri>/eSCL/ScanJobs/1</pwg:JobUri><pwg:JobState>Completed</pwg:JobState>
  <pwg:JobStateReasons><pwg:JobStateReason>JobCompletedSuccessfully</pwg:JobStateReason></pwg:JobStateReasons></scan:JobInfo>`;

describe('parseScannerStatus', () => {
  it('reads the state and ADF state', () => {
    expect(parseScannerStatus(status('Idle', 'ScannerAdfEmpty'))).toEqual({ state: 'idle', adfState: 'ScannerAdfEmpty' });
    expect(parseScannerStatus(status('Processing', undefined, job))).toEqual({ state: 'processing' });
  });

  it('is not fooled by job states', () => {
    expect(parseScannerStatus(status('Stopped', 'ScannerAdfJam', job))).toEqual({ state: 'stopped', adfState: 'ScannerAdfJam' });
  });

  it('accepts other prefixes and a default namespace', () => {
    const xml = `<ScannerStatus xmlns="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:p="http://www.pwg.org/schemas/2010/12/sm"><p:Version>2.0</p:Version><p:State>Testing</p:State></ScannerStatus>`;
    expect(parseScannerStatus(xml)).toEqual({ state: 'testing' });
  });

  it('rejects other documents and unknown states', () => {
    expect(parseScannerStatus('<html><body>login</body></html>')).toBeUndefined();
    expect(parseScannerStatus(status('Sleeping'))).toBeUndefined();
    expect(parseScannerStatus('<scan:ScannerStatus></scan:ScannerStatus>')).toBeUndefined();
  });
});

describe('esclVerdict', () => {
  it.each([
    [{ state: 'idle' as const }, { up: true, reason: 'ok' }],
    [
      { state: 'processing' as const, adfState: 'ScannerAdfEmpty' },
      { up: true, reason: 'ok' },
    ],
    [{ state: 'stopped' as const }, { up: false, reason: 'offline' }],
    [{ state: 'testing' as const }, { up: false, reason: 'offline' }],
    [
      { state: 'stopped' as const, adfState: 'ScannerAdfJam' },
      { up: false, reason: 'media_jam' },
    ],
    [
      { state: 'stopped' as const, adfState: 'ScannerAdfHatchOpen' },
      { up: false, reason: 'door_open' },
    ],
    [
      { state: 'idle' as const, adfState: 'ScannerAdfJam' },
      { up: true, reason: 'media_jam', degraded: true },
    ],
  ])('%j → %j', (s, v) => {
    expect(esclVerdict(s)).toEqual(v);
  });
});
