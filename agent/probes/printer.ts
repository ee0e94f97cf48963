import { z } from 'zod';
import { CUPS_PRINTER_METRICS, cupsPrinterOptions, cupsTargetProblem, runCupsPrinter } from './printer-cups.js';
import { IPP_PRINTER_METRICS, ippPrinterOptions, ippTargetProblem, runIppPrinter } from './printer-ipp.js';
import { SNMP_PRINTER_METRICS, runSnmpPrinter, snmpPrinterOptions } from './printer-snmp.js';
import { endpointProblem } from './target.js';
import { defineProbe, type ProbeResult } from './types.js';

/**
 * `protocol` picks how the printer is read: `ipp` (default; target `ipp://host[:631]/ipp/print`,
 * `ipps://…` or `http(s)://…`), `snmp` (target `host[:161]`, Printer-MIB) or `cups` (target a local
 * queue name, or `queue@host[:631]`; read from cupsd over IPP).
 */
const options = z.discriminatedUnion('protocol', [
  ippPrinterOptions,
  // safeExtend keeps the SNMP schema's strictness and its v3 cross-field checks.
  snmpPrinterOptions.safeExtend({ protocol: z.literal('snmp') }),
  cupsPrinterOptions,
]);

export const printerProbe = defineProbe({
  kind: 'printer',
  targetHelp: 'ipp://host[:631]/path (or ipps://, http(s)://) for protocol ipp; host[:161] for protocol snmp; queue[@host[:631]] for protocol cups',
  targetRequired: true,
  // As `run` picks the mode; with options that do not parse the mode is unknown (their problems are said).
  targetProblem(target, opts) {
    if (opts === undefined) return undefined;
    if (opts.protocol === 'snmp') return endpointProblem(target, opts.port);
    if (opts.protocol === 'cups') return cupsTargetProblem(target, opts.server);
    return ippTargetProblem(target);
  },
  options,
  // The cups mode speaks IPP to cupsd: the ipp mode's metrics, plus its queue's own.
  metrics: { ...SNMP_PRINTER_METRICS, ...IPP_PRINTER_METRICS, ...CUPS_PRINTER_METRICS },
  async run(target, opts, ctx): Promise<ProbeResult> {
    if (opts.protocol === 'snmp') {
      const { protocol: _protocol, ...snmp } = opts;
      return runSnmpPrinter(target, snmp, ctx);
    }
    if (opts.protocol === 'cups') return runCupsPrinter(target, opts, ctx);
    return runIppPrinter(target, opts, ctx);
  },
});
