import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceFromSysfs, displayName, matchDevices, parseLsusb } from './usb-match.js';

const lsusb = readFileSync(new URL('../../test/fixtures/usb/lsusb.txt', import.meta.url), 'utf8');

describe('parseLsusb', () => {
  it('reads every device line of a captured listing', () => {
    const devices = parseLsusb(lsusb);
    expect(devices).toHaveLength(8);
    expect(devices).toContainEqual({ vendorId: '04a9', productId: '1905', product: 'Canon, Inc. CanoScan LiDE 200' });
    expect(devices.filter((d) => d.vendorId === '072f' && d.productId === '90cc')).toHaveLength(2);
  });

  it('ignores lines that are not device lines', () => {
    expect(parseLsusb('lsusb: cannot open /dev/bus/usb\n\nBus 001 Device 001: ID 1d6b:0002\n')).toEqual([{ vendorId: '1d6b', productId: '0002' }]);
  });
});

describe('deviceFromSysfs', () => {
  it('normalises ids and trims strings', () => {
    expect(deviceFromSysfs({ idVendor: '04A9\n', idProduct: '1905\n', manufacturer: 'Canon\n', product: 'CanoScan\n' })).toEqual({
      vendorId: '04a9',
      productId: '1905',
      manufacturer: 'Canon',
      product: 'CanoScan',
    });
  });

  it('rejects entries without ids (interfaces, hub ports) and malformed ids', () => {
    expect(deviceFromSysfs({ bInterfaceClass: '07\n' })).toBeUndefined();
    expect(deviceFromSysfs({ idVendor: '4a9', idProduct: '1905' })).toBeUndefined();
  });
});

describe('matchDevices on the captured listing', () => {
  const devices = parseLsusb(lsusb);

  it('matches vendor and product, in either case', () => {
    expect(matchDevices(devices, { vendorId: '04A9', productId: '1905' }).map(displayName)).toEqual(['Canon, Inc. CanoScan LiDE 200']);
  });

  it('counts every device of a vendor', () => {
    expect(matchDevices(devices, { vendorId: '072f' })).toHaveLength(2);
  });

  it('matches a name pattern against the device names', () => {
    expect(matchDevices(devices, { name: /smartcard reader/i })).toHaveLength(4);
    expect(matchDevices(devices, { name: /epass/i }).map((d) => d.vendorId)).toEqual(['096e']);
  });

  it('requires every given criterion', () => {
    expect(matchDevices(devices, { vendorId: '04a9', productId: '190a' })).toEqual([]);
    expect(matchDevices(devices, { vendorId: '04e6', name: /canon/i })).toEqual([]);
  });
});
