import { z } from 'zod';
import { IPP_PRINTER_METRICS, ippPrinterOptions, runIppPrinter } from './printer-ipp.js';
import { SNMP_PRINTER_METRICS, runSnmpPrinter, snmpPrinterOptions } from './printer-snmp.js';
import { defineProbe, type ProbeResult } from './types.js';

/**
 * `protocol` picks how the printer is read: `ipp` (default; target `ipp://host[:631]/ipp/print`,
 * `ipps://…` or `http(s)://…`) or `snmp` (target `host[:161]`, Printer-MIB).
 */
const options = z.discriminatedUnion('protocol', [
  ippPrinterOptions,
  // safeExtend keeps the SNMP schema's strictness and its v3 cross-field checks.
  snmpPrinterOptions.safeExtend({ protocol: z.literal('snmp') }),
]);

export const printerProbe = defineProbe({
  kind: 'printer',
  targetHelp: 'ipp://host[:631]/path (or ipps://, http(s)://) for protocol ipp; host[:161] for protocol snmp',
  targetRequired: true,
  options,
  metrics: { ...SNMP_PRINTER_METRICS, ...IPP_PRINTER_METRICS },
  async run(target, opts, ctx): Promise<ProbeResult> {
    if (opts.protocol === 'snmp') {
      const { protocol: _protocol, ...snmp } = opts;
      return runSnmpPrinter(target, snmp, ctx);
    }
    return runIppPrinter(target, opts, ctx);
  },
});
