import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printerProbe } from '../../agent/probes/printer.js';
import type { ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { serviceUp } from '../helpers/services.js';
import { closedPort, openSockets, timed } from '../helpers/sockets.js';

const have = commandExists('ippeveprinter') && commandExists('ipptool') && commandExists('dbus-daemon');
const why = 'ippeveprinter, ipptool and dbus-daemon are needed (cups-ipp-utils, dbus)';
const ipp = printerProbe.options.parse({});

let dir = '';
const children: ChildProcess[] = [];
const servers: Server[] = [];
const accepted: Socket[] = [];
let busAddress = '';

/** Starts a child in its own process group, so stopping it also stops the print commands it runs. */
function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, { cwd: dir, detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
  child.on('error', () => {});
  children.push(child);
  return child;
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come`);
}

/**
 * A real IPP Everywhere printer (CUPS's ippeveprinter) on a free loopback port, with extra
 * attributes from a conf file and an optional print command. ippeveprinter insists on DNS-SD
 * even with `-r off`, so it gets a private D-Bus daemon (started once) to initialise against.
 * `-n localhost`, not 127.0.0.1: it wants both an IPv4 and an IPv6 listener.
 */
async function startPrinter(name: string, attrs: string[], command?: string, extra: string[] = []): Promise<string> {
  const pdir = join(dir, name);
  await mkdir(join(pdir, 'spool'), { recursive: true });
  const conf = join(pdir, 'attrs.conf');
  await writeFile(conf, ['ATTR mimeMediaType document-format-supported application/octet-stream,text/plain', ...attrs, ''].join('\n'));
  const port = await closedPort();
  const args = ['-p', String(port), '-n', 'localhost', '-r', 'off', '-a', conf, '-d', join(pdir, 'spool'), ...extra];
  if (command) {
    const script = join(pdir, 'print.sh');
    await writeFile(script, `#!/bin/sh\n${command}\n`);
    await chmod(script, 0o755);
    args.push('-c', script);
  }
  start('ippeveprinter', [...args, `cw-${name}`], { DBUS_SYSTEM_BUS_ADDRESS: busAddress });
  await waitFor(() => serviceUp(port), `ippeveprinter ${name}`);
  return `ipp://127.0.0.1:${port}/ipp/print`;
}

/** Submits a small text job with ipptool (the printer then runs its print command). */
function printJob(uri: string): void {
  const r = spawnSync('ipptool', ['-f', join(dir, 'doc.txt'), '-d', 'filetype=text/plain', '-t', uri, 'print-job.test'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status !== 0) throw new Error(`print-job failed: ${r.stdout}${r.stderr}`);
}

/** printer-state-reasons as ipptool reads them: what the printer says, independently of the probe. */
function stateReasons(uri: string): string {
  const r = spawnSync('ipptool', ['-tv', uri, join(dir, 'reasons.test')], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  return /printer-state-reasons \([^)]*\) = (.*)/.exec(r.stdout)?.[1] ?? '';
}

async function probe(target: string, timeoutMs = 3000, line?: { name: string; source?: string }): Promise<ProbeResult> {
  return printerProbe.run(target, ipp, makeCtx({ timeoutMs, ...(line ? { line } : {}) }));
}

const supplies = (r: ProbeResult): Record<string, number> =>
  Object.fromEntries((r.observations ?? []).filter((o) => o.metric === 'supply_level').map((o) => [o.labels!.supply!, o.value]));

let idleUri = '';

beforeAll(async () => {
  if (!have) return;
  dir = await mkdtemp(join(tmpdir(), 'cw-ipp-'));
  await writeFile(join(dir, 'doc.txt'), 'centerwatch test page\n');
  await writeFile(
    join(dir, 'reasons.test'),
    [
      '{',
      ' OPERATION Get-Printer-Attributes',
      ' GROUP operation-attributes-tag',
      ' ATTR charset attributes-charset utf-8',
      ' ATTR naturalLanguage attributes-natural-language en',
      ' ATTR uri printer-uri $uri',
      ' ATTR keyword requested-attributes printer-state-reasons',
      '}',
      '',
    ].join('\n'),
  );
  const bus = join(dir, 'bus');
  busAddress = `unix:path=${bus}`;
  start('dbus-daemon', ['--session', `--address=${busAddress}`, '--nofork']);
  await waitFor(async () => spawnSync('test', ['-S', bus]).status === 0, 'dbus-daemon');
  idleUri = await startPrinter('idle', [
    'ATTR name marker-names "Black Toner","Cyan Toner","Waste"',
    'ATTR integer marker-levels 80,5,-2',
    'ATTR keyword marker-types toner,toner,waste-toner',
    'ATTR name marker-colors "#000000","#00FFFF","none"',
  ]);
});

afterAll(async () => {
  for (const c of children.reverse()) {
    if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
    const gone = new Promise((r) => c.once('exit', r));
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      continue; // already gone
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
  }
  for (const s of accepted) s.destroy();
  for (const s of servers) await new Promise((r) => s.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('printer probe, IPP, against ippeveprinter', () => {
  it('reads an idle printer as up, with its supply levels and queue', async (t) => {
    if (!requireService(have, why)) return t.skip();
    const r = await probe(idleUri);
    expect(r).toMatchObject({ up: true, reason: 'ok', degraded: false });
    expect(supplies(r)).toEqual({ black_toner: 0.8, cyan_toner: 0.05 });
    expect(r.observations).toContainEqual({ metric: 'low_supply_ratio', value: 0.05 });
    expect(r.observations).toContainEqual({ metric: 'queued_jobs', value: 0 });
    expect(r.phases?.connect).toBeGreaterThan(0);
  });

  it('accepts the http:// form of the same printer and binds to the line source', async (t) => {
    if (!requireService(have, why)) return t.skip();
    const http = idleUri.replace('ipp://', 'http://');
    expect(await probe(http, 3000, { name: 'lo', source: '127.0.0.1' })).toMatchObject({ up: true, reason: 'ok' });
    // An address this host does not have cannot be bound: proof the request leaves from the line's address.
    expect(await probe(http, 3000, { name: 'gone', source: '192.0.2.77' })).toMatchObject({ up: false, reason: 'unreachable' });
  });

  it("reports the printer's state reasons while it prints (media empty → media_empty, toner low → marker_low)", async (t) => {
    if (!requireService(have, why)) return t.skip();
    // ippeveprinter suffixes device reasons by its state: -warning while processing, -report when idle.
    const empty = await startPrinter('empty', [], 'echo "STATE: +media-empty,toner-low" >&2\ncat >/dev/null\nsleep 60');
    const low = await startPrinter('low', [], 'echo "STATE: +toner-low" >&2\ncat >/dev/null\nsleep 60');
    printJob(empty);
    printJob(low);
    let r = await probe(empty);
    await waitFor(async () => (r = await probe(empty)).degraded === true, 'media-empty reason');
    expect(r).toMatchObject({ up: true, degraded: true, reason: 'media_empty', message: 'media-empty-warning' });
    expect(r.observations).toContainEqual({ metric: 'queued_jobs', value: 1 });
    let l = await probe(low);
    await waitFor(async () => (l = await probe(low)).degraded === true, 'toner-low reason');
    expect(l).toMatchObject({ up: true, degraded: true, reason: 'marker_low' });
  });

  it('speaks ipps://: verifies the certificate, or trusts a ca_file, or skips verification when told', async (t) => {
    if (!requireService(have, why)) return t.skip();
    // With -K ippeveprinter makes a self-signed certificate for its host name (localhost) and accepts TLS on its port.
    const keys = join(dir, 'keys');
    await mkdir(keys, { recursive: true });
    const uri = (await startPrinter('tls', [], undefined, ['-K', keys])).replace('ipp://', 'ipps://');
    expect(await probe(uri)).toMatchObject({ up: false, reason: 'tls' });
    const run = (target: string, o: object): Promise<ProbeResult> => printerProbe.run(target, printerProbe.options.parse(o), makeCtx({ timeoutMs: 3000 }));
    const skipped = await run(uri, { insecure_skip_verify: true });
    expect(skipped).toMatchObject({ up: true, reason: 'ok' });
    expect(skipped.phases?.tls).toBeGreaterThan(0);
    const trusted = await run(uri.replace('127.0.0.1', 'localhost'), { ca_file: join(keys, 'localhost.crt') });
    expect(trusted).toMatchObject({ up: true, reason: 'ok' });
  });

  it('treats reasons reported while idle as informational', async (t) => {
    if (!requireService(have, why)) return t.skip();
    const done = await startPrinter('done', [], 'echo "STATE: +media-empty" >&2\ncat >/dev/null');
    printJob(done);
    // Once the job has ended the printer is idle again and says media-empty-report.
    await waitFor(async () => stateReasons(done).includes('media-empty-report'), 'media-empty-report', 8000);
    expect(await probe(done)).toMatchObject({ up: true, reason: 'ok', degraded: false, message: 'idle' });
  });
});

describe('printer probe, IPP, failures', () => {
  it('fails with timeout within the deadline + 1 s on a peer that accepts and never answers, leaking no socket', async () => {
    const server = createServer((s) => {
      s.on('error', () => {});
      s.resume();
      accepted.push(s);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const before = openSockets();
    const [r, ms] = await timed(probe(`ipp://127.0.0.1:${port}/ipp/print`, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeLessThan(2000);
    for (const s of accepted) s.destroy();
    await new Promise((res) => setTimeout(res, 100));
    expect(openSockets()).toBeLessThanOrEqual(before);
  });

  it('fails with refused on a closed port and with config on a target that is not a URL', async () => {
    const port = await closedPort();
    expect(await probe(`ipp://127.0.0.1:${port}/ipp/print`)).toMatchObject({ up: false, reason: 'refused' });
    expect(await probe(`127.0.0.1:${port}`)).toMatchObject({ up: false, reason: 'config' });
  });

  it('fails with protocol when the peer speaks HTTP but not IPP', async () => {
    const server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello'));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    expect(await probe(`http://127.0.0.1:${port}/ipp/print`)).toMatchObject({ up: false, reason: 'protocol' });
  });
});
