import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsbProbe, usbProbe } from '../../agent/probes/usb.js';
import { USB_SOURCES } from '../../agent/platform/usb.js';
import { SPOOLER_READERS } from '../../agent/platform/printer.js';
import { IMAGING_DEVICE_READERS, localScannerUnsupported } from '../../agent/platform/scanner.js';
import { runSpoolerPrinter, spoolerVerdict } from '../../agent/probes/printer-spooler.js';
import { scannerProbe } from '../../agent/probes/scanner.js';
import { wiaVerdict } from '../../agent/probes/scanner-wia.js';
import { POWERSHELL_ARGS, PowerShellSession } from '../../agent/platform/win32/powershell.js';
import { configureSharedPowerShell, sharedPowerShellLeases } from '../../agent/platform/win32/powershell-shared.js';
import { makeCtx } from '../helpers/ctx.js';

/*
 * The Windows device checks end to end on Linux: the win32 implementations of the platform seam,
 * through the agent's shared PowerShell session, against test/helpers/fake-powershell.mjs answering
 * with the recorded CIM fixtures. No real PowerShell runs here: this machine has none, and Wine
 * ships no PowerShell either, so powershell.exe's own start-up and CIM calls are not measured.
 */

const FAKE = fileURLToPath(new URL('../helpers/fake-powershell.mjs', import.meta.url));
const CIM = fileURLToPath(new URL('../fixtures/windows/cim/', import.meta.url));
const fakeShell = { command: process.execPath, args: [FAKE, ...POWERSHELL_ARGS] };

beforeAll(() => {
  process.env.FAKE_PS_ANSWERS = JSON.stringify({
    Win32_PrintJob: `${CIM}printers-vi.json`,
    "PNPClass = 'Image'": `${CIM}scanner-devices-vi.json`,
    Win32_PnPEntity: `${CIM}usb-devices-vi.json`,
  });
  configureSharedPowerShell(fakeShell);
});
afterAll(() => configureSharedPowerShell({}));

const usbOpts = (o: Record<string, unknown>) => usbProbe.options.parse(o);

describe('Windows device checks through the shared PowerShell (fake)', () => {
  it('usb: the signing token and two card readers by VID/PID, the QR scanner without a driver missing with its problem code', async () => {
    const probe = createUsbProbe(USB_SOURCES.win32);
    const ctx = makeCtx();
    expect(await probe.run('token', usbOpts({ vendor_id: '096e', product_id: '0807' }), ctx)).toMatchObject({
      up: true,
      observations: [{ metric: 'devices', value: 1 }],
    });
    expect(await probe.run('readers', usbOpts({ vendor_id: '072f', min_count: 2 }), ctx)).toMatchObject({
      up: true,
      observations: [{ metric: 'devices', value: 2 }],
    });
    const qr = await probe.run('qr', usbOpts({ vendor_id: '0c2e', product_id: '0b61' }), ctx);
    expect(qr).toMatchObject({ up: false, reason: 'missing', message: '0 of 1 matching USB devices present; 0c2e:0b61 problem 28 (drivers not installed)' });
    expect(await probe.run('by name', usbOpts({ name: 'đọc thẻ' }), ctx)).toMatchObject({ up: true, observations: [{ metric: 'devices', value: 2 }] });
    expect(sharedPowerShellLeases()).toBe(1);
    await ctx.closeSessions();
    expect(sharedPowerShellLeases()).toBe(0);
  });

  it('printer spooler: the counter printer whose job is in error is offline; the PDF queue is up', async () => {
    const ctx = makeCtx();
    const snap = await SPOOLER_READERS.win32(ctx);
    expect(snap.ok).toBe(true);
    if (!snap.ok) return;
    expect(spoolerVerdict(snap.value, 'Máy in quầy 3 (Canon LBP2900)', {})).toMatchObject({ up: false, reason: 'offline' });
    expect(spoolerVerdict(snap.value, 'Microsoft Print to PDF', {})).toMatchObject({ up: true });
    await ctx.closeSessions();
    // On this Linux machine the protocol itself is not supported (the runner says so before run).
    expect(await runSpoolerPrinter('Microsoft Print to PDF', { protocol: 'spooler' }, makeCtx())).toMatchObject({ up: false, reason: 'not_supported' });
  });

  it('scanner: WIA devices through the session; sane: targets are not supported on Windows', async () => {
    const ctx = makeCtx();
    const listed = await IMAGING_DEVICE_READERS.win32(ctx);
    expect(listed.ok && wiaVerdict(listed.value, 'CanoScan LiDE 300')).toMatchObject({ up: true });
    expect(localScannerUnsupported('sane', 'win32')).toContain('scanner on Windows: SANE does not run on Windows');
    expect(localScannerUnsupported('wia', 'linux')).toContain('scanner on Linux: WIA exists only on Windows');
    expect(localScannerUnsupported('sane', 'linux')).toBeUndefined();
    // Said before running (the runner and --check-config ask unsupportedOn), by the target's scheme.
    const scannerOpts = scannerProbe.options.parse({});
    expect(scannerProbe.unsupportedOn?.('linux', scannerOpts, 'wia:CanoScan.*')).toContain('WIA exists only on Windows');
    expect(scannerProbe.unsupportedOn?.('win32', scannerOpts, 'sane:genesys')).toContain('SANE does not run on Windows');
    expect(scannerProbe.unsupportedOn?.('win32', scannerOpts, 'wia:CanoScan.*')).toBeUndefined();
    expect(scannerProbe.unsupportedOn?.('win32', scannerOpts, 'http://127.0.0.1:8080/eSCL')).toBeUndefined();
    expect(await scannerProbe.run('wia:CanoScan.*', scannerProbe.options.parse({}), makeCtx())).toMatchObject({ up: false, reason: 'not_supported' });
    await ctx.closeSessions();
  });

  it('a check whose deadline passes while the shell hangs fails as timeout within the deadline plus a margin', async () => {
    const s = new PowerShellSession(fakeShell);
    const probe = createUsbProbe((ctx) => s.query("'fake:hang'", ctx.signal).then(() => ({ ok: false as const, reason: 'timeout' as const, message: 'x' })));
    const t0 = performance.now();
    const r = await probe.run('', usbOpts({ vendor_id: '04a9' }), makeCtx({ timeoutMs: 300 }));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(300 + 250);
    await s.close();
  });
});

/** CPU seconds of this process's reaped children (utime + stime of /proc/self/stat, 100 ticks/s). */
function childrenCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}
function processCpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

describe('cost of a query: one session vs a shell per query (fake shell)', () => {
  it('prints the figures', async () => {
    const N = 200;
    const session = new PowerShellSession(fakeShell);
    await session.query("'fake:echo'", AbortSignal.timeout(5000)); // start-up, not counted
    const cpu0 = processCpu(session.pid!);
    const t0 = performance.now();
    for (let i = 0; i < N; i++) expect((await session.query('Win32_PnPEntity', AbortSignal.timeout(5000))).ok).toBe(true);
    const sessionMs = (performance.now() - t0) / N;
    const sessionCpuMs = ((processCpu(session.pid!) - cpu0) * 1000) / N;
    await session.close();

    const M = 20;
    const c0 = childrenCpu();
    const t1 = performance.now();
    for (let i = 0; i < M; i++) {
      const fresh = new PowerShellSession(fakeShell);
      expect((await fresh.query('Win32_PnPEntity', AbortSignal.timeout(5000))).ok).toBe(true);
      await fresh.close();
    }
    const spawnMs = (performance.now() - t1) / M;
    const spawnCpuMs = ((childrenCpu() - c0) * 1000) / M;
    console.log(
      `windows-devices bench (fake powershell = node ${process.version}): session round trip ${sessionMs.toFixed(2)} ms wall, ` +
        `${sessionCpuMs.toFixed(2)} ms shell CPU per query (${N} queries); shell per query ${spawnMs.toFixed(1)} ms wall, ` +
        `${spawnCpuMs.toFixed(1)} ms shell CPU per query (${M} spawns). Real powershell.exe start-up (0.3-1 s CPU) not measurable here.`,
    );
    expect(sessionMs).toBeLessThan(spawnMs);
  });
});
