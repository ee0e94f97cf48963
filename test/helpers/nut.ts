import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './sockets.js';
import { serviceUp } from './services.js';

/* Debian's /usr/sbin/upsd is a wrapper that reads /etc/nut/nut.conf; the daemon itself is here. */
const UPSD = '/lib/nut/upsd';
const DUMMY = '/lib/nut/dummy-ups';

export const nutAvailable = existsSync(UPSD) && existsSync(DUMMY);

/** A upsd with one dummy-ups UPS whose variables come from a file the test rewrites. */
export interface NutServer {
  port: number;
  ups: string;
  user: string;
  password: string;
  /** Rewrites the driver's .dev file (`name: value` lines); dummy-ups re-reads it when it changes. */
  setVars(vars: Record<string, string | number>): Promise<void>;
  /** Stops the driver only: upsd stays and reports the UPS as stale / not connected. */
  stopDriver(): Promise<void>;
  stop(): Promise<void>;
}

function devText(vars: Record<string, string | number>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Starts dummy-ups then upsd (as root, in a temp dir) and waits until upsd listens. */
export async function startNut(initial: Record<string, string | number>, ups = 'cwups'): Promise<NutServer> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-nut-'));
  const port = await closedPort();
  const dev = join(dir, `${ups}.dev`);
  const user = 'cwmon';
  const password = 'cw-secret-pass';
  await writeFile(dev, devText(initial));
  let mtime = Math.floor(Date.now() / 1000);
  await writeFile(join(dir, 'ups.conf'), `[${ups}]\n  driver = dummy-ups\n  port = ${dev}\n  pollinterval = 1\n`);
  await writeFile(join(dir, 'upsd.conf'), `LISTEN 127.0.0.1 ${port}\nSTATEPATH ${dir}\n`);
  await writeFile(join(dir, 'upsd.users'), `[${user}]\n  password = ${password}\n  upsmon primary\n`);
  await writeFile(join(dir, 'nut.conf'), 'MODE=netserver\n');
  for (const f of ['ups.conf', 'upsd.conf', 'upsd.users']) await chmod(join(dir, f), 0o600);
  const env = { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir };
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children.reverse()) await stopChild(c);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // -F: stay in the foreground, so the test owns (and stops) the process it started.
    children.push(spawn(DUMMY, ['-a', ups, '-u', 'root', '-F'], { env, stdio: 'ignore' }));
    await waitFor(() => existsSync(join(dir, `dummy-ups-${ups}`)), 5000);
    children.push(spawn(UPSD, ['-u', 'root', '-F'], { env, stdio: 'ignore' }));
    await waitFor(() => serviceUp(port), 5000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    ups,
    user,
    password,
    setVars: async (vars) => {
      // dummy-ups re-reads the file when its mtime (whole seconds) changes: two rewrites within one
      // second would go unseen, so each gets a later second. Written aside and renamed, so the
      // driver never reads a half-written file.
      mtime = Math.max(Math.floor(Date.now() / 1000), mtime + 1);
      await writeFile(`${dev}.tmp`, devText(vars));
      await utimes(`${dev}.tmp`, mtime, mtime);
      await rename(`${dev}.tmp`, dev);
    },
    stopDriver: () => stopChild(children[0]!),
    stop,
  };
}

/** Polls `cond` every 100 ms until it holds, or throws after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
