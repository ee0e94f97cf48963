import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V3User } from './snmpd.js';

/** A Debian `snmpd` serving the IF-MIB of a network namespace: the namespace's own interfaces are the device's. */
export interface NamespaceSnmpd {
  /** `address:port` to probe. */
  target: string;
  stop(): Promise<void>;
}

/**
 * Starts `snmpd` inside namespace `ns`, listening on `address:port`, answering community `public`
 * from `client` only (and the v3 user, SHA/AES authPriv, when given). Ready once it answers a GET.
 */
export async function startNamespaceSnmpd(ns: string, address: string, client: string, v3?: V3User, port = 161): Promise<NamespaceSnmpd> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-snmpd-ns-'));
  const conf = join(dir, 'snmpd.conf');
  const lines = [
    `rocommunity public ${client}`,
    ...(v3 ? [`createUser ${v3.name} SHA "${v3.authPassword}" AES "${v3.privPassword}"`, `rouser ${v3.name} priv`] : []),
  ];
  writeFileSync(conf, lines.join('\n') + '\n');
  // `ip netns exec` execs snmpd: the child is snmpd itself. No MIB files: numeric OIDs only.
  const child = spawn('ip', ['netns', 'exec', ns, 'snmpd', '-f', '-Lo', '-C', '-c', conf, `udp:${address}:${port}`], {
    env: { ...process.env, MIBS: '', MIBDIRS: join(dir, 'mibs'), SNMP_PERSISTENT_DIR: join(dir, 'persist') },
    stdio: 'ignore',
  });
  const stop = async (): Promise<void> => {
    await ended(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await answers(address, port)) return { target: `${address}:${port}`, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`snmpd did not answer on ${address}:${port} in namespace ${ns}`);
}

/** One GET of sysUpTime.0 with the net-snmp command-line client. */
function answers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'snmpget',
      ['-v2c', '-c', 'public', '-t', '0.3', '-r', '0', `udp:${address}:${port}`, '1.3.6.1.2.1.1.3.0'],
      { env: { ...process.env, MIBS: '' } },
      (err) => resolve(!err),
    );
  });
}

function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
