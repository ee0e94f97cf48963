import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Network namespaces for line tests. Each peer is a namespace joined to the test's own (root)
 * namespace by a veth pair, addressed from 198.19.0.0/16 (part of 198.18.0.0/15, reserved for
 * benchmarks): the far end lives in the namespace, so the traffic never leaves the machine.
 * Names carry the test process id (`cwl-<pid>-<n>`, links `cwl<pid>h<n>` / `cwl<pid>p<n>`, routing
 * tables TABLE_BASE + 4·pid + k) so leftovers of a crashed run can be recognised and removed.
 */
const NS_PREFIX = 'cwl-';
const TABLE_BASE = 1_000_000_000;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a cleanup command, ignoring that what it removes may be gone already. */
export function quiet(cmd: string, args: string[]): void {
  try {
    run(cmd, args);
  } catch {
    // cleanup of something already gone
  }
}

/** Whether a process exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether this process can create namespaces and veth pairs (root with iproute2): tried once, for real. */
export const canCreateNetns: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  const ns = `${NS_PREFIX}${process.pid}-probe`;
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'add', 'cwprobe0', 'type', 'veth', 'peer', 'name', 'cwprobe1']);
    return true;
  } catch {
    return false;
  } finally {
    quiet('ip', ['netns', 'del', ns]);
  }
})();

/** Whether nft runs (it needs root as well). */
export const canUseNft: boolean = (() => {
  try {
    run('nft', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

function killNamespacePids(ns: string): void {
  let pids: string[];
  try {
    pids = run('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean);
  } catch {
    return;
  }
  for (const pid of pids) quiet('kill', ['-9', pid]);
}

/** Removes namespaces, links, rules and tables left by earlier runs whose process is gone. */
export function removeStaleNetns(): void {
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const m = /^(cwl-(\d+)-\S+)/.exec(line);
    if (m && !alive(Number(m[2]))) {
      killNamespacePids(m[1]!);
      quiet('ip', ['netns', 'del', m[1]!]);
    }
  }
  for (const line of run('ip', ['-o', 'link', 'show']).split('\n')) {
    const m = /^\d+: (cwl(\d+)[hp]\d+)[@:]/.exec(line);
    if (m && !alive(Number(m[2]))) quiet('ip', ['link', 'del', m[1]!]);
  }
  for (const line of run('ip', ['rule', 'show']).split('\n')) {
    const m = /^(\d+):.*lookup (\d+)/.exec(line);
    const table = Number(m?.[2]);
    if (!m || table < TABLE_BASE || alive(Math.floor((table - TABLE_BASE) / 4))) continue;
    quiet('ip', ['rule', 'del', 'pref', m[1]!, 'table', m[2]!]);
    quiet('ip', ['route', 'flush', 'table', m[2]!]);
  }
}

export interface Peer {
  ns: string;
  /** The veth end in the test's namespace: a line's interface. */
  hostIf: string;
  peerIf: string;
  /** The line's source address. */
  hostAddr: string;
  /** The far end's address, reachable only through this pair. */
  peerAddr: string;
}

/** A set of peers; `cleanup()` removes all of it and is safe to call after a partial setup. */
export class NetnsLab {
  readonly peers: Peer[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly rules: Array<{ pref: number; table: number }> = [];
  private readonly net = `198.19.${process.pid % 256}`;

  constructor() {
    removeStaleNetns();
  }

  /** A namespace with a veth pair, both ends up, 198.19.<pid % 256>.<4n+1 | 4n+2>/30. */
  addPeer(): Peer {
    const n = this.peers.length;
    if (n > 62) throw new Error('too many peers');
    const p: Peer = {
      ns: `${NS_PREFIX}${process.pid}-${n}`,
      hostIf: `cwl${process.pid}h${n}`,
      peerIf: `cwl${process.pid}p${n}`,
      hostAddr: `${this.net}.${4 * n + 1}`,
      peerAddr: `${this.net}.${4 * n + 2}`,
    };
    run('ip', ['netns', 'add', p.ns]);
    this.peers.push(p);
    run('ip', ['link', 'add', p.hostIf, 'type', 'veth', 'peer', 'name', p.peerIf, 'netns', p.ns]);
    run('ip', ['addr', 'add', `${p.hostAddr}/30`, 'dev', p.hostIf]);
    run('ip', ['link', 'set', p.hostIf, 'up']);
    run('ip', ['-n', p.ns, 'addr', 'add', `${p.peerAddr}/30`, 'dev', p.peerIf]);
    run('ip', ['-n', p.ns, 'link', 'set', p.peerIf, 'up']);
    run('ip', ['-n', p.ns, 'link', 'set', 'lo', 'up']);
    return p;
  }

  /**
   * One address (`<net>.254`) served by every given peer, reachable from the test's namespace only
   * by source address: a rule per peer sends traffic from its hostAddr through its pair, as a
   * center routes each line by source. Traffic to it from any other source is unreachable, so a
   * probe that failed to bind can neither reach it nor leave the machine.
   */
  shareAddress(peers: Peer[]): string {
    const addr = `${this.net}.254`;
    const table = (k: number): number => TABLE_BASE + 4 * process.pid + k;
    if (peers.length > 3) throw new Error('at most 3 peers share an address');
    peers.forEach((p, k) => {
      run('ip', ['-n', p.ns, 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
      run('ip', ['route', 'add', `${addr}/32`, 'via', p.peerAddr, 'dev', p.hostIf, 'table', String(table(k))]);
      this.addRule(['from', p.hostAddr], table(k));
    });
    run('ip', ['route', 'add', 'unreachable', `${addr}/32`, 'table', String(table(3))]);
    this.addRule(['to', `${addr}/32`], table(3));
    return addr;
  }

  private addRule(selector: string[], table: number): void {
    const pref = 1000 + (this.rules.length % 100);
    run('ip', ['rule', 'add', ...selector, 'table', String(table), 'pref', String(pref)]);
    this.rules.push({ pref, table });
  }

  /** Loads an nft ruleset into the peer's namespace. */
  nft(p: Peer, ruleset: string): void {
    execFileSync('ip', ['netns', 'exec', p.ns, 'nft', '-f', '-'], { input: ruleset, stdio: ['pipe', 'ignore', 'pipe'] });
  }

  /**
   * Cuts the line at the far end: the host end loses carrier and keeps its routes, so bound
   * traffic is dropped on the dead link. (Downing the host end instead would remove its routes
   * and let traffic bound only by source address follow the default route off the machine.)
   */
  cut(p: Peer): void {
    for (const conf of ['all', p.hostIf]) {
      if (readFileSync(`/proc/sys/net/ipv4/conf/${conf}/ignore_routes_with_linkdown`, 'utf8').trim() !== '0') {
        throw new Error(`ignore_routes_with_linkdown is set on ${conf}: cutting the link would reroute traffic`);
      }
    }
    run('ip', ['-n', p.ns, 'link', 'set', p.peerIf, 'down']);
  }

  restore(p: Peer): void {
    run('ip', ['-n', p.ns, 'link', 'set', p.peerIf, 'up']);
  }

  /** A TCP server in the peer's namespace on `port` of every address; accepts and closes. */
  async tcpListener(p: Peer, port: number): Promise<void> {
    const code = `require('net').createServer((s) => s.end()).listen(${port}, '0.0.0.0', () => console.log('ready'))`;
    const child = spawn('ip', ['netns', 'exec', p.ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tcp listener did not start')), 5000);
      child.stdout.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcp listener exited with ${code}`));
      });
    });
  }

  async cleanup(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    for (const r of this.rules.splice(0)) {
      quiet('ip', ['rule', 'del', 'pref', String(r.pref), 'table', String(r.table)]);
      quiet('ip', ['route', 'flush', 'table', String(r.table)]);
    }
    for (const p of this.peers.splice(0)) {
      killNamespacePids(p.ns);
      quiet('ip', ['link', 'del', p.hostIf]);
      quiet('ip', ['netns', 'del', p.ns]);
    }
  }
}
