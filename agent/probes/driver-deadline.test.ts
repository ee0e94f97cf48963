import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeCtx } from '../../test/helpers/ctx.js';
import { timed } from '../../test/helpers/sockets.js';
import { lazyDriver } from './db-common.js';
import { createMongodbProbe } from './mongodb.js';
import { createMssqlProbe } from './mssql.js';
import { createMysqlProbe } from './mysql.js';
import { createOracleProbe } from './oracle.js';
import { createPostgresProbe } from './postgres.js';
import { runSnmpPrinter, snmpPrinterOptions } from './printer-snmp.js';
import type { ProbeContext, ProbeResult } from './types.js';
import { scannerProbe } from './scanner.js';
import { createUsbProbe } from './usb.js';

/**
 * A driver whose first import is slow (a cold start on a slow disk): each probe must still answer
 * `timeout` at its deadline, not when the import ends. Nothing is listening on the target: the
 * probe must never get as far as connecting.
 */
const LOAD_MS = 1500;
const DEADLINE_MS = 100;
/** Scheduling slack on a shared two-core machine; far below LOAD_MS. */
const MARGIN_MS = 300;
const TARGET = '127.0.0.1:9';

const slow = <T>(load: () => Promise<unknown>): (() => Promise<T>) => lazyDriver<T>(() => sleep(LOAD_MS).then(load));

/** A CA file that never finishes opening, as on a hung network mount: a FIFO nobody writes to. */
const dir = mkdtempSync(join(tmpdir(), 'cw-deadline-'));
const hungFile = join(dir, 'ca.pem');
execFileSync('mkfifo', [hungFile]);
afterAll(() => {
  // Lets the read blocked in the thread pool finish (a writer that closes at once), then cleans up.
  closeSync(openSync(hungFile, constants.O_WRONLY | constants.O_NONBLOCK));
  rmSync(dir, { recursive: true, force: true });
});

type Run = (ctx: ProbeContext) => Promise<ProbeResult>;
const CASES: Array<[kind: string, run: Run]> = [
  [
    'mssql',
    (ctx) => {
      const p = createMssqlProbe(slow(() => import('tedious')));
      return p.run(TARGET, p.options.parse({ user: 'sa' }), ctx);
    },
  ],
  [
    'oracle',
    (ctx) => {
      // @ts-expect-error oracledb ships no type declarations
      const p = createOracleProbe(slow(() => import('oracledb')));
      return p.run(TARGET, p.options.parse({ user: 'u', password: 'p' }), ctx);
    },
  ],
  [
    'mongodb',
    (ctx) => {
      const p = createMongodbProbe(slow(() => import('mongodb')));
      return p.run(TARGET, p.options.parse({}), ctx);
    },
  ],
  [
    'postgres',
    (ctx) => {
      const p = createPostgresProbe(slow(() => import('pg')));
      return p.run(TARGET, p.options.parse({}), ctx);
    },
  ],
  [
    'mysql',
    (ctx) => {
      const p = createMysqlProbe(slow(() => import('mysql2')));
      return p.run(TARGET, p.options.parse({}), ctx);
    },
  ],
  [
    'printer (snmp)',
    (ctx) =>
      runSnmpPrinter(
        '127.0.0.1:9',
        snmpPrinterOptions.parse({}),
        ctx,
        slow(() => import('net-snmp')),
      ),
  ],
  [
    'usb (a slow device listing)',
    (ctx) => {
      const p = createUsbProbe(() => sleep(LOAD_MS).then(() => []));
      return p.run('', p.options.parse({ name: 'x' }), ctx);
    },
  ],
  ['scanner (eSCL, ca_file on a hung mount)', (ctx) => scannerProbe.run('https://127.0.0.1:9/eSCL', scannerProbe.options.parse({ ca_file: hungFile }), ctx)],
];

describe('a deadline that passes while a driver loads', () => {
  it.each(CASES)('%s: timeout within the deadline + margin, no listener left on the signal', async (_kind, run) => {
    const ctx = makeCtx({ timeoutMs: DEADLINE_MS });
    // A run that hangs is cut here, so that it fails as slow rather than at the test's own timeout.
    const [r, ms] = await timed(Promise.race([run(ctx), sleep(LOAD_MS * 2).then(() => 'still running')]));
    expect(r).toMatchObject({ up: false, reason: 'timeout' });
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(getEventListeners(ctx.signal, 'abort')).toHaveLength(0);
  });
});
