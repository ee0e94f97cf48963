/**
 * bench:agent's load, shared by bench:agent and bench:package: 50 checks each every second (10 icmp
 * lines, 15 tcp, 15 http, 10 dns) against loopback targets served by the bench process.
 */
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { startHttp } from '../test/helpers/servers.js';

export const MIX = { icmp: 10, tcp: 15, http: 15, dns: 10 } as const;

export interface Targets {
  http: number;
  tcp: number;
  dns: number;
  close(): Promise<void>;
}

export async function startTargets(): Promise<Targets> {
  const http = await startHttp((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'));
  const tcp = createTcpServer((s) => s.end());
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const dns = await startDnsServer({ records: [{ name: 'bench.test', type: 'A', data: '127.0.0.1' }] });
  return {
    http: http.port,
    tcp: (tcp.address() as AddressInfo).port,
    dns: dns.port,
    async close() {
      await http.close();
      tcp.close();
      await dns.close();
    },
  };
}

/** The load: MIX checks, each every second, listening on `port`. */
export function agentLoadConfig(t: Targets, port: number): string {
  const checks: string[] = [];
  for (let i = 0; i < MIX.icmp; i++) checks.push(`  - { id: line-${i}, kind: icmp, target: 127.0.0.${i + 1}, line: lo${i}, interval: 1s, timeout: 1s }`);
  for (let i = 0; i < MIX.tcp; i++) checks.push(`  - { id: tcp-${i}, kind: tcp, target: "127.0.0.1:${t.tcp}", interval: 1s, timeout: 1s }`);
  for (let i = 0; i < MIX.http; i++) checks.push(`  - { id: http-${i}, kind: http, target: "http://127.0.0.1:${t.http}/${i}", interval: 1s, timeout: 1s }`);
  for (let i = 0; i < MIX.dns; i++)
    checks.push(`  - { id: dns-${i}, kind: dns, target: bench.test, interval: 1s, timeout: 1s, options: { server: "127.0.0.1:${t.dns}" } }`);
  const lines = Array.from({ length: MIX.icmp }, (_, i) => `  - { name: lo${i}, source: 127.0.0.1 }`);
  return `center: { id: bench, name: bench, province: quang-ngai }
agent: { id: bench, listen: "127.0.0.1:${port}", log_level: warn }
lines:
${lines.join('\n')}
checks:
${checks.join('\n')}
`;
}

/** Probe runs so far, summed over the checks, from an agent's /metrics on `port`. */
export async function agentProbeRuns(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^centerwatch_probe_runs_total\{[^}]*\} (\d+)/gm)) total += Number(m[1]);
  return total;
}
