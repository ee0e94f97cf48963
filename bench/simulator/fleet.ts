/**
 * The simulated fleet: provinces, centers, agents and the series an agent of a real center pushes.
 * Pure and deterministic (same arguments, same fleet), so a server config with the fleet's tokens can
 * be written once and the simulator started many times against it. A test tool, never a real agent.
 */
import { createHash } from 'node:crypto';
import type { Label, TimeSeries } from '../../common/remote-write/proto.js';

import { PROVINCES } from '../../common/provinces.js';
import { referenceCenters, type ParsedCenter } from '../../server/fleet/inventory.js';
import { nationalListText } from '../../server/fleet/national-list.js';

export { PROVINCES };

export interface SimAgent {
  province: string;
  /** The commune's official code (`4`), as an inventory imported from the national list has it. */
  center: string;
  /** Its name in the national list (`Phường Ba Đình`). */
  centerName: string;
  agent: string;
  /** The bearer token this agent pushes with (derived from the seed; never a real secret). */
  token: string;
}

export interface FleetOptions {
  centers: number;
  agentsPerCenter: number;
  /** Token derivation seed, so the fleet and the server config written for it agree. */
  seed: string;
}

let communes: ParsedCenter[] | undefined;

/**
 * The national list's 3,321 communes taken round-robin over the provinces in PROVINCES' order (the first
 * commune of each, then the second…), skipping a province once all of its communes are taken.
 */
export function communeOrder(): readonly ParsedCenter[] {
  if (communes) return communes;
  const list = referenceCenters(nationalListText());
  if (!list.ok) throw new Error(`the national list does not parse: ${list.problems.map((p) => p.message).join('; ')}`);
  const queues = PROVINCES.map(([id]) => list.centers.filter((c) => c.province === id));
  const out: ParsedCenter[] = [];
  for (let round = 0; out.length < list.centers.length; round++) for (const q of queues) if (round < q.length) out.push(q[round]!);
  communes = out;
  return out;
}

/**
 * Real communes (code and name from the national list) spread over the provinces round-robin; agent 1 is
 * the center's main PC, the others counters. Past 3,321 centers the list starts again with a suffix
 * (`4-2`, "Phường Ba Đình (2)"), so bench loads larger than the country still get distinct centers.
 */
export function buildFleet({ centers, agentsPerCenter, seed }: FleetOptions): SimAgent[] {
  const order = communeOrder();
  const out: SimAgent[] = [];
  for (let c = 0; c < centers; c++) {
    const commune = order[c % order.length]!;
    const round = Math.floor(c / order.length) + 1;
    const center = round === 1 ? commune.code : `${commune.code}-${round}`;
    const centerName = round === 1 ? commune.name : `${commune.name} (${round})`;
    for (let a = 1; a <= agentsPerCenter; a++) {
      const agent = a === 1 ? 'main' : `counter-${a - 1}`;
      const token = createHash('sha256').update(`${seed}/${center}/${agent}`).digest('base64url');
      out.push({ province: commune.province, center, centerName, agent, token });
    }
  }
  return out;
}

/** The `tokens:` block of a server config for this fleet (sha256 only): a test fixture, not real credentials. */
export function serverTokensYaml(fleet: readonly SimAgent[], seed: string): string {
  const lines = [`# Tokens of the simulated fleet (npm run simulate, seed ${JSON.stringify(seed)}). A test fixture, not real credentials.`, 'tokens:'];
  for (const a of fleet) {
    const sha = createHash('sha256').update(a.token).digest('hex');
    // Quoted: a commune code alone (`4`) would read as a number.
    lines.push(`  - { id: "${a.center}.${a.agent}", sha256: ${sha}, province: ${a.province}, center: "${a.center}", agent: ${a.agent} }`);
  }
  return `${lines.join('\n')}\n`;
}

/** One check of a typical center agent: kind, line and the metric families it produces. */
const CHECKS: ReadonlyArray<{ check: string; kind: string; line?: string }> = [
  { check: 'line-tslcd', kind: 'icmp', line: 'tslcd' },
  { check: 'line-inet1', kind: 'icmp', line: 'inet1' },
  { check: 'line-inet2', kind: 'icmp', line: 'inet2' },
  { check: 'provincial-system', kind: 'http', line: 'tslcd' },
  { check: 'national-portal', kind: 'http', line: 'inet1' },
  { check: 'vneid-sso', kind: 'http', line: 'inet1' },
  { check: 'civil-status', kind: 'http', line: 'inet1' },
  { check: 'payment', kind: 'http', line: 'inet1' },
  { check: 'dns-inet1', kind: 'dns', line: 'inet1' },
  { check: 'printer-counter', kind: 'printer' },
  { check: 'scanner-counter', kind: 'scanner' },
  { check: 'card-reader', kind: 'usb' },
  { check: 'signing-token', kind: 'usb' },
  { check: 'ups', kind: 'ups' },
  { check: 'clock', kind: 'ntp' },
  { check: 'host', kind: 'host' },
];

const RTT_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '+Inf'];

/** The label sets of `count` series an agent pushes, in a stable order (per-check families first, then line histograms). */
export function seriesLabels(count: number): Label[][] {
  const out: Label[][] = [];
  const add = (name: string, c: (typeof CHECKS)[number], extra: Label[] = []): void => {
    const labels: Label[] = [
      { name: '__name__', value: name },
      { name: 'check', value: c.check },
      { name: 'kind', value: c.kind },
    ];
    if (c.line) labels.push({ name: 'line', value: c.line });
    out.push([...labels, ...extra]);
  };
  for (const c of CHECKS) for (const name of ['centerwatch_probe_success', 'centerwatch_probe_degraded', 'centerwatch_probe_duration_seconds']) add(name, c);
  // What the engine needs to weigh each check (as the agent's exposition writes it: empty when unset).
  for (const c of CHECKS) {
    out.push([
      { name: '__name__', value: 'centerwatch_check_info' },
      { name: 'check', value: c.check },
      { name: 'group', value: c.kind === 'icmp' ? 'lines' : '' },
      { name: 'impact', value: c.kind === 'icmp' || c.check === 'provincial-system' ? 'blocking' : 'degrading' },
      { name: 'kind', value: c.kind },
      { name: 'line', value: c.line ?? '' },
    ]);
  }
  for (const c of CHECKS.filter((x) => x.kind === 'icmp')) {
    for (const name of [
      'centerwatch_line_loss_ratio',
      'centerwatch_line_jitter_seconds',
      'centerwatch_icmp_packets_sent_total',
      'centerwatch_icmp_packets_received_total',
    ])
      add(name, c);
    for (const le of RTT_BUCKETS) add('centerwatch_icmp_rtt_seconds_bucket', c, [{ name: 'le', value: le }]);
    add('centerwatch_icmp_rtt_seconds_sum', c);
    add('centerwatch_icmp_rtt_seconds_count', c);
  }
  for (const c of CHECKS.filter((x) => x.kind === 'http')) {
    for (const phase of ['resolve', 'connect', 'tls', 'first_byte', 'transfer']) add('centerwatch_probe_phase_seconds', c, [{ name: 'phase', value: phase }]);
  }
  // Pad with per-counter peripheral series until the requested count (real agents on counter PCs have more devices).
  for (let i = 0; out.length < count; i++) {
    out.push([
      { name: '__name__', value: 'centerwatch_printer_supply_level_ratio' },
      { name: 'check', value: `printer-${Math.floor(i / 4) + 2}` },
      { name: 'kind', value: 'printer' },
      { name: 'supply', value: `marker-${i % 4}` },
    ]);
  }
  return out.slice(0, count);
}

/** A fault injected into part of the fleet: the probes of these checks report down. */
export interface Fault {
  center: string;
  checks: string[];
}

/** The value of one series at one moment: plausible figures, success 0 for faulted checks. */
export function seriesValue(labels: Label[], tick: number, faulted: ReadonlySet<string>): number {
  const name = labels.find((l) => l.name === '__name__')!.value;
  const check = labels.find((l) => l.name === 'check')!.value;
  const down = faulted.has(check);
  switch (name) {
    case 'centerwatch_probe_success':
      return down ? 0 : 1;
    case 'centerwatch_probe_degraded':
      return 0;
    case 'centerwatch_check_info':
      return 1;
    case 'centerwatch_line_loss_ratio':
      return down ? 1 : 0.01 * (tick % 3);
    case 'centerwatch_icmp_packets_sent_total':
    case 'centerwatch_icmp_rtt_seconds_count':
      return tick * 30;
    case 'centerwatch_icmp_packets_received_total':
      return down ? 0 : tick * 30;
    case 'centerwatch_icmp_rtt_seconds_bucket':
      return tick * 30;
    case 'centerwatch_icmp_rtt_seconds_sum':
      return tick * 30 * 0.012;
    case 'centerwatch_printer_supply_level_ratio':
      return 0.5;
    default:
      return 0.01 + (tick % 7) * 0.002;
  }
}

/** The center's display name, as an agent exports it. */
export function centerInfo(agent: SimAgent, timestampMs: number): TimeSeries {
  return {
    labels: [
      { name: '__name__', value: 'centerwatch_center_info' },
      { name: 'name', value: agent.centerName },
    ],
    samples: [{ value: 1, timestampMs }],
  };
}

/** One push of one agent: every series with one sample at `timestampMs`. */
export function agentPush(labels: Label[][], tick: number, timestampMs: number, faulted: ReadonlySet<string>): TimeSeries[] {
  return labels.map((l) => ({ labels: l, samples: [{ value: seriesValue(l, tick, faulted), timestampMs }] }));
}
