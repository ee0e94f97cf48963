/**
 * The bench's "line": a network namespace `cwbench-<pid>` joined to the root namespace by a veth pair,
 * 10.213.<pid % 256>.1/30 on the host end and .2/30 in the namespace. These are the only non-loopback
 * addresses the bench uses, and it creates them itself; the far end never leaves the machine.
 *
 * A cut downs the FAR end: the host end loses carrier and keeps its connected route, so the agent's
 * echo requests die on the dead link, as when a cable is pulled. Downing the host end instead would
 * remove that route and let the traffic follow the default route off the machine; an `unreachable`
 * route of lower preference (metric 4242) guards against that all the same, and the agent's ping is
 * bound to the interface (`ping -I`) as well.
 */
import { execFileSync } from 'node:child_process';
import { alive, quiet } from '../test/helpers/netns.js';

const NS_PREFIX = 'cwbench-';
const SAFETY_METRIC = '4242';

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

export class BenchLine {
  readonly ns = `${NS_PREFIX}${process.pid}`;
  readonly hostIf = `cwb${process.pid}h`;
  readonly peerIf = `cwb${process.pid}p`;
  readonly net = `10.213.${process.pid % 256}`;
  readonly hostAddr = `${this.net}.1`;
  readonly peerAddr = `${this.net}.2`;
  private created = false;

  /** Removes what a crashed earlier bench left behind (its pid is gone), then builds this one. */
  create(): void {
    removeStale();
    if (run('cat', ['/proc/sys/net/ipv4/conf/all/ignore_routes_with_linkdown']).trim() !== '0') {
      throw new Error('net.ipv4.conf.all.ignore_routes_with_linkdown is set: a cut would drop the line route');
    }
    this.created = true;
    run('ip', ['netns', 'add', this.ns]);
    run('ip', ['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.peerIf, 'netns', this.ns]);
    run('ip', ['addr', 'add', `${this.hostAddr}/30`, 'dev', this.hostIf]);
    run('ip', ['route', 'add', 'unreachable', `${this.net}.0/30`, 'metric', SAFETY_METRIC]);
    run('ip', ['link', 'set', this.hostIf, 'up']);
    run('ip', ['-n', this.ns, 'addr', 'add', `${this.peerAddr}/30`, 'dev', this.peerIf]);
    run('ip', ['-n', this.ns, 'link', 'set', this.peerIf, 'up']);
    run('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
  }

  cut(): void {
    run('ip', ['-n', this.ns, 'link', 'set', this.peerIf, 'down']);
  }

  restore(): void {
    run('ip', ['-n', this.ns, 'link', 'set', this.peerIf, 'up']);
  }

  /** Drops `percent` % of the packets entering the far end, each at random (nft numgen). */
  startLoss(percent: number): void {
    const ruleset = `table inet cwbench {\n chain input {\n  type filter hook input priority 0; policy accept;\n  numgen random mod 100 < ${percent} drop\n }\n}\n`;
    run('ip', ['netns', 'exec', this.ns, 'nft', '-f', '-'], ruleset);
  }

  stopLoss(): void {
    quiet('ip', ['netns', 'exec', this.ns, 'nft', 'delete', 'table', 'inet', 'cwbench']);
  }

  /** Synchronous, so it can run from a signal handler; safe after a partial create. */
  cleanup(): void {
    if (!this.created) return;
    this.created = false;
    // The nft table lives in the namespace and goes with it.
    quiet('ip', ['route', 'del', 'unreachable', `${this.net}.0/30`, 'metric', SAFETY_METRIC]);
    quiet('ip', ['link', 'del', this.hostIf]);
    quiet('ip', ['netns', 'del', this.ns]);
  }
}

/** Namespaces, links and safety routes of benches whose process is gone. */
function removeStale(): void {
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const m = /^cwbench-(\d+)/.exec(line);
    if (m && !alive(Number(m[1]))) quiet('ip', ['netns', 'del', m[0]]);
  }
  for (const line of run('ip', ['-o', 'link', 'show']).split('\n')) {
    const m = /^\d+: (cwb(\d+)h)[@:]/.exec(line);
    if (m && !alive(Number(m[2]))) quiet('ip', ['link', 'del', m[1]!]);
  }
  for (const line of run('ip', ['route', 'show']).split('\n')) {
    const m = /^unreachable (10\.213\.\d+\.0\/30) metric 4242/.exec(line);
    const inUse = m && run('ip', ['-o', 'addr', 'show']).includes(` ${m[1]!.replace(/0\/30$/, '1/30')} `);
    if (m && !inUse) quiet('ip', ['route', 'del', 'unreachable', m[1]!, 'metric', SAFETY_METRIC]);
  }
}
