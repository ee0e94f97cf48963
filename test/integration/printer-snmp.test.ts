import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { runSnmpPrinter, snmpPrinterOptions } from '../../agent/probes/printer-snmp.js';
import type { LineBinding, ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { openSockets, timed } from '../helpers/sockets.js';
import { freeUdpPort, snmpdAvailable, startSnmpd, type PrinterState, type Snmpd } from '../helpers/snmpd.js';

const available = requireService(snmpdAvailable(), 'snmpd (Debian package snmpd) is not installed');
const USER = { name: 'cwprinter', authPassword: 'cw-auth-secret-1', privPassword: 'cw-priv-secret-1' };

const TONERS = [
  { description: 'Black Toner Cartridge', max: 1000, level: 250 },
  { description: 'Cyan Toner Cartridge', max: 200, level: 200 },
  { description: 'Imaging Drum', max: 100, level: -3 },
];
const STATES: Record<string, PrinterState> = {
  idle: { status: 3, errorState: [0x00, 0x00], supplies: TONERS },
  paperOut: { status: 1, errorState: [0x40, 0x00], supplies: TONERS },
  tonerLow: { status: 4, errorState: [0x20, 0x00], supplies: TONERS },
  jammed: { status: 1, errorState: [0x04, 0x00], supplies: TONERS },
};

const agents: Record<string, Snmpd> = {};
let silent: UdpSocket | undefined;
let silentPort = 0;

beforeAll(async () => {
  // Receives every request and never answers, like a printer behind a filtering switch.
  silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent!.bind(0, '127.0.0.1', resolve));
  silentPort = silent.address().port;
  if (!available) return;
  await Promise.all(
    Object.entries(STATES).map(async ([name, state]) => {
      agents[name] = await startSnmpd(state, name === 'idle' ? USER : undefined);
    }),
  );
}, 20000);

afterAll(async () => {
  silent?.close();
  await Promise.all(Object.values(agents).map((a) => a.stop()));
});

async function run(target: string, options: Record<string, unknown> = {}, timeoutMs = 3000, line?: LineBinding): Promise<ProbeResult> {
  const ctx = makeCtx({ timeoutMs, ...(line ? { line } : {}) });
  const r = await runSnmpPrinter(target, snmpPrinterOptions.parse(options), ctx);
  await ctx.closeSessions();
  return r;
}

describe.runIf(available)('printer probe, SNMP Printer-MIB against snmpd', () => {
  it('idle with no error bits is up, with supply levels as ratios', async () => {
    const r = await run(`127.0.0.1:${agents.idle!.port}`);
    expect(r).toMatchObject({ up: true, reason: 'ok', message: 'idle' });
    expect(r.degraded).toBeUndefined();
    // The drum reports "some remaining" (-3): no ratio, so no sample for it.
    expect(r.observations).toEqual([
      { metric: 'supply_level', value: 0.25, labels: { supply: 'black' } },
      { metric: 'supply_level', value: 1, labels: { supply: 'cyan' } },
    ]);
    expect(r.phases?.request).toBeGreaterThan(0);
  });

  it('paper out is down with media_empty', async () => {
    expect(await run(`127.0.0.1:${agents.paperOut!.port}`)).toMatchObject({ up: false, reason: 'media_empty', message: 'other; noPaper' });
  });

  it('toner low is up but degraded with marker_low', async () => {
    const r = await run(`127.0.0.1:${agents.tonerLow!.port}`);
    expect(r).toMatchObject({ up: true, degraded: true, reason: 'marker_low', message: 'printing; lowToner' });
    expect(r.observations).toHaveLength(2);
  });

  it('a jam is down with media_jam', async () => {
    expect(await run(`127.0.0.1:${agents.jammed!.port}`)).toMatchObject({ up: false, reason: 'media_jam' });
  });

  it('the port option applies when the target names none', async () => {
    expect(await run('127.0.0.1', { port: agents.jammed!.port })).toMatchObject({ up: false, reason: 'media_jam' });
  });

  it('reads the same over SNMPv3 with authPriv (SHA/AES)', async () => {
    const r = await run(`127.0.0.1:${agents.idle!.port}`, {
      version: '3',
      user: USER.name,
      auth_password: USER.authPassword,
      priv_password: USER.privPassword,
    });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.observations).toHaveLength(2);
  });

  it('a wrong v3 password is auth, and no password shows up in the result', async () => {
    const r = await run(`127.0.0.1:${agents.idle!.port}`, {
      version: '3',
      user: USER.name,
      auth_password: 'wrong-password-1',
      priv_password: USER.privPassword,
    });
    expect(r).toMatchObject({ up: false, reason: 'auth' });
    expect(JSON.stringify(r)).not.toMatch(/wrong-password-1|cw-priv-secret-1/);
  });

  it('an unknown v3 user is auth', async () => {
    const r = await run(`127.0.0.1:${agents.idle!.port}`, {
      version: '3',
      user: 'nobody',
      auth_password: USER.authPassword,
      priv_password: USER.privPassword,
    });
    expect(r).toMatchObject({ up: false, reason: 'auth' });
  });

  it('a wrong v2c community times out: agents drop it without a reply', async () => {
    const [r, ms] = await timed(run(`127.0.0.1:${agents.idle!.port}`, { community: 'not-public' }, 500));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeLessThan(1500);
  });

  it('sends from the line source address (the agent only answers 127.0.0.1)', async () => {
    const target = `127.0.0.1:${agents.idle!.port}`;
    expect(await run(target, {}, 3000, { name: 'tslcd', source: '127.0.0.1' })).toMatchObject({ up: true });
    expect(await run(target, {}, 500, { name: 'inet1', source: '127.0.0.2' })).toMatchObject({ up: false, reason: 'timeout' });
  });

  it('leaves no socket open after runs', async () => {
    const before = openSockets();
    for (let i = 0; i < 5; i++) await run(`127.0.0.1:${agents.tonerLow!.port}`);
    await run(`127.0.0.1:${silentPort}`, {}, 300);
    await new Promise((r) => setTimeout(r, 50));
    expect(openSockets()).toBeLessThanOrEqual(before);
  });
});

describe('printer probe, SNMP Printer-MIB failures', () => {
  it('a silent UDP port times out within the deadline + 1 s', async () => {
    const [r, ms] = await timed(run(`127.0.0.1:${silentPort}`, {}, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(2000);
  });

  it('a closed UDP port (ICMP port unreachable) is refused at once, not at the deadline', async () => {
    const port = await freeUdpPort();
    const [r, ms] = await timed(run(`127.0.0.1:${port}`, {}, 3000));
    expect(r).toMatchObject({ up: false, reason: 'refused' });
    expect(ms).toBeLessThan(500);
  });

  it('a malformed target is a config failure', async () => {
    expect(await run('127.0.0.1:99999')).toMatchObject({ up: false, reason: 'config' });
    expect(await run('printer 1')).toMatchObject({ up: false, reason: 'config' });
  });

  it('v3 without a user or passwords is rejected by the schema, naming each field', () => {
    const r = snmpPrinterOptions.safeParse({ version: '3' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['user', 'auth_password', 'priv_password']);
  });

  it('unknown options are rejected', () => {
    expect(snmpPrinterOptions.safeParse({ comunity: 'x' }).success).toBe(false);
  });
});
