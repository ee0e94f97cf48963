import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createUsbProbe, readSysfsUsb, usbProbe } from '../../agent/probes/usb.js';
import { makeCtx } from '../helpers/ctx.js';

const SYSFS_FIXTURE = fileURLToPath(new URL('../fixtures/usb/sysfs', import.meta.url));
const fixtureProbe = createUsbProbe(() => readSysfsUsb(SYSFS_FIXTURE));
const opts = (o: Record<string, unknown>) => usbProbe.options.parse(o);

describe('usb options', () => {
  it('needs vendor_id or name, and product_id only with vendor_id', () => {
    expect(usbProbe.options.safeParse({}).success).toBe(false);
    expect(usbProbe.options.safeParse({ product_id: '1905' }).success).toBe(false);
    expect(usbProbe.options.safeParse({ vendor_id: '4a9' }).success).toBe(false);
    expect(usbProbe.options.safeParse({ name: '(' }).success).toBe(false);
    expect(opts({ vendor_id: '04a9' })).toEqual({ vendor_id: '04a9', min_count: 1 });
  });
});

describe('usb probe over a captured sysfs tree', () => {
  it('reads devices and skips entries without ids', async () => {
    const devices = readSysfsUsb(SYSFS_FIXTURE);
    expect(devices).toHaveLength(7);
    expect(devices).toContainEqual({ vendorId: '04a9', productId: '1905', manufacturer: 'Canon', product: 'CanoScan' });
  });

  it('is up when the Canon scanner is present', async () => {
    const r = await fixtureProbe.run('scanner', opts({ vendor_id: '04a9', product_id: '1905' }), makeCtx());
    expect(r).toMatchObject({ up: true, reason: 'ok', observations: [{ metric: 'devices', value: 1 }] });
    expect(r.message).toContain('04a9:1905 Canon CanoScan');
  });

  it('counts two ACR38 readers against min_count', async () => {
    const two = await fixtureProbe.run('', opts({ vendor_id: '072f', product_id: '90cc', min_count: 2 }), makeCtx());
    expect(two).toMatchObject({ up: true, observations: [{ metric: 'devices', value: 2 }] });
    const three = await fixtureProbe.run('', opts({ vendor_id: '072f', min_count: 3 }), makeCtx());
    expect(three).toMatchObject({ up: false, reason: 'missing', observations: [{ metric: 'devices', value: 2 }] });
  });

  it('matches the signing token by name, case-insensitively', async () => {
    const r = await fixtureProbe.run('', opts({ name: 'EPASS2003' }), makeCtx());
    expect(r).toMatchObject({ up: true, observations: [{ metric: 'devices', value: 1 }] });
  });

  it('is missing when the device is not plugged in', async () => {
    const r = await fixtureProbe.run('', opts({ vendor_id: '0529', product_id: '0620' }), makeCtx());
    expect(r).toMatchObject({ up: false, reason: 'missing', observations: [{ metric: 'devices', value: 0 }] });
  });

  it('fails without throwing when the source does', async () => {
    const broken = createUsbProbe(() => Promise.reject(Object.assign(new Error('x'), { code: 'EIO' })));
    expect(await broken.run('', opts({ vendor_id: '04a9' }), makeCtx())).toMatchObject({ up: false, reason: 'internal_error' });
  });
});

describe('usb probe on this machine', () => {
  it('reports the Canon scanner missing (no such device here; /sys/bus/usb may be absent)', async () => {
    const started = performance.now();
    const r = await usbProbe.run('', opts({ vendor_id: '04a9', product_id: '1905' }), makeCtx({ timeoutMs: 2000 }));
    expect(r).toMatchObject({ up: false, reason: 'missing', observations: [{ metric: 'devices', value: 0 }] });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
