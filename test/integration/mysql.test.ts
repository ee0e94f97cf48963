import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { mysqlProbe } from '../../agent/probes/mysql.js';
import type { LineBinding, ProbeResult } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { makeCert, opensslAvailable, type TestCert } from '../helpers/tls.js';
import { serviceUp as accepts } from '../helpers/services.js';
import { closedPort as freePort } from '../helpers/sockets.js';

const SHARED = '127.0.0.1:3306';
const USER = 'cw_probe';
const PASSWORD = 'cw-probe-Secret-4417';

function run(target: string, options: Record<string, unknown> = {}, timeoutMs = 3000, line?: LineBinding): Promise<ProbeResult> {
  return mysqlProbe.run(target, mysqlProbe.options.parse(options), makeCtx({ timeoutMs, ...(line ? { line } : {}) }));
}

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await p;
  return [v, performance.now() - t0];
}

/** Runs admin statements as root over its own connection. */
async function admin(port: number, statements: string[]): Promise<unknown[]> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
  try {
    const out: unknown[] = [];
    for (const s of statements) out.push((await c.query(s))[0]);
    return out;
  } finally {
    await c.end();
  }
}

/** Polls until `check` holds (or gives up after `ms`), returning whether it did. */
async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sharedUp = await accepts(3306);
const lag = (r: ProbeResult) => r.observations?.find((o) => o.metric === 'replication_lag_seconds')?.value;
const replica = (r: ProbeResult) => r.observations?.find((o) => o.metric === 'is_replica')?.value;

describe.skipIf(!requireService(sharedUp, `no MariaDB on ${SHARED}`))('mysql probe against the shared MariaDB', () => {
  const login = { user: USER, password: PASSWORD };

  beforeAll(async () => {
    await admin(3306, [
      `DROP USER IF EXISTS '${USER}'@'127.0.0.1', '${USER}'@'127.0.0.2'`,
      `CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}'`,
      `CREATE USER '${USER}'@'127.0.0.2' IDENTIFIED BY '${PASSWORD}'`,
      `GRANT SELECT ON test.* TO '${USER}'@'127.0.0.1'`,
    ]);
  });
  afterAll(async () => {
    await admin(3306, [`DROP USER IF EXISTS '${USER}'@'127.0.0.1', '${USER}'@'127.0.0.2'`]);
  });

  it('is up with a password login, timing connect, auth and query apart', async () => {
    const r = await run(SHARED, { ...login, database: 'test' });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    for (const p of ['connect', 'auth', 'query'] as const) expect(r.phases?.[p]).toBeGreaterThan(0);
    expect(r.phases?.tls).toBeUndefined();
    expect(r.observations).toBeUndefined();
  });

  it('fails with auth on a wrong password, never showing it', async () => {
    const ctx = makeCtx({ timeoutMs: 3000 });
    const r = await mysqlProbe.run(SHARED, mysqlProbe.options.parse({ user: USER, password: 'cw-wrong-Secret-9' }), ctx);
    expect(r).toMatchObject({ up: false, reason: 'auth', message: 'login failed (1045 ER_ACCESS_DENIED_ERROR, SQLSTATE 28000)' });
    expect(r.phases?.query).toBeUndefined();
    expect(JSON.stringify([r, ctx.logs])).not.toContain('cw-wrong-Secret-9');
  });

  it('fails with database_missing on a database that does not exist', async () => {
    expect(await run(SHARED, { database: 'cw_no_such_db' })).toMatchObject({
      up: false,
      reason: 'database_missing',
      message: 'login failed (1049 ER_BAD_DB_ERROR, SQLSTATE 42000)',
    });
  });

  it('fails with query_failed on a bad query, a missing table, a table it may not read', async () => {
    expect(await run(SHARED, { query: 'SELEC 1' })).toMatchObject({
      up: false,
      reason: 'query_failed',
      message: 'query failed (1064 ER_PARSE_ERROR, SQLSTATE 42000)',
    });
    expect(await run(SHARED, { query: 'SELECT * FROM test.cw_no_such_table' })).toMatchObject({
      up: false,
      reason: 'query_failed',
      message: 'query failed (1146 ER_NO_SUCH_TABLE, SQLSTATE 42S02)',
    });
    expect(await run(SHARED, { ...login, query: 'SELECT COUNT(*) FROM mysql.user' })).toMatchObject({
      up: false,
      reason: 'query_failed',
      message: 'query failed (1142 ER_TABLEACCESS_DENIED_ERROR, SQLSTATE 42000)',
    });
  });

  it('checks the result: value, rows, pattern; affected rows of a statement', async () => {
    expect(await run(SHARED, { query: 'SELECT 42', expect: { value: { op: 'eq', value: 42 }, rows: { op: 'eq', value: 1 } } })).toMatchObject({ up: true });
    expect(await run(SHARED, { query: 'SELECT VERSION()', expect: { matches: 'MariaDB' } })).toMatchObject({ up: true });
    expect(await run(SHARED, { query: 'SELECT 18446744073709551615', expect: { value: { op: 'eq', value: '18446744073709551615' } } })).toMatchObject({
      up: true,
    });
    expect(await run(SHARED, { query: 'SELECT 41', expect: { value: { op: 'eq', value: 42 } } })).toMatchObject({
      up: false,
      reason: 'assertion',
      message: 'first value "41", expected eq 42',
    });
    expect(await run(SHARED, { query: 'DO 1', expect: { rows: { op: 'eq', value: 0 } } })).toMatchObject({ up: true });
  });

  it('fails with timeout within the deadline + 1 s on a query that hangs, and the server drops the session', async () => {
    const [r, ms] = await timed(run(SHARED, { ...login, query: 'SELECT SLEEP(2)' }, 800));
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded during query' });
    expect(r.phases?.auth).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(750);
    expect(ms).toBeLessThan(1800);
    // MariaDB runs the query to its end although the client is gone; then the session goes.
    const sessions = async () =>
      ((await admin(3306, [`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = '${USER}'`]))[0] as Array<{ n: number }>)[0]!.n;
    expect(await eventually(async () => (await sessions()) === 0, 6000)).toBe(true);
  });

  it('reports is_replica 0 and no lag on a server that is not a replica', async () => {
    const r = await run(SHARED, { replication: true });
    expect(r).toMatchObject({ up: true, observations: [{ metric: 'is_replica', value: 0 }] });
    expect(lag(r)).toBeUndefined();
  });

  it('fails with query_failed when the user may not read the replica status', async () => {
    expect(await run(SHARED, { ...login, replication: true })).toMatchObject({
      up: false,
      reason: 'query_failed',
      message: expect.stringMatching(/^replica status failed \(1227 /),
    });
  });

  // The shared server is started without TLS (have_ssl DISABLED): mysql2 sees no SSL capability in
  // the greeting and stops before sending credentials.
  it('fails with tls when TLS is required of a server that does not offer it', async () => {
    expect(await run(SHARED, { ...login, tls: { mode: 'require' } })).toMatchObject({ up: false, reason: 'tls', message: 'server does not offer TLS' });
  });

  it("connects from the line's source address: the server sees it", async () => {
    const line = { name: 'inet2', source: '127.0.0.2' };
    expect(await run(SHARED, { ...login, query: 'SELECT USER()', expect: { value: { op: 'eq', value: `${USER}@127.0.0.2` } } }, 3000, line)).toMatchObject({
      up: true,
    });
    // root may log in from 127.0.0.1 only: from 127.0.0.2 it is refused as a wrong login.
    expect(await run(SHARED, {}, 3000, line)).toMatchObject({
      up: false,
      reason: 'auth',
      message: 'login failed (1045 ER_ACCESS_DENIED_ERROR, SQLSTATE 28000)',
    });
  });

  it('fails with unreachable, connecting nowhere, when the line has no address', async () => {
    expect(await run(SHARED, {}, 3000, { name: 'inet1', interface: 'cw-no-such-if0' })).toMatchObject({ up: false, reason: 'unreachable' });
  });
});

describe('mysql probe against servers that misbehave', () => {
  const servers: Server[] = [];
  const accepted: Array<Promise<void>> = [];
  const listen = async (onConn: (s: Socket) => void): Promise<number> => {
    const server = createServer((s) => {
      s.on('error', () => {});
      accepted.push(new Promise((resolve) => s.once('close', () => resolve())));
      onConn(s);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('fails with timeout within the deadline + 1 s on a listener that never greets, and closes the connection', async () => {
    // Reading (and dropping) what comes is what lets the server side see the close.
    const port = await listen((s) => s.resume());
    const [r, ms] = await timed(run(`127.0.0.1:${port}`, { password: PASSWORD }, 1000));
    expect(r).toMatchObject({ up: false, reason: 'timeout', message: 'deadline exceeded during auth' });
    expect(r.phases?.connect).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2000);
    expect(accepted).toHaveLength(1);
    await expect(Promise.race([accepted[0]!.then(() => 'closed'), new Promise((res) => setTimeout(() => res('open'), 1000))])).resolves.toBe('closed');
  });

  it('fails with protocol when the server hangs up without a greeting', async () => {
    const port = await listen((s) => s.end());
    expect(await run(`127.0.0.1:${port}`)).toMatchObject({ up: false, reason: 'protocol', message: 'PROTOCOL_CONNECTION_LOST' });
  });

  it('fails with refused on a closed port', async () => {
    expect(await run(`127.0.0.1:${await freePort()}`)).toMatchObject({ up: false, reason: 'refused', message: 'connect ECONNREFUSED' });
  });

  it('refuses targets and options that cannot work', async () => {
    expect(await run('127.0.0.1')).toMatchObject({ up: false, reason: 'config' });
    expect(await run(SHARED, { tls: { mode: 'verify', ca_file: '/nonexistent/cw-ca.pem' } })).toMatchObject({
      up: false,
      reason: 'config',
      message: 'cannot read ca_file (open ENOENT)',
    });
    expect(mysqlProbe.options.safeParse({ db: 1 }).success).toBe(false);
    expect(mysqlProbe.options.parse({})).toEqual({ user: 'root', query: 'SELECT 1', tls: { mode: 'disable' }, replication: false });
  });
});

/** A private MariaDB in a temp dir on a free port (root without password over TCP from localhost). */
interface Private {
  port: number;
  child: ChildProcess;
  dir: string;
}

async function startMariadb(name: string, args: string[]): Promise<Private> {
  const dir = mkdtempSync(join(tmpdir(), `cw-mariadb-${name}-`));
  execFileSync(
    binary('mariadb-install-db'),
    ['--no-defaults', `--datadir=${dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'],
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const child = spawn(
    binary('mariadbd'),
    [
      '--no-defaults',
      `--datadir=${dir}/data`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${dir}/sock`,
      `--pid-file=${dir}/pid`,
      `--log-error=${dir}/error.log`,
      '--user=root',
      '--innodb-buffer-pool-size=16M',
      ...args,
    ],
    { stdio: 'ignore' },
  );
  const up = await eventually(async () => child.exitCode === null && (await accepts(port)), 15000);
  if (!up) throw new Error(`private mariadbd ${name} did not start (see ${dir}/error.log)`);
  return { port, child, dir };
}

async function stopMariadb(p: Private | undefined): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null) {
    const exited = new Promise((resolve) => p.child.once('exit', resolve));
    p.child.kill('SIGTERM');
    await exited;
  }
  rmSync(p.dir, { recursive: true, force: true });
}

/** The binary from PATH, or from /usr/sbin where Debian puts the server and PATH may not reach. */
function binary(name: string): string {
  return commandExists(name) ? name : `/usr/sbin/${name}`;
}

const canStartPrivate = (commandExists('mariadbd') || commandExists('/usr/sbin/mariadbd')) && opensslAvailable();

describe.skipIf(!requireService(canStartPrivate, 'mariadbd or openssl not installed'))('mysql probe against private MariaDB servers (TLS, replication)', () => {
  let primary: Private | undefined;
  let secondary: Private | undefined;
  let cert: TestCert;
  const at = (p: Private | undefined): string => `127.0.0.1:${p!.port}`;

  beforeAll(async () => {
    cert = makeCert({ notAfter: new Date(Date.now() + 10 * 86400_000), names: ['localhost', '127.0.0.1'] });
    primary = await startMariadb('primary', [`--ssl-cert=${cert.certFile}`, `--ssl-key=${cert.keyFile}`, '--log-bin=binlog', '--server-id=1']);
    secondary = await startMariadb('replica', ['--server-id=2', '--skip-log-bin']);
    await admin(primary.port, [`CREATE USER '${USER}'@'localhost' IDENTIFIED BY '${PASSWORD}' REQUIRE SSL`]);
    await admin(secondary.port, [
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos`,
      'START SLAVE',
    ]);
  }, 60_000);

  afterAll(async () => {
    await stopMariadb(secondary);
    await stopMariadb(primary);
    cert?.cleanup();
  }, 60_000);

  it('is up over TLS, timing the upgrade apart from the login', async () => {
    const r = await run(at(primary), { user: USER, password: PASSWORD, tls: { mode: 'require' } });
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    for (const p of ['connect', 'tls', 'auth', 'query'] as const) expect(r.phases?.[p]).toBeGreaterThan(0);
    const version = "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_VERSION'";
    expect(
      await run(at(primary), { user: USER, password: PASSWORD, tls: { mode: 'require' }, query: version, expect: { matches: '^TLSv1\\.[23]$' } }),
    ).toMatchObject({ up: true });
  });

  it('verifies the certificate against ca_file and the target name or IP', async () => {
    const tls = { mode: 'verify', ca_file: cert.certFile };
    expect(await run(at(primary), { user: USER, password: PASSWORD, tls })).toMatchObject({ up: true });
    expect(await run(`localhost:${primary!.port}`, { user: USER, password: PASSWORD, tls })).toMatchObject({ up: true });
    expect(await run(at(primary), { user: USER, password: PASSWORD, tls: { ...tls, server_name: 'localhost' } })).toMatchObject({ up: true });
  });

  it('fails with tls on an untrusted certificate or another name, before sending the password', async () => {
    expect(await run(at(primary), { user: USER, password: PASSWORD, tls: { mode: 'verify' } })).toMatchObject({
      up: false,
      reason: 'tls',
      message: 'TLS handshake failed (DEPTH_ZERO_SELF_SIGNED_CERT)',
    });
    const r = await run(at(primary), { user: USER, password: PASSWORD, tls: { mode: 'verify', ca_file: cert.certFile, server_name: 'db.example.vn' } });
    expect(r).toMatchObject({ up: false, reason: 'tls', message: 'TLS handshake failed (ERR_TLS_CERT_ALTNAME_INVALID)' });
    expect(r.phases?.auth).toBeGreaterThan(0);
  });

  it('fails with auth when the account requires TLS and the check does not use it', async () => {
    expect(await run(at(primary), { user: USER, password: PASSWORD })).toMatchObject({
      up: false,
      reason: 'auth',
      message: 'login failed (1045 ER_ACCESS_DENIED_ERROR, SQLSTATE 28000)',
    });
  });

  it('quits cleanly: the server counts no aborted client', async () => {
    const aborted = async () => Number(((await admin(primary!.port, ["SHOW GLOBAL STATUS LIKE 'Aborted_clients'"]))[0] as Array<{ Value: string }>)[0]!.Value);
    const before = await aborted();
    for (let i = 0; i < 3; i++) expect(await run(at(primary), { tls: { mode: 'require' } })).toMatchObject({ up: true });
    expect(await run(at(primary))).toMatchObject({ up: true });
    expect(await aborted()).toBe(before);
  });

  it('reports a replica and its lag, and a primary as no replica', async () => {
    let r: ProbeResult | undefined;
    expect(await eventually(async () => lag((r = await run(at(secondary), { replication: true }))) !== undefined, 10_000)).toBe(true);
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(replica(r!)).toBe(1);
    expect(lag(r!)).toBe(0);
    const p = await run(at(primary), { replication: true });
    expect(replica(p)).toBe(0);
    expect(lag(p)).toBeUndefined();
  });

  it('reports no lag, and says so, when the replica stopped replicating', async () => {
    await admin(secondary!.port, ['STOP SLAVE SQL_THREAD']);
    try {
      const r = await run(at(secondary), { replication: true });
      expect(r).toMatchObject({ up: true, reason: 'ok', message: 'replica not replicating on 1 channel(s): lag unknown' });
      expect(replica(r)).toBe(1);
      expect(lag(r)).toBeUndefined();
    } finally {
      await admin(secondary!.port, ['START SLAVE SQL_THREAD']);
    }
  });
});
