/**
 * chronyd (Debian chrony) as a real NTP server on a loopback port, and UDP ports that never answer:
 * the peers of the ntp probe's tests (the probe's own and the packaged agent's under Wine).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ntpProbe } from '../../agent/probes/ntp.js';
import { makeCtx } from './ctx.js';
import { waitFor } from './nut.js';

export const CHRONYD = '/usr/sbin/chronyd';

/** A loopback UDP port that receives and never answers (a silent NTP server). */
export async function silentUdp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

export async function freeUdpPort(): Promise<number> {
  const s = await silentUdp();
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(resolve));
  return port;
}

/** A chronyd serving on a free loopback port from a temp dir; `local`: serve the host clock as synchronised. */
export async function startChronyd(local: boolean): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-chrony-'));
  const port = await freeUdpPort();
  const conf = join(dir, 'chrony.conf');
  // `local stratum 8`: serve the host clock with no upstream; cmdport 0: no control socket.
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bindaddress 127.0.0.1',
      ...(local ? ['local stratum 8'] : []),
      'allow 127.0.0.1',
      'cmdport 0',
      `driftfile ${join(dir, 'drift')}`,
      `pidfile ${join(dir, 'chronyd.pid')}`,
      '',
    ].join('\n'),
  );
  // -d: foreground; -x: never touch the system clock; -u root: keep access to the temp dir.
  const child: ChildProcess = spawn(CHRONYD, ['-f', conf, '-d', '-x', '-u', 'root'], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Until chronyd listens the port is closed (refused); an unsynchronised one serves once it answers at all.
    await waitFor(async () => {
      const r = await ntpProbe.run(`127.0.0.1:${port}`, ntpProbe.options.parse({}), makeCtx({ timeoutMs: 500 }));
      return local ? r.up : r.reason !== 'refused' && r.reason !== 'timeout';
    }, 10000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}
