import { describeError, reasonFromError } from './errors.js';
import type { Reason } from './types.js';

/**
 * SQL Server error numbers a login can end with. The server sends 4060 ("cannot open database")
 * and then 18456 ("login failed"): the database is the cause, so it wins.
 */
const DATABASE_MISSING = new Set([
  4060, // cannot open database requested by the login
  4064, // cannot open the login's default database
]);
const AUTH = new Set([
  18456, // login failed (wrong user or password, the detail is only in the server's log)
  18452, // login from an untrusted domain (Windows login to a SQL-login-only server)
  18470, // login disabled
  18486, // login locked out
  18487, // password expired
  18488, // password must be changed
]);

interface DriverError {
  code?: unknown;
  number?: unknown;
  cause?: unknown;
}

/**
 * The reason and a secret-free message for an error of `tedious`, from its code (ELOGIN,
 * ESOCKET, ETIMEOUT, EREQUEST …), the server's error numbers (given apart: tedious keeps only the
 * text of a login error, the numbers come from its `errorMessage` events) and the Node code of a
 * socket error's cause — never from the text. At the deadline everything is a timeout.
 */
export function mssqlFailure(err: unknown, serverErrors: readonly number[], signal?: AbortSignal): { reason: Reason; message: string } {
  if (signal?.aborted) return { reason: 'timeout', message: 'deadline exceeded' };
  const e = (err ?? {}) as DriverError;
  const code = typeof e.code === 'string' ? e.code : '';
  switch (code) {
    case 'ELOGIN': {
      const missing = serverErrors.find((n) => DATABASE_MISSING.has(n));
      if (missing !== undefined) return { reason: 'database_missing', message: `cannot open database (server error ${missing})` };
      const auth = serverErrors.find((n) => AUTH.has(n)) ?? serverErrors[0];
      return { reason: 'auth', message: auth === undefined ? 'login failed' : `login failed (server error ${auth})` };
    }
    case 'EFEDAUTH':
      return { reason: 'auth', message: 'login failed' };
    case 'ETIMEOUT':
    case 'ECANCEL':
      return { reason: 'timeout', message: 'server did not answer in time' };
    case 'ESOCKET':
      if (e.cause) return { reason: reasonFromError(e.cause), message: describeError(e.cause) };
      return { reason: 'protocol', message: 'connection lost' };
    case 'EENCRYPT':
      return { reason: 'tls', message: 'server requires encryption (tls mode is disable)' };
    case 'EREQUEST': {
      const n = typeof e.number === 'number' ? e.number : undefined;
      return { reason: 'query_failed', message: n === undefined ? 'query failed' : `query failed (server error ${n})` };
    }
    case 'ECLOSE':
      return { reason: 'protocol', message: 'connection closed by the server' };
    case 'ETDS':
    case 'EINTERFACENOTSUPP':
      return { reason: 'protocol', message: 'server speaks an unsupported TDS version' };
    default:
      return { reason: 'protocol', message: code || describeError(err) };
  }
}
