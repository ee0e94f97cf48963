import { execFile } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { makeCert, opensslAvailable, type TestCert } from './tls.js';

/**
 * A private PostgreSQL server on a free loopback port, for what the shared trust-auth server
 * cannot show: password logins (scram-sha-256), TLS with a certificate the test made, a standby.
 * It runs as the `postgres` OS user (the server refuses root) from a temp dir removed on stop.
 */
export interface PgInstance {
  port: number;
  /** The temp dir: data directory `data/`, the Unix socket, the log. */
  dir: string;
  /** Superuser password for TCP logins. */
  password: string;
  /** Runs SQL as the superuser over the Unix socket (trust), returning the rows as text arrays. */
  sql(text: string): Promise<unknown[][]>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** The server's bin dir (the one `initdb` on PATH points into, else the newest installed). */
function binDir(): string | undefined {
  for (const p of (process.env.PATH ?? '').split(':')) {
    if (existsSync(join(p, 'initdb'))) return dirname(realpathSync(join(p, 'initdb')));
  }
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, 'initdb')));
}

async function postgresIds(): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** Why a private instance cannot be started here, or undefined when it can. */
export async function pgInstanceUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'starting a private PostgreSQL needs root (to run it as the postgres user)';
  if (!binDir()) return 'PostgreSQL server binaries (initdb, pg_ctl) are not installed';
  if (!(await postgresIds())) return 'there is no postgres OS user';
  if (!opensslAvailable()) return 'openssl is not installed';
  return undefined;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Runs a server tool as the postgres user, from a dir it can read. */
function asPostgres(dir: string, tool: string, args: string[]): Promise<unknown> {
  return run('runuser', ['-u', 'postgres', '--', join(binDir()!, tool), ...args], { cwd: dir, timeout: 60_000 });
}

async function ownedTempDir(prefix: string): Promise<string> {
  const ids = (await postgresIds())!;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chownSync(dir, ids.uid, ids.gid);
  return dir;
}

/** Starts the server in `dir/data` on a free port, waiting until it accepts connections. */
async function start(dir: string, password: string, extra: () => Promise<void> = async () => {}): Promise<PgInstance> {
  const port = await freePort();
  const data = join(dir, 'data');
  const stop = async (): Promise<void> => {
    await asPostgres(dir, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '20', 'stop']).catch(() => {});
    await extra();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await asPostgres(dir, 'pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    dir,
    password,
    async sql(text) {
      const c = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
      await c.connect();
      try {
        return (await c.query<unknown[]>({ text, rowMode: 'array' })).rows;
      } finally {
        await c.end();
      }
    },
    stop,
  };
}

/**
 * A primary: scram-sha-256 for TCP logins, trust on the Unix socket (for the test's own SQL and
 * for pg_basebackup), and TLS with a fresh self-signed certificate for localhost and 127.0.0.1.
 */
export async function startPgPrimary(password: string): Promise<PgInstance & { cert: TestCert }> {
  const ids = (await postgresIds())!;
  const dir = await ownedTempDir('cw-pg-');
  const cert = makeCert({ notAfter: new Date(Date.now() + 86_400_000), names: ['localhost', '127.0.0.1'] });
  try {
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    chownSync(pwfile, ids.uid, ids.gid);
    await asPostgres(dir, 'initdb', [
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwfile}`,
      '--no-sync',
      '--no-instructions',
    ]);
    rmSync(pwfile);
    for (const [from, to] of [
      [cert.certFile, 'server.crt'],
      [cert.keyFile, 'server.key'],
    ] as const) {
      const dest = join(dir, 'data', to);
      copyFileSync(from, dest);
      chownSync(dest, ids.uid, ids.gid);
    }
    // The standby copies this file, so it speaks TLS too. fsync off: a throwaway, faster on slow disks.
    appendFileSync(join(dir, 'data', 'postgresql.conf'), "\nssl = on\nfsync = off\nmax_connections = 20\nshared_buffers = '16MB'\n");
    // Other loopback sources, for line binding: 127.0.0.3 is turned away by pg_hba (SQLSTATE 28000).
    appendFileSync(join(dir, 'data', 'pg_hba.conf'), '\nhost all all 127.0.0.3/32 reject\nhost all all 127.0.0.0/8 scram-sha-256\n');
  } catch (err) {
    cert.cleanup();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const inst = await start(dir, password, async () => cert.cleanup());
  return { ...inst, cert };
}

/** A streaming standby of `primary` (pg_basebackup -R over the primary's Unix socket), started. */
export async function startPgStandby(primary: PgInstance): Promise<PgInstance> {
  const dir = await ownedTempDir('cw-pg-standby-');
  try {
    await asPostgres(dir, 'pg_basebackup', [
      '-h',
      primary.dir,
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      join(dir, 'data'),
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return start(dir, primary.password);
}
