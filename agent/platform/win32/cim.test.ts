import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { failureReason, IMAGE_DEVICES_QUERY, parsePnpEntities, USB_QUERY, usbDevicesFromPnp } from './cim.js';
import { matchWiaDevices, wiaVerdict } from '../../probes/scanner-wia.js';

// Written from Microsoft's documentation of Win32_PnPEntity (see test/fixtures/windows/cim/README.md).
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../test/fixtures/windows/cim/${name}`, import.meta.url), 'utf8'));
const usbEntities = parsePnpEntities(fixture('usb-devices-vi.json'))!;
const imaging = parsePnpEntities(fixture('scanner-devices-vi.json'))!;

describe('the CIM device queries', () => {
  it('are fixed ASCII text selecting only the fields used, the WQL backslash escaped', () => {
    for (const q of [USB_QUERY, IMAGE_DEVICES_QUERY]) {
      expect(q).toMatch(/^[\x20-\x7e]+$/);
      expect(q).toContain('Select-Object PNPDeviceID,Name,Manufacturer,PNPClass,ConfigManagerErrorCode,Present,Status');
    }
    expect(USB_QUERY).toContain(`-Filter "PNPDeviceID LIKE 'USB\\\\%'"`);
    expect(IMAGE_DEVICES_QUERY).toContain(`-Filter "PNPClass = 'Image'"`);
  });
});

describe('parsePnpEntities', () => {
  it('reads ids, codes and the Vietnamese names (PowerShell 5.1 escapes apostrophes and ampersands as \\u00xx)', () => {
    expect(usbEntities).toHaveLength(10);
    expect(usbEntities[5]).toEqual({
      id: 'USB\\VID_072F&PID_90CC\\5&1A2B3C4D&0&4',
      name: "Bộ đọc thẻ 'CCCD' gắn chip (ACR38)",
      manufacturer: 'Advanced Card Systems Ltd.',
      vendorId: '072f',
      productId: '90cc',
      isInterface: false,
      problem: 0,
      present: true,
    });
    expect(usbEntities[4]).toMatchObject({ isInterface: true, name: 'Thiết bị đầu vào USB' });
    expect(usbEntities[7]).toMatchObject({ name: 'Máy quét mã QR', problem: 28 });
    expect(usbEntities[7]).not.toHaveProperty('manufacturer');
  });

  it('refuses another shape and skips entries without an id', () => {
    expect(parsePnpEntities({ printers: [] })).toBeUndefined();
    expect(parsePnpEntities({ devices: [{ Name: 'x' }, null] })).toEqual([]);
  });
});

describe('usbDevicesFromPnp', () => {
  it('keeps one entry per present USB device, with its problem code, not interfaces, hubs without ids or HID children', () => {
    const d = usbDevicesFromPnp(usbEntities);
    expect(d.map((x) => `${x.vendorId}:${x.productId}`)).toEqual(['04a9:1913', '04a9:2676', '096e:0807', '072f:90cc', '072f:90cc', '0c2e:0b61']);
    expect(d[0]).toEqual({ vendorId: '04a9', productId: '1913', manufacturer: 'Canon', product: 'CanoScan LiDE 300' });
    expect(d[5]).toEqual({ vendorId: '0c2e', productId: '0b61', product: 'Máy quét mã QR', problem: 28 });
  });
});

describe('failureReason', () => {
  it('maps each session failure to a reason', () => {
    expect(failureReason({ ok: false, failure: 'timeout', detail: 'd' }).reason).toBe('timeout');
    expect(failureReason({ ok: false, failure: 'spawn', detail: 'ENOENT' })).toEqual({
      reason: 'missing_binary',
      message: 'cannot start powershell.exe (ENOENT)',
    });
    expect(failureReason({ ok: false, failure: 'error', detail: 'd' }).reason).toBe('query_failed');
    expect(failureReason({ ok: false, failure: 'too_large', detail: 'd' }).reason).toBe('protocol');
    expect(failureReason({ ok: false, failure: 'died', detail: 'd' }).reason).toBe('internal_error');
  });
});

describe('WIA devices', () => {
  it('match by name, PnP id or vid:pid, exactly or as a whole regular expression, case-insensitively', () => {
    expect(matchWiaDevices(imaging, 'canoscan lide 300').map((d) => d.name)).toEqual(['CanoScan LiDE 300']);
    expect(matchWiaDevices(imaging, '04a9:1913')).toHaveLength(1);
    expect(matchWiaDevices(imaging, 'USB\\\\VID_04B8.*')).toHaveLength(1);
    expect(matchWiaDevices(imaging, 'canoscan')).toHaveLength(0);
    expect(matchWiaDevices(imaging, 'camera tích hợp'.normalize('NFD'))).toHaveLength(1);
    expect(matchWiaDevices(imaging, '(')).toHaveLength(0);
  });

  it('are up when present with no problem, offline with one, missing when none matches', () => {
    expect(wiaVerdict(imaging, 'CanoScan.*')).toMatchObject({ up: true, message: 'CanoScan LiDE 300' });
    expect(wiaVerdict(imaging, 'EPSON.*')).toMatchObject({ up: false, reason: 'offline', message: 'EPSON Perfection V39: problem 10 (cannot start)' });
    expect(wiaVerdict(imaging, 'Fujitsu.*')).toMatchObject({ up: false, reason: 'missing', message: 'no imaging device matches (3 listed)' });
  });
});
