/**
 * A center's network in namespaces of the test's own, on real software only:
 *
 *   test (root ns) ── prov ─┬─ isp-fiber ── wanf ┐
 *   the server bin,         └─ isp-4g ──── wan4 ┴ router ── lan ── center (the agent's PC)
 *   on prov's link
 *
 * The router masquerades its LAN out of either WAN, answers from each WAN address over that WAN
 * (policy routing, as a dual-WAN router does), serves its IF-MIB from a real `snmpd` (on the address of its
 * link to the test's namespace, which the snmpd helper asks to know it is up; the agent reaches it
 * through the LAN), and a shell loop in it pings each ISP's gateway through its WAN and points the default
 * route at the first that answers (a router's WAN failover). The province reaches each WAN address
 * through its ISP: those two addresses are the center's public addresses per line.
 *
 * Addresses: the root–prov link is NetnsLab's (198.19.<pid % 256>.0/30); the WAN links 198.18.<pid %
 * 256>.0/30 and .4/30 (198.18.0.0/15 is reserved for benchmarks, routed in the root namespace only to
 * prov); prov–ISP links and the center's LAN exist only inside the namespaces.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { NetnsLab, type Peer } from './netns.js';
import { startNamespaceSnmpd, type NamespaceSnmpd } from './snmpd-netns.js';

export interface Uplink {
  /** The line's name (agent config and inventory). */
  line: string;
  ns: string;
  /** The ISP's end of the WAN link, in its namespace. */
  ispIf: string;
  /** The router's WAN interface. */
  wanIf: string;
  /** The ISP's gateway address on the WAN link. */
  gateway: string;
  /** The router's WAN address: the center's public address on this line. */
  public: string;
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...cmd: string[]): string =>
  execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export const ROUTER_LAN = '192.168.1.1';
export const PC_ADDR = '192.168.1.10';

export class CenterNetwork {
  readonly lab = new NetnsLab();
  prov!: Peer;
  router!: Peer;
  center!: Peer;
  uplinks: Uplink[] = [];
  /** The router's SNMP address (on its link to the test's namespace, reached from the LAN through the router). */
  get snmpAddr(): string {
    return this.router.peerAddr;
  }

  /** The server's address (root namespace, on prov's link). */
  serverAddr = '';
  private failover: ChildProcess | undefined;
  private snmpd: NamespaceSnmpd | undefined;

  /** Builds it all; `lines` in the order the router prefers them (the first the main line). */
  async build(lines: [string, string]): Promise<void> {
    const net = `198.18.${process.pid % 256}`;
    this.prov = this.lab.addPeer();
    this.serverAddr = this.prov.hostAddr;
    const isps = lines.map(() => this.isolated());
    // The router keeps its link to the test's namespace: its SNMP address, which the test asks first.
    this.router = this.lab.addPeer();
    this.center = this.isolated();
    const forward = (ns: string) => inNs(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    forward(this.prov.ns);
    forward(this.router.ns);
    lines.forEach((line, k) => {
      const isp = isps[k]!;
      forward(isp.ns);
      const u: Uplink = {
        line,
        ns: isp.ns,
        ispIf: `wanisp${k}`,
        wanIf: k === 0 ? 'wanf' : 'wan4',
        gateway: `${net}.${4 * k + 1}`,
        public: `${net}.${4 * k + 2}`,
      };
      // prov ⇄ ISP: a transit link inside the namespaces only.
      const transit = `10.200.${k + 1}`;
      ip('-n', this.prov.ns, 'link', 'add', `isp${k}`, 'type', 'veth', 'peer', 'name', 'prov', 'netns', isp.ns);
      ip('-n', this.prov.ns, 'addr', 'add', `${transit}.1/30`, 'dev', `isp${k}`);
      ip('-n', isp.ns, 'addr', 'add', `${transit}.2/30`, 'dev', 'prov');
      ip('-n', this.prov.ns, 'link', 'set', `isp${k}`, 'up');
      ip('-n', isp.ns, 'link', 'set', 'prov', 'up');
      ip('-n', isp.ns, 'route', 'add', 'default', 'via', `${transit}.1`);
      ip('-n', this.prov.ns, 'route', 'add', `${net}.${4 * k}/30`, 'via', `${transit}.2`);
      // ISP ⇄ router: the line itself.
      ip('-n', isp.ns, 'link', 'add', u.ispIf, 'type', 'veth', 'peer', 'name', u.wanIf, 'netns', this.router.ns);
      ip('-n', isp.ns, 'addr', 'add', `${u.gateway}/30`, 'dev', u.ispIf);
      ip('-n', this.router.ns, 'addr', 'add', `${u.public}/30`, 'dev', u.wanIf);
      ip('-n', isp.ns, 'link', 'set', u.ispIf, 'up');
      ip('-n', this.router.ns, 'link', 'set', u.wanIf, 'up');
      // Whatever comes in on a WAN is answered over it.
      const table = String(100 + k);
      ip('-n', this.router.ns, 'route', 'add', 'default', 'via', u.gateway, 'dev', u.wanIf, 'table', table);
      ip('-n', this.router.ns, 'rule', 'add', 'from', u.public, 'table', table, 'pref', String(100 + k));
      // The server reaches the public address through prov only.
      ip('route', 'add', `${u.public}/32`, 'via', this.prov.peerAddr, 'dev', this.prov.hostIf);
      this.uplinks.push(u);
    });
    // router ⇄ center: the LAN.
    ip('-n', this.router.ns, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.center.ns);
    ip('-n', this.router.ns, 'addr', 'add', `${ROUTER_LAN}/24`, 'dev', 'lan');
    ip('-n', this.center.ns, 'addr', 'add', `${PC_ADDR}/24`, 'dev', 'eth0');
    ip('-n', this.router.ns, 'link', 'set', 'lan', 'up');
    ip('-n', this.center.ns, 'link', 'set', 'eth0', 'up');
    ip('-n', this.center.ns, 'route', 'add', 'default', 'via', ROUTER_LAN);
    const wans = this.uplinks.map((u) => `"${u.wanIf}"`).join(', ');
    this.lab.nft(
      this.router,
      `table ip cwrouter {\n chain wannat {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname { ${wans} } masquerade\n }\n` +
        ` chain lanout {\n  type filter hook forward priority 0; policy drop;\n  iifname "lan" accept\n  ct state established,related accept\n }\n}\n`,
    );
    this.startFailover();
    await this.startSnmpd();
  }

  /** A namespace of the lab without its link to the test's namespace: reached only through the others. */
  private isolated(): Peer {
    const p = this.lab.addPeer();
    ip('link', 'del', p.hostIf);
    return p;
  }

  /** The WAN failover: every half second, each uplink's gateway pinged through its WAN; the first answering carries the default route. */
  private startFailover(): void {
    const tries = this.uplinks.map((u) => `if ping -n -q -c1 -W1 -I ${u.wanIf} ${u.gateway} >/dev/null 2>&1; then want="via ${u.gateway} dev ${u.wanIf}"; fi`);
    const script = [
      'current=""',
      'while :; do',
      '  want=""',
      // The last listed is tried first: the first answering in the order given wins.
      ...tries.reverse().map((t) => `  ${t}`),
      // Replaced every round: a WAN set down and up again (a reboot) has lost it.
      '  if [ -n "$want" ]; then ip route replace default $want 2>/dev/null; fi',
      '  if [ "$want" != "$current" ]; then current="$want"; echo "default ${want:-none}"; fi',
      '  sleep 0.5',
      'done',
    ].join('\n');
    this.failover = spawn('ip', ['netns', 'exec', this.router.ns, 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.failover.stdout!.on('data', (c: Buffer) => (this.failoverLog += c.toString()));
  }

  /** What the failover script did (`default via … dev …` per switch). */
  failoverLog = '';

  /** The router's default route now. */
  defaultRoute(): string {
    return ip('-n', this.router.ns, 'route', 'show', 'default').trim();
  }

  uplink(line: string): Uplink {
    return this.uplinks.find((u) => u.line === line)!;
  }

  /** The line cut at the ISP's side: the router's WAN loses its carrier. */
  cut(line: string): void {
    const u = this.uplink(line);
    ip('-n', u.ns, 'link', 'set', u.ispIf, 'down');
  }

  restore(line: string): void {
    const u = this.uplink(line);
    ip('-n', u.ns, 'link', 'set', u.ispIf, 'up');
  }

  /** The router without power: its WAN and LAN interfaces down (the addresses silent from both sides), its snmpd gone. */
  async powerOff(): Promise<void> {
    for (const u of this.uplinks) ip('-n', this.router.ns, 'link', 'set', u.wanIf, 'down');
    ip('-n', this.router.ns, 'link', 'set', 'lan', 'down');
    await this.snmpd?.stop();
    this.snmpd = undefined;
  }

  /** The router boots: its interfaces up, its routes per WAN back, a fresh snmpd (no interface table cached from before). */
  async powerOn(): Promise<void> {
    ip('-n', this.router.ns, 'link', 'set', 'lan', 'up');
    for (const u of this.uplinks) {
      ip('-n', this.router.ns, 'link', 'set', u.wanIf, 'up');
      // A link set down loses its routes: the router's boot puts them back.
      ip('-n', this.router.ns, 'route', 'replace', 'default', 'via', u.gateway, 'dev', u.wanIf, 'table', String(100 + this.uplinks.indexOf(u)));
    }
    await this.startSnmpd();
  }

  /** Asked by the agent from the LAN and by the helper's readiness check from the test's namespace. */
  private async startSnmpd(): Promise<void> {
    this.snmpd = await startNamespaceSnmpd(this.router.ns, this.router.peerAddr, 'default');
  }

  /** `ip route get <to> [from <source>]` in a namespace (undefined: the test's own). */
  routeGet(ns: string | undefined, to: string, from?: string): string {
    const args = ['-o', 'route', 'get', to, ...(from ? ['from', from] : [])];
    return (ns ? inNs(ns, 'ip', ...args) : ip(...args)).trim();
  }

  /** Runs a process in the center's namespace (the agent's PC). */
  spawnInCenter(cmd: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.center.ns, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  async cleanup(): Promise<void> {
    this.failover?.kill('SIGKILL');
    await this.snmpd?.stop();
    // Removing prov's link takes the routes through it along.
    await this.lab.cleanup();
  }
}
