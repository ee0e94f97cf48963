import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scannerProbe } from '../../agent/probes/scanner.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { commandExists, startHttp } from '../helpers/servers.js';
import { serviceUp } from '../helpers/services.js';

const opts = scannerProbe.options.parse({});
const haveScanimage = commandExists('scanimage');
const haveSaned = commandExists('saned') || commandExists('/usr/sbin/saned');

/*
 * The SANE net backend always dials port 6566 (sane-port), so saned and the silent peer each
 * get a loopback address of their own, picked at random to stay clear of other tests.
 */
const octet = (): number => 2 + Math.floor(Math.random() * 250);
const SANED_ADDR = `127.${100 + Math.floor(Math.random() * 100)}.${octet()}.${octet()}`;
const SILENT_ADDR = `127.${200 + Math.floor(Math.random() * 50)}.${octet()}.${octet()}`;

let dir = '';
const savedConfigDir = process.env.SANE_CONFIG_DIR;
let saned: ChildProcess | undefined;
const silentSockets: Socket[] = [];
const servers: Server[] = [];
const closers: (() => Promise<void>)[] = [];

/** A SANE config dir with the given dll.conf backends and optional net.conf lines. */
async function saneConfig(name: string, backends: string[], netHosts: string[] = []): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'dll.conf'), `${backends.join('\n')}\n`);
  await writeFile(join(d, 'net.conf'), `connect_timeout = 2\n${netHosts.join('\n')}\n`);
  return d;
}

function useSane(configDir: string): void {
  process.env.SANE_CONFIG_DIR = configDir;
}

/** Accepts connections and never answers; every accepted socket is kept to check it is closed. */
async function silentListener(host: string, port: number): Promise<number> {
  const server = createServer((s) => {
    s.on('error', () => {});
    // Read (and drop) what the client sends, or its FIN would never be seen and close never come.
    s.resume();
    silentSockets.push(s);
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cw-scanner-'));
});

afterAll(async () => {
  if (savedConfigDir === undefined) delete process.env.SANE_CONFIG_DIR;
  else process.env.SANE_CONFIG_DIR = savedConfigDir;
  if (saned && saned.exitCode === null) {
    const gone = new Promise((resolve) => saned!.once('exit', resolve));
    saned.kill('SIGKILL');
    await gone;
  }
  for (const s of silentSockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(closers.map((c) => c()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scanner sane: via scanimage -L', () => {
  it('is up for a device the test backend lists, by name and by pattern', async () => {
    if (!requireService(haveScanimage, 'scanimage (sane-utils) not installed')) return;
    useSane(await saneConfig('local', ['test']));
    const byName = await scannerProbe.run('sane:test:1', opts, makeCtx());
    expect(byName).toMatchObject({ up: true, reason: 'ok', message: 'test:1' });
    const byPattern = await scannerProbe.run('sane:test:\\d+', opts, makeCtx());
    expect(byPattern).toMatchObject({ up: true, message: 'test:0, test:1' });
  });

  it('is missing when no listed device matches, or none is listed', async () => {
    if (!requireService(haveScanimage, 'scanimage (sane-utils) not installed')) return;
    useSane(await saneConfig('local', ['test']));
    expect(await scannerProbe.run('sane:genesys:libusb:001:004', opts, makeCtx())).toMatchObject({ up: false, reason: 'missing' });
    // A pattern is anchored: `test:` must not select `test:0`.
    expect(await scannerProbe.run('sane:test:', opts, makeCtx())).toMatchObject({ up: false, reason: 'missing' });
    useSane(await saneConfig('none', []));
    expect(await scannerProbe.run('sane:test:0', opts, makeCtx())).toMatchObject({
      up: false,
      reason: 'missing',
      message: 'no SANE device matches (0 listed)',
    });
  });

  it('reports a missing scanimage as missing_binary', async () => {
    const r = await scannerProbe.run('sane:test:0', scannerProbe.options.parse({ scanimage: join(dir, 'no-such-scanimage') }), makeCtx());
    expect(r).toMatchObject({ up: false, reason: 'missing_binary' });
  });

  it('sees a saned scanner through the net backend', async () => {
    if (!requireService(haveScanimage && haveSaned, 'scanimage/saned (sane-utils) not installed')) return;
    const srv = await saneConfig('saned', ['test']);
    await writeFile(join(srv, 'saned.conf'), '127.0.0.0/8\n');
    saned = spawn('saned', ['-l', '-e', '-d', '0', '-b', SANED_ADDR, '-p', '6566'], {
      env: { ...process.env, SANE_CONFIG_DIR: srv, PATH: `${process.env.PATH}:/usr/sbin` },
      stdio: 'ignore',
    });
    let listening = false;
    for (let i = 0; i < 50 && !listening; i++) {
      listening = await serviceUp(6566, SANED_ADDR);
      if (!listening) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listening).toBe(true);
    useSane(await saneConfig('client', ['net'], [SANED_ADDR]));
    const r = await scannerProbe.run(`sane:net:${SANED_ADDR}:test:0`, opts, makeCtx());
    expect(r).toMatchObject({ up: true, reason: 'ok', message: `net:${SANED_ADDR}:test:0` });
  });

  it('kills scanimage at the deadline when saned never answers', async () => {
    if (!requireService(haveScanimage, 'scanimage (sane-utils) not installed')) return;
    await silentListener(SILENT_ADDR, 6566);
    useSane(await saneConfig('silent', ['net'], [SILENT_ADDR]));
    const started = performance.now();
    const r = await scannerProbe.run('sane:net:.*', opts, makeCtx({ timeoutMs: 1000 }));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2000);
    // scanimage held a connection to the silent peer; its death closes it.
    expect(silentSockets.length).toBeGreaterThan(0);
    await Promise.all(silentSockets.filter((s) => !s.closed).map((s) => new Promise((resolve) => s.once('close', resolve))));
    expect(silentSockets.every((s) => s.closed)).toBe(true);
  });
});

/** A ScannerStatus document as eSCL scanners serve it (Mopria eSCL, version 2.63). */
function scannerStatus(state: string, adf?: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerStatus xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
  <pwg:Version>2.63</pwg:Version>
  <pwg:State>${state}</pwg:State>${adf ? `\n  <scan:AdfState>${adf}</scan:AdfState>` : ''}
  <scan:Jobs>
    <scan:JobInfo>
      <pwg:JobUri>/eSCL/ScanJobs/7c3a1f0e</pwg:JobUri>
      <pwg:JobUuid>urn:uuid:7c3a1f0e-7d2b-4bd0-9a51-0c2e4c2f6b1a</pwg:JobUuid>
      <scan:Age>42</scan:Age>
      <pwg:ImagesCompleted>1</pwg:ImagesCompleted>
      <pwg:ImagesToTransfer>0</pwg:ImagesToTransfer>
      <pwg:JobState>Completed</pwg:JobState>
      <pwg:JobStateReasons><pwg:JobStateReason>JobCompletedSuccessfully</pwg:JobStateReason></pwg:JobStateReasons>
    </scan:JobInfo>
  </scan:Jobs>
</scan:ScannerStatus>
`;
}

describe('scanner eSCL: GET {base}/ScannerStatus', () => {
  const STATUS: Record<string, string> = {
    '/idle/eSCL/ScannerStatus': scannerStatus('Idle', 'ScannerAdfEmpty'),
    '/busy/eSCL/ScannerStatus': scannerStatus('Processing', 'ScannerAdfLoaded'),
    '/stopped/eSCL/ScannerStatus': scannerStatus('Stopped'),
    '/jam/eSCL/ScannerStatus': scannerStatus('Stopped', 'ScannerAdfJam'),
    '/idlejam/eSCL/ScannerStatus': scannerStatus('Idle', 'ScannerAdfJam'),
  };
  let base = '';
  const seen: { path: string; remote: string }[] = [];

  beforeAll(async () => {
    const http = await startHttp((req, res) => {
      seen.push({ path: req.url ?? '', remote: req.socket.remoteAddress ?? '' });
      const body = STATUS[req.url ?? ''];
      if (req.url === '/login/eSCL/ScannerStatus') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>');
      } else if (body) {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(body);
      } else {
        res.writeHead(404).end();
      }
    });
    closers.push(http.close);
    base = `http://127.0.0.1:${http.port}`;
  });

  it('is up when Idle (an empty ADF is fine), with the state info gauge', async () => {
    const r = await scannerProbe.run(`${base}/idle/eSCL`, opts, makeCtx());
    expect(r).toMatchObject({ up: true, reason: 'ok', observations: [{ metric: 'scannerStateInfo', value: 1, labels: { state: 'idle' } }] });
    expect(r.phases?.connect).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)?.path).toBe('/idle/eSCL/ScannerStatus');
  });

  it('is up while Processing; a trailing slash on the base is fine', async () => {
    const r = await scannerProbe.run(`${base}/busy/eSCL/`, opts, makeCtx());
    expect(r).toMatchObject({ up: true, observations: [{ labels: { state: 'processing' } }] });
  });

  it('is down (offline) when Stopped', async () => {
    const r = await scannerProbe.run(`${base}/stopped/eSCL`, opts, makeCtx());
    expect(r).toMatchObject({ up: false, reason: 'offline', observations: [{ labels: { state: 'stopped' } }] });
  });

  it('is down with media_jam when stopped by an ADF jam, degraded when still idle', async () => {
    expect(await scannerProbe.run(`${base}/jam/eSCL`, opts, makeCtx())).toMatchObject({
      up: false,
      reason: 'media_jam',
      message: 'state stopped, ScannerAdfJam',
    });
    expect(await scannerProbe.run(`${base}/idlejam/eSCL`, opts, makeCtx())).toMatchObject({ up: true, degraded: true, reason: 'media_jam' });
  });

  it('fails on an HTTP error or an answer that is not a ScannerStatus', async () => {
    expect(await scannerProbe.run(`${base}/printer-only/eSCL`, opts, makeCtx())).toMatchObject({ up: false, reason: 'http_status' });
    expect(await scannerProbe.run(`${base}/login/eSCL`, opts, makeCtx())).toMatchObject({ up: false, reason: 'protocol' });
  });

  it('binds to the line source address', async () => {
    const r = await scannerProbe.run(`${base}/idle/eSCL`, opts, makeCtx({ line: { name: 'lan', source: '127.0.0.2' } }));
    expect(r.up).toBe(true);
    expect(seen.at(-1)?.remote).toBe('127.0.0.2');
  });

  it('is refused when nothing listens, and rejects a target of neither form', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await scannerProbe.run(`http://127.0.0.1:${port}/eSCL`, opts, makeCtx())).toMatchObject({ up: false, reason: 'refused' });
    expect(await scannerProbe.run('scanner-3', opts, makeCtx())).toMatchObject({ up: false, reason: 'config' });
  });

  it('times out within the deadline + 1 s on a silent HTTP listener, closing its connection', async () => {
    const port = await silentListener('127.0.0.1', 0);
    const before = silentSockets.length;
    const started = performance.now();
    const r = await scannerProbe.run(`http://127.0.0.1:${port}/eSCL`, opts, makeCtx({ timeoutMs: 1000 }));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2000);
    const mine = silentSockets.slice(before);
    expect(mine).toHaveLength(1);
    await new Promise((resolve) => (mine[0]!.closed ? resolve(undefined) : mine[0]!.once('close', resolve)));
    expect(mine[0]!.closed).toBe(true);
  });
});
