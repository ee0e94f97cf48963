import { describe, expect, it } from 'vitest';
import { decodeErrorState, printerVerdict, supplyName, supplyObservations, supplyRatio } from './printer-mib.js';

describe('decodeErrorState', () => {
  it('reads bits most significant first across octets', () => {
    expect(decodeErrorState(Buffer.from([0x80, 0x00]))).toEqual(['lowPaper']);
    expect(decodeErrorState(Buffer.from([0x40]))).toEqual(['noPaper']);
    expect(decodeErrorState(Buffer.from([0x24, 0x00]))).toEqual(['lowToner', 'jammed']);
    expect(decodeErrorState(Buffer.from([0x01, 0x80]))).toEqual(['serviceRequested', 'inputTrayMissing']);
    expect(decodeErrorState(Buffer.from([0x00, 0x02]))).toEqual(['overduePreventMaint']);
  });
  it('takes a short or empty value as no further bits', () => {
    expect(decodeErrorState(Buffer.alloc(0))).toEqual([]);
    expect(decodeErrorState(Buffer.from([0x02]))).toEqual(['offline']);
    expect(decodeErrorState(Buffer.from([0x00, 0x01, 0xff]))).toEqual([]);
  });
});

describe('printerVerdict', () => {
  const row = (bytes: number[], status = 3) => [{ index: '1', status, errorState: Buffer.from(bytes) }];
  it.each([
    [[0x40, 0], 'media_empty'],
    [[0x04, 0], 'media_jam'],
    [[0x10, 0], 'marker_empty'],
    [[0x08, 0], 'door_open'],
    [[0x02, 0], 'offline'],
    [[0x01, 0], 'service_requested'],
    // a jam that also reports offline is reported as the jam
    [[0x06, 0], 'media_jam'],
  ] as const)('%j is down with %s', (bytes, reason) => {
    expect(printerVerdict(row([...bytes]))).toMatchObject({ up: false, reason });
  });
  it.each([
    [[0x80, 0], 'media_low'],
    [[0x20, 0], 'marker_low'],
  ] as const)('%j is degraded with %s', (bytes, reason) => {
    expect(printerVerdict(row([...bytes], 4))).toMatchObject({ up: true, degraded: true, reason });
  });
  it('a down bit outranks a low one, in any row', () => {
    const rows = [...row([0x20, 0]), { index: '2', status: 3, errorState: Buffer.from([0x40, 0]) }];
    expect(printerVerdict(rows)).toMatchObject({ up: false, reason: 'media_empty' });
  });
  it('bits with no mapping leave it up, and say so', () => {
    expect(printerVerdict(row([0x00, 0x10]))).toEqual({ up: true, degraded: false, reason: 'ok', message: 'idle; outputNearFull' });
  });
  it('no error bits and idle is up', () => {
    expect(printerVerdict(row([0, 0]))).toEqual({ up: true, degraded: false, reason: 'ok', message: 'idle' });
  });
  it('no printer row is missing', () => {
    expect(printerVerdict([])).toMatchObject({ up: false, reason: 'missing' });
  });
});

describe('supplies', () => {
  it('names supplies with a bounded set of labels', () => {
    expect(supplyName('Black Toner Cartridge HP 26A', '1.1')).toBe('black');
    expect(supplyName('Cyan Cartridge', '1.2')).toBe('cyan');
    expect(supplyName('Black Drum Unit', '1.3')).toBe('drum');
    expect(supplyName('Waste Toner Box', '1.4')).toBe('waste');
    expect(supplyName('Toner', '1.5')).toBe('toner');
    expect(supplyName('XK-77 (serial 123)', '1.6')).toBe('supply_1_6');
    expect(supplyName(undefined, '2.1')).toBe('supply_2_1');
  });
  it('turns level and capacity into a ratio, none for special values', () => {
    expect(supplyRatio({ index: '1.1', level: 250, maxCapacity: 1000 })).toBe(0.25);
    expect(supplyRatio({ index: '1.1', level: 1200, maxCapacity: 1000 })).toBe(1);
    expect(supplyRatio({ index: '1.1', level: -3, maxCapacity: 1000 })).toBeUndefined();
    expect(supplyRatio({ index: '1.1', level: 10, maxCapacity: -2 })).toBeUndefined();
    expect(supplyRatio({ index: '1.1', level: 0, maxCapacity: 0 })).toBeUndefined();
    expect(supplyRatio({ index: '1.1', maxCapacity: 100 })).toBeUndefined();
  });
  it('keeps labels unique', () => {
    const obs = supplyObservations(
      [
        { index: '1.1', description: 'Black Toner', level: 50, maxCapacity: 100 },
        { index: '1.2', description: 'Black Toner (high yield)', level: 10, maxCapacity: 100 },
        { index: '1.3', description: 'Yellow', level: -3, maxCapacity: 100 },
      ],
      'supply_level',
    );
    expect(obs).toEqual([
      { metric: 'supply_level', value: 0.5, labels: { supply: 'black' } },
      { metric: 'supply_level', value: 0.1, labels: { supply: 'black_2' } },
    ]);
  });
});
