import { z } from 'zod';
import { defineProbe, failure, success, type ProbeDefinition, type ProbeResult } from './types.js';
import { withDeadline } from './deadline.js';
import { describeError } from './errors.js';
import { displayName, matchDevices, type UsbDevice } from './usb-match.js';
import { listUsbDevices, type UsbSource } from '../platform/usb.js';
import { describeProblem } from '../platform/win32/cim.js';
import { METRIC } from '../../common/metrics.js';

// The device list is the platform's (agent/platform/usb.ts: sysfs on Linux, CIM on Windows).
export { readSysfsUsb, SYSFS_USB } from '../platform/usb.js';

function isRegExp(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

const hex4 = z.string().regex(/^[0-9a-fA-F]{4}$/, 'must be 4 hex digits, e.g. 04a9');

const options = z
  .object({
    /** USB vendor id, 4 hex digits (e.g. `04a9` Canon). */
    vendor_id: hex4.optional(),
    /** USB product id, 4 hex digits (e.g. `1905`); only with `vendor_id`. */
    product_id: hex4.optional(),
    /** Regular expression matched case-insensitively against "manufacturer product" as the device reports them. */
    name: z.string().refine(isRegExp, 'is not a valid regular expression').optional(),
    /** How many matching devices must be present. Default 1. */
    min_count: z.number().int().min(1).default(1),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.vendor_id === undefined && o.name === undefined) {
      ctx.addIssue({ code: 'custom', message: 'needs vendor_id or name', path: ['vendor_id'] });
    }
    if (o.product_id !== undefined && o.vendor_id === undefined) {
      ctx.addIssue({ code: 'custom', message: 'product_id needs vendor_id', path: ['product_id'] });
    }
  });

export type UsbOptions = z.output<typeof options>;

/** Builds the probe over a device source; tests pass fixtures, the agent its platform's list. */
export function createUsbProbe(source: UsbSource): ProbeDefinition<UsbOptions> {
  return defineProbe({
    kind: 'usb',
    targetHelp: 'a label for the device (e.g. "scanner counter 3"); the match is in options',
    targetRequired: false,
    // A free label: the match is in options.
    targetProblem: () => undefined,
    options,
    metrics: {
      devices: { name: METRIC.usbDevices, help: 'USB devices present that match the check', type: 'gauge', threshold: true },
    },
    run: (_target, opts, ctx) =>
      withDeadline(ctx.signal, async (deadline): Promise<ProbeResult> => {
        let devices: UsbDevice[];
        try {
          const listed = await deadline.race(Promise.resolve(ctx).then(source));
          if (!Array.isArray(listed) && !listed.ok) return failure(listed.reason, `cannot list USB devices: ${listed.message}`);
          devices = Array.isArray(listed) ? listed : listed.value;
        } catch (err) {
          if (ctx.signal.aborted) throw err; // the deadline: a timeout, said by withDeadline
          return failure('internal_error', `cannot list USB devices (${describeError(err)})`);
        }
        const matching = matchDevices(devices, {
          vendorId: opts.vendor_id,
          productId: opts.product_id,
          name: opts.name === undefined ? undefined : new RegExp(opts.name, 'i'),
        });
        // A device Windows lists with a problem code (no driver, disabled) is plugged in but unusable.
        const found = matching.filter((d) => d.problem === undefined);
        const broken = matching.filter((d) => d.problem !== undefined);
        const observations = [{ metric: 'devices', value: found.length }];
        if (found.length < opts.min_count) {
          const why = broken.map((d) => `${d.vendorId}:${d.productId} ${describeProblem(d.problem!)}`).join('; ');
          return failure('missing', `${found.length} of ${opts.min_count} matching USB devices present${why ? `; ${why}` : ''}`, { observations });
        }
        // Device names come from the device itself: short, but cap them for the message.
        const names = found.map((d) => `${d.vendorId}:${d.productId} ${displayName(d)}`.trim().slice(0, 80));
        return success({ message: names.join('; '), observations });
      }),
  });
}

export const usbProbe = createUsbProbe(listUsbDevices);
