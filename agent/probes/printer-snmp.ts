import { performance } from 'node:perf_hooks';
import type NetSnmp from 'net-snmp';
import { METRIC } from '../../common/metrics.js';
import { runSnmp, snmpOptions, splitOid, type SnmpOptions, type Varbind } from './snmp-session.js';
import { failure, type MetricSpec, type ProbeContext, type ProbeResult } from './types.js';
import { HR_PRINTER_ENTRY, PRT_MARKER_SUPPLIES_ENTRY, printerVerdict, supplyObservations, type PrinterRow, type SupplyRow } from './printer-mib.js';

/** Options of the `printer` probe's SNMP (Printer-MIB) mode: the SNMP options every SNMP check takes. */
export const snmpPrinterOptions = snmpOptions;
export type SnmpPrinterOptions = SnmpOptions;

/** Metrics the SNMP mode reports. */
export const SNMP_PRINTER_METRICS: Record<string, MetricSpec> = {
  supply_level: {
    name: METRIC.printerSupplyLevelRatio,
    help: 'Remaining share of a printer supply (toner, drum, …) as the printer reports it, 0..1.',
    type: 'gauge',
    labels: ['supply'],
    threshold: true,
  },
};

/**
 * Reads the printer's hrPrinterTable and prtMarkerSuppliesTable and decodes them. Never throws.
 * `load`: the agent loads net-snmp lazily, tests pass a slow loader.
 */
export async function runSnmpPrinter(target: string, opts: SnmpPrinterOptions, ctx: ProbeContext, load?: () => Promise<typeof NetSnmp>): Promise<ProbeResult> {
  return runSnmp(
    target,
    opts,
    ctx,
    async (reader) => {
      const start = performance.now();
      const printer = await reader.walk(HR_PRINTER_ENTRY);
      const phases = { request: (performance.now() - start) / 1000 };
      const verdict = printerVerdict(printerRows(printer));
      const supplies = await reader.walk(PRT_MARKER_SUPPLIES_ENTRY);
      const observations = supplyObservations(supplyRows(supplies), 'supply_level');
      phases.request = (performance.now() - start) / 1000;
      const extra = { message: verdict.message, phases, observations };
      if (!verdict.up) return failure(verdict.reason, verdict.message, { phases, observations });
      return { up: true, reason: verdict.reason, ...(verdict.degraded ? { degraded: true } : {}), ...extra };
    },
    load,
  );
}

function printerRows(varbinds: Varbind[]): PrinterRow[] {
  const rows = new Map<string, PrinterRow>();
  for (const vb of varbinds) {
    const [column, index] = splitOid(vb.oid, HR_PRINTER_ENTRY);
    if (!index) continue;
    const row = rows.get(index) ?? { index };
    rows.set(index, row);
    if (column === '1' && typeof vb.value === 'number') row.status = vb.value;
    if (column === '2' && Buffer.isBuffer(vb.value)) row.errorState = vb.value;
  }
  return [...rows.values()];
}

function supplyRows(varbinds: Varbind[]): SupplyRow[] {
  const rows = new Map<string, SupplyRow>();
  for (const vb of varbinds) {
    const [column, index] = splitOid(vb.oid, PRT_MARKER_SUPPLIES_ENTRY);
    if (!index) continue;
    const row = rows.get(index) ?? { index };
    rows.set(index, row);
    if (column === '6' && Buffer.isBuffer(vb.value)) row.description = vb.value.toString('utf8');
    if (column === '8' && typeof vb.value === 'number') row.maxCapacity = vb.value;
    if (column === '9' && typeof vb.value === 'number') row.level = vb.value;
  }
  return [...rows.values()];
}
