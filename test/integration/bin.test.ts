import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttp } from '../helpers/servers.js';
import { closedPort } from '../helpers/sockets.js';

/**
 * The bin as installed is one esbuild bundle with a chunk per lazily imported driver: the other
 * tests run the sources through tsx, so this one checks that every probe kind loads and runs from
 * the bundle (CommonJS interop differs there).
 */
let dir: string;
let web: Awaited<ReturnType<typeof startHttp>>;

beforeAll(async () => {
  execFileSync(process.execPath, ['agent/build.mjs'], { stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'cw-bin-'));
  web = await startHttp((_req, res) => res.end('ok'));
}, 60_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await web.close();
});

describe('dist/centerwatch-agent.mjs', () => {
  it('runs every probe kind from the bundle', async () => {
    const closed = await closedPort();
    const file = join(dir, 'all.yaml');
    writeFileSync(
      file,
      `center: { id: c, name: c, province: quang-ngai }
agent: { id: a, listen: "127.0.0.1:0" }
lines: [{ name: lo, source: 127.0.0.1 }]
checks:
  - { id: k-icmp, kind: icmp, target: 127.0.0.1, line: lo, timeout: 3s }
  - { id: k-tcp, kind: tcp, target: "127.0.0.1:${web.port}" }
  - { id: k-http, kind: http, target: "http://127.0.0.1:${web.port}/" }
  - { id: k-dns, kind: dns, target: cw.test, options: { server: "127.0.0.1:${closed}" }, timeout: 1s }
  - { id: k-host, kind: host }
  - { id: k-postgres, kind: postgres, target: "127.0.0.1:5432", options: { user: postgres, database: test } }
  - { id: k-mysql, kind: mysql, target: "127.0.0.1:3306", options: { user: root } }
  - { id: k-redis, kind: redis, target: "127.0.0.1:6379" }
  - { id: k-mssql, kind: mssql, target: "127.0.0.1:${closed}", options: { user: sa, password: x } }
  - { id: k-oracle, kind: oracle, target: "127.0.0.1:${closed}", options: { user: s, password: x } }
  - { id: k-mongodb, kind: mongodb, target: "127.0.0.1:${closed}", options: { user: a, password: x } }
  - { id: k-printer-ipp, kind: printer, target: "ipp://127.0.0.1:${closed}/ipp/print" }
  - { id: k-printer-snmp, kind: printer, target: "127.0.0.1:${closed}", options: { protocol: snmp } }
  - { id: k-printer-cups, kind: printer, target: "q1@127.0.0.1:${closed}", options: { protocol: cups } }
  - { id: k-scanner, kind: scanner, target: "http://127.0.0.1:${closed}/eSCL" }
  - { id: k-usb, kind: usb, options: { vendor_id: "04a9" } }
  - { id: k-ups, kind: ups, target: "127.0.0.1:${closed}" }
  - { id: k-ntp, kind: ntp, target: "127.0.0.1:${closed}", timeout: 2s }
`,
    );
    const out = await new Promise<string>((resolve) =>
      execFile('dist/centerwatch-agent.mjs', ['--once', '--config', file], { encoding: 'utf8', timeout: 60_000 }, (_e, stdout, stderr) =>
        resolve(stdout + stderr),
      ),
    );
    const row = (id: string) => out.split('\n').find((l) => l.startsWith(`${id} `)) ?? `${id}: no row in\n${out}`;
    for (const id of ['k-icmp', 'k-tcp', 'k-http', 'k-host', 'k-postgres', 'k-mysql', 'k-redis']) expect(row(id)).toMatch(/\sUP\s+ok\s/);
    for (const id of ['k-mssql', 'k-oracle', 'k-mongodb', 'k-printer-ipp', 'k-printer-snmp', 'k-printer-cups', 'k-scanner', 'k-ups', 'k-ntp'])
      expect(row(id)).toMatch(/\sDOWN\s+refused\s/);
    // No USB bus on a CI machine: missing; on a PC with a Canon scanner plugged in, up.
    expect(row('k-usb')).toMatch(/\s(DOWN\s+missing|UP\s+ok)\s/);
    expect(row('k-dns')).toMatch(/\sDOWN\s+(refused|timeout)\s/);
    expect(out).not.toContain('internal_error');
  }, 90_000);
});
