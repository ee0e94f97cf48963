import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandExists } from './servers.js';
import { serviceUp } from './services.js';
import { closedPort } from './sockets.js';

/** Whether cupsd and the admin commands the tests drive it with are installed (package `cups`). */
export const cupsdAvailable = ['cupsd', 'lpadmin', 'lp', 'cupsdisable', 'cupsenable', 'cupsreject', 'cupsaccept'].every(commandExists);

/** cupsd runs its backends as `lp`, and refuses to start when not root. */
export const cupsdRunnable = cupsdAvailable && process.getuid?.() === 0;

/** A private cupsd on a loopback port, with its own config, spool, logs and queues. */
export interface Cupsd {
  port: number;
  /** `127.0.0.1:<port>`, for `-h` and the probe's target. */
  server: string;
  /** Runs a CUPS command (lpadmin, lp, cupsdisable, …) against this cupsd; throws with its output when it fails. */
  run(cmd: string, args: string[]): string;
  /** The scheduler's error log, to say why when a test fails. */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

function cupsdConf(port: number): string {
  // No Require lines: anyone on loopback may administer this throwaway scheduler.
  return `Listen 127.0.0.1:${port}
LogLevel warn
WebInterface No
Browsing No
BrowseLocalProtocols none
DefaultAuthType None
<Location />
  Order allow,deny
  Allow from 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  SubscriptionPrivateAccess default
  SubscriptionPrivateValues default
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`;
}

function cupsFilesConf(dir: string): string {
  // FileDevice lets a queue print to file:/dev/null, so no printer is needed behind it.
  return `ServerRoot ${dir}/etc
RequestRoot ${dir}/spool
CacheDir ${dir}/cache
StateDir ${dir}/state
TempDir ${dir}/spool/tmp
ErrorLog ${dir}/log/error_log
AccessLog ${dir}/log/access_log
PageLog ${dir}/log/page_log
FileDevice Yes
SystemGroup root
`;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `cupsd -f` as root on a free 127.0.0.1 port with every directory in a temp dir.
 * The port is free when picked; another process may take it first, so this retries.
 */
export async function startCupsd(): Promise<Cupsd> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-cupsd-'));
  // cupsd drops to `lp` for backends and filters: they must be able to reach the spool.
  await chmod(dir, 0o755);
  for (const d of ['etc', 'spool/tmp', 'cache', 'state', 'log']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'etc/cups-files.conf'), cupsFilesConf(dir));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await closedPort();
    await writeFile(join(dir, 'etc/cupsd.conf'), cupsdConf(port));
    const child = spawn('cupsd', ['-f', '-c', join(dir, 'etc/cupsd.conf'), '-s', join(dir, 'etc/cups-files.conf')], { stdio: 'ignore' });
    child.on('error', () => {});
    const server = `127.0.0.1:${port}`;
    const end = Date.now() + 10_000;
    let up = false;
    while (!up && Date.now() < end && child.exitCode === null) {
      up = await serviceUp(port);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) {
      await stopChild(child);
      continue;
    }
    const errorLog = (): Promise<string> => readFile(join(dir, 'log/error_log'), 'utf8').catch(() => '');
    return {
      port,
      server,
      run(cmd, args) {
        const r = spawnSync(cmd, ['-h', server, ...args], { encoding: 'utf8', timeout: 10_000 });
        if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
        return r.stdout;
      },
      errorLog,
      async stop() {
        await stopChild(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const log = await readFile(join(dir, 'log/error_log'), 'utf8').catch(() => '');
  await rm(dir, { recursive: true, force: true });
  throw new Error(`cupsd did not start: ${log}`);
}
