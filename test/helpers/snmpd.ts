import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether the net-snmp agent binary is installed. */
export function snmpdAvailable(): boolean {
  return spawnSync('snmpd', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** A free loopback UDP port (bound once by the kernel, then released). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** What the emulated printer answers. */
export interface PrinterState {
  /** hrPrinterStatus (3 idle). */
  status: number;
  /** hrPrinterDetectedErrorState octets, e.g. [0x40, 0x00] for noPaper. */
  errorState: number[];
  supplies: Array<{ description: string; max: number; level: number }>;
}

export interface V3User {
  name: string;
  authPassword: string;
  privPassword: string;
}

export interface Snmpd {
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a private `snmpd` on a free loopback UDP port whose hrPrinterTable and
 * prtMarkerSuppliesTable rows come from `override` lines (printer index 1), with community
 * `public` and optionally a v3 user (SHA/AES, authPriv). Runs in a temp dir; `stop` kills it and cleans up.
 */
export async function startSnmpd(state: PrinterState, v3?: V3User): Promise<Snmpd> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-snmpd-'));
  const hex = state.errorState.map((b) => b.toString(16).padStart(2, '0')).join('');
  const lines = [
    'rocommunity public 127.0.0.1',
    ...(v3 ? [`createUser ${v3.name} SHA "${v3.authPassword}" AES "${v3.privPassword}"`, `rouser ${v3.name} priv`] : []),
    `override 1.3.6.1.2.1.25.3.5.1.1.1 integer ${state.status}`,
    `override 1.3.6.1.2.1.25.3.5.1.2.1 octet_str 0x${hex || '00'}`,
    ...state.supplies.flatMap((s, i) => [
      `override 1.3.6.1.2.1.43.11.1.1.6.1.${i + 1} octet_str "${s.description}"`,
      `override 1.3.6.1.2.1.43.11.1.1.8.1.${i + 1} integer ${s.max}`,
      `override 1.3.6.1.2.1.43.11.1.1.9.1.${i + 1} integer ${s.level}`,
    ]),
  ];
  const conf = join(dir, 'snmpd.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  // The port is free when picked; another process could take it before snmpd binds, so retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    const child = spawn('snmpd', ['-f', '-Lo', '-C', '-c', conf, `udp:127.0.0.1:${port}`], {
      // No MIB files: the agent only serves numeric OIDs, and loading them floods stderr.
      env: { ...process.env, MIBS: '', MIBDIRS: join(dir, 'mibs'), SNMP_PERSISTENT_DIR: join(dir, 'persist') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', () => {});
    if (await ready(child, () => out)) {
      return {
        port,
        async stop() {
          await kill(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await kill(child);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('snmpd did not start');
}

/** snmpd prints "NET-SNMP version …" once it listens; it exits at once when the port is taken. */
function ready(child: ChildProcess, out: () => string): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (out().includes('NET-SNMP version')) done(true);
    }, 20);
    const giveUp = setTimeout(() => done(false), 5000);
    const onExit = (): void => done(false);
    child.once('exit', onExit);
    const done = (ok: boolean): void => {
      clearInterval(timer);
      clearTimeout(giveUp);
      child.off('exit', onExit);
      resolve(ok);
    };
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
