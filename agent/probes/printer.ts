import { z } from 'zod';
import { CUPS_PRINTER_METRICS, cupsPrinterOptions, cupsTargetProblem, runCupsPrinter } from './printer-cups.js';
import { IPP_PRINTER_METRICS, ippPrinterOptions, ippTargetProblem, runIppPrinter } from './printer-ipp.js';
import { SNMP_PRINTER_METRICS, runSnmpPrinter, snmpPrinterOptions } from './printer-snmp.js';
import { runSpoolerPrinter, spoolerPrinterOptions, spoolerTargetProblem } from './printer-spooler.js';
import { localQueueUnsupported } from '../platform/printer.js';
import { endpointProblem } from './target.js';
import { defineProbe, type ProbeResult } from './types.js';

/**
 * `protocol` picks how the printer is read: `ipp` (default; target `ipp://host[:631]/ipp/print`,
 * `ipps://…` or `http(s)://…`), `snmp` (target `host[:161]`, Printer-MIB), `cups` (target a local
 * queue name, or `queue@host[:631]`; read from cupsd over IPP; Linux) or `spooler` (target a
 * Windows printer name; read from the print spooler; Windows).
 */
const options = z.discriminatedUnion('protocol', [
  ippPrinterOptions,
  // safeExtend keeps the SNMP schema's strictness and its v3 cross-field checks.
  snmpPrinterOptions.safeExtend({ protocol: z.literal('snmp') }),
  cupsPrinterOptions,
  spoolerPrinterOptions,
]);

export const printerProbe = defineProbe({
  kind: 'printer',
  targetHelp:
    'ipp://host[:631]/path (or ipps://, http(s)://) for protocol ipp; host[:161] for protocol snmp; queue[@host[:631]] for protocol cups; the Windows printer name for protocol spooler',
  targetRequired: true,
  // As `run` picks the mode; with options that do not parse the mode is unknown (their problems are said).
  targetProblem(target, opts) {
    if (opts === undefined) return undefined;
    if (opts.protocol === 'snmp') return endpointProblem(target, opts.port);
    if (opts.protocol === 'cups') return cupsTargetProblem(target, opts.server);
    if (opts.protocol === 'spooler') return spoolerTargetProblem(target);
    return ippTargetProblem(target);
  },
  // Local queues are read through the platform's own queue manager: cupsd on Linux, the spooler on Windows.
  unsupportedOn(platform, opts) {
    return opts.protocol === 'cups' || opts.protocol === 'spooler' ? localQueueUnsupported(opts.protocol, platform) : undefined;
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
    if (opts.protocol === 'spooler') return runSpoolerPrinter(target, opts, ctx);
    return runIppPrinter(target, opts, ctx);
  },
});
