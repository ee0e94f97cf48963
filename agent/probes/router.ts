import { performance } from 'node:perf_hooks';
import type NetSnmp from 'net-snmp';
import { z } from 'zod';
import { METRIC } from '../../common/metrics.js';
import { identifier } from '../../common/zod-helpers.js';
import { runSnmp, snmpOptions, type SnmpReader } from './snmp-session.js';
import { endpointProblem } from './target.js';
import { defineProbe, failure, success, type Observation, type ProbeContext, type ProbeResult, type Session } from './types.js';
import {
  IF_ALIAS,
  IF_DESCR,
  IF_NAME,
  SYS_UPTIME,
  findInterface,
  interfaceObservations,
  interfaceOids,
  interfaceRows,
  ratesBetween,
  readInterface,
  snmpBigInt,
  statusName,
  type IfRow,
  type Snapshot,
} from './router-ifmib.js';

const iface = z
  .object({
    /**
     * The interface as the device shows it: its ifName (`pppoe-out1`, `Gi0/1`), ifDescr (`WAN1`) or
     * ifAlias, looked up in that order, exact first, then ignoring case. Also the `interface` label.
     */
    name: z.string().min(1).max(64),
    /** Its ifIndex, read instead of looking the name up (for a device that gives two interfaces the same name). */
    index: z.number().int().min(1).optional(),
    /** The line (a name from `lines`) this interface carries: the `line` label of its series, and named when it is down. */
    line: identifier.optional(),
  })
  .strict();

/** SNMP options (as the printer's SNMP mode takes them) and the interfaces to watch. */
const options = snmpOptions
  .safeExtend({
    /** The interfaces to watch (at least one): the check is down while any of them is not operationally up. */
    interfaces: z.array(iface).min(1, 'must list at least one interface'),
  })
  .superRefine((o, ctx) => {
    const first = new Map<string, number>();
    o.interfaces.forEach((i, k) => {
      const at = first.get(i.name);
      if (at !== undefined)
        ctx.addIssue({ code: 'custom', path: ['interfaces', k, 'name'], message: `duplicate interface "${i.name}" (first at interfaces[${at}])` });
      else first.set(i.name, k);
    });
  });
type RouterOptions = z.output<typeof options>;

/** The labels of every per-interface series. `line` replaces the check's own: the series is about that line. */
const IFACE_LABELS = ['interface', 'line'] as const;

/** The previous reading of each interface, kept across runs for rates. */
class CounterMemory implements Session {
  readonly last = new Map<string, Snapshot>();
  close(): void {
    this.last.clear();
  }
}

/**
 * Reads IF-MIB from a router, switch or access point over SNMP (v2c, v3): per interface listed,
 * operational status, speed, receive/transmit bytes per second since the previous run, and errors.
 * Down (`link_down`) while a listed interface is not up, naming it and its line.
 * `load`: the agent loads net-snmp lazily, tests pass a slow loader.
 */
export function createRouterProbe(load?: () => Promise<typeof NetSnmp>) {
  return defineProbe({
    kind: 'router',
    targetHelp: 'host[:161] of the router, switch or access point (SNMP)',
    targetRequired: true,
    targetProblem: (target, opts) => endpointProblem(target, opts?.port ?? 161),
    options,
    lineRefs: (opts) => {
      const list = (opts as { interfaces?: unknown } | undefined)?.interfaces;
      return (Array.isArray(list) ? (list as Array<{ line?: unknown } | null>) : []).flatMap((i, k) =>
        typeof i?.line === 'string' ? [{ path: ['interfaces', k, 'line'], line: i.line }] : [],
      );
    },
    metrics: {
      interface_up: {
        name: METRIC.routerInterfaceUp,
        help: 'Whether the interface is operationally up (ifOperStatus up: 1, anything else: 0).',
        type: 'gauge',
        labels: IFACE_LABELS,
      },
      speed_bytes_per_second: {
        name: METRIC.routerInterfaceSpeedBytesPerSecond,
        help: 'Link speed the interface reports (ifHighSpeed, or ifSpeed), in bytes per second (× 8 for bits).',
        type: 'gauge',
        labels: IFACE_LABELS,
        threshold: true,
      },
      receive_bytes_per_second: {
        name: METRIC.routerInterfaceReceiveBytesPerSecond,
        help: 'Bytes received per second since the previous run (from ifHCInOctets, or ifInOctets).',
        type: 'gauge',
        labels: IFACE_LABELS,
        threshold: true,
      },
      transmit_bytes_per_second: {
        name: METRIC.routerInterfaceTransmitBytesPerSecond,
        help: 'Bytes sent per second since the previous run (from ifHCOutOctets, or ifOutOctets).',
        type: 'gauge',
        labels: IFACE_LABELS,
        threshold: true,
      },
      errors_total: {
        name: METRIC.routerInterfaceErrorsTotal,
        help: 'Packets the interface counted as errors (ifInErrors, ifOutErrors) while the agent watched it.',
        type: 'counter',
        labels: [...IFACE_LABELS, 'direction'],
      },
    },
    run: (target, opts, ctx) => runRouter(target, opts, ctx, load),
  });
}

export const routerProbe = createRouterProbe();

async function runRouter(target: string, opts: RouterOptions, ctx: ProbeContext, load?: () => Promise<typeof NetSnmp>): Promise<ProbeResult> {
  const memory = ctx.session(() => new CounterMemory());
  return runSnmp(target, opts, ctx, (reader) => readInterfaces(reader, opts, ctx, memory), load);
}

async function readInterfaces(reader: SnmpReader, opts: RouterOptions, ctx: ProbeContext, memory: CounterMemory): Promise<ProbeResult> {
  const start = performance.now();
  const phases = (): { request: number } => ({ request: (performance.now() - start) / 1000 });
  let rows: IfRow[] = [];
  if (opts.interfaces.some((i) => i.index === undefined)) {
    rows = interfaceRows([...(await reader.walk(IF_NAME)), ...(await reader.walk(IF_DESCR)), ...(await reader.walk(IF_ALIAS))]);
    if (rows.length === 0) {
      return failure('config', 'the device shows no interfaces over SNMP (is IF-MIB, 1.3.6.1.2.1.2 and .31, in its SNMP view?)', { phases: phases() });
    }
  }
  const problems: string[] = [];
  const down: string[] = [];
  const up: string[] = [];
  const observations: Observation[] = [];
  // sysUpTime rides along with the first interface read: it tells a restarted device's counters apart.
  let uptime: number | undefined;
  let first = true;
  for (const want of opts.interfaces) {
    const found = want.index !== undefined ? { ok: true as const, index: want.index } : findInterface(rows, want.name);
    if (!found.ok) {
      problems.push(found.message);
      continue;
    }
    const varbinds = await reader.get(first ? [SYS_UPTIME, ...interfaceOids(found.index)] : interfaceOids(found.index));
    if (first) {
      const t = snmpBigInt(varbinds.find((vb) => vb.oid === SYS_UPTIME)?.value);
      if (t !== undefined) uptime = Number(t);
      first = false;
    }
    const reading = readInterface(found.index, varbinds);
    const line = want.line ?? ctx.line?.name ?? '';
    const named = `${want.name}${want.line ? ` (line ${want.line})` : ''}`;
    if (reading.operStatus === undefined) {
      problems.push(`interface "${want.name}" (ifIndex ${found.index}) reports no ifOperStatus`);
      continue;
    }
    const snapshot: Snapshot = { reading, atMs: performance.now(), ...(uptime !== undefined ? { uptime } : {}) };
    const rates = ratesBetween(memory.last.get(want.name), snapshot);
    memory.last.set(want.name, snapshot);
    observations.push(...interfaceObservations(reading, rates, { interface: want.name, line }));
    if (reading.operStatus === 1) {
      up.push(`${want.name} up${reading.speed ? ` ${formatBits(reading.speed)}` : ''}`);
    } else {
      const admin =
        reading.adminStatus !== undefined && reading.adminStatus !== 1 ? `, disabled on the device (ifAdminStatus ${statusName(reading.adminStatus)})` : '';
      down.push(`${named} is ${statusName(reading.operStatus)}${admin}`);
    }
  }
  const extra = { phases: phases(), observations };
  if (problems.length > 0) return failure('config', [...problems, ...down].join('; '), extra);
  if (down.length > 0) return failure('link_down', down.join('; '), extra);
  return success({ message: up.join(', '), ...extra });
}

/** 1000000000 → "1 Gb/s". */
export function formatBits(bps: number): string {
  const units: Array<[number, string]> = [
    [1e9, 'Gb/s'],
    [1e6, 'Mb/s'],
    [1e3, 'kb/s'],
  ];
  for (const [size, unit] of units) if (bps >= size) return `${Number((bps / size).toPrecision(3))} ${unit}`;
  return `${bps} b/s`;
}
