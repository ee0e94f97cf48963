import { describe, expect, it } from 'vitest';
import { mysqlMessage, mysqlReason, serverError } from './mysql-errors.js';

/** An error as mysql2 builds it from a server error packet. */
const server = (errno: number, code: string | undefined, sqlState: string) =>
  Object.assign(new Error("Access denied for user 'cw_probe'@'127.0.0.1' (using password: YES)"), { errno, sqlState, ...(code ? { code } : {}), fatal: true });
/** An error as Node or mysql2 raise it without the server. */
const driver = (code: string, syscall?: string) => Object.assign(new Error('x'), { code, ...(syscall ? { syscall, errno: -111 } : {}) });

describe('serverError', () => {
  it('knows a server error by its number and SQLSTATE, not a socket error by its negative errno', () => {
    expect(serverError(server(1045, 'ER_ACCESS_DENIED_ERROR', '28000'))).toEqual({ errno: 1045, sqlState: '28000', code: 'ER_ACCESS_DENIED_ERROR' });
    expect(serverError(driver('ECONNREFUSED', 'connect'))).toBeUndefined();
    expect(serverError(null)).toBeUndefined();
  });
});

describe('mysqlReason', () => {
  it('maps login refusals to auth', () => {
    for (const errno of [1044, 1045, 1129, 1130, 1251, 1698, 1862, 3118, 4151]) expect(mysqlReason(server(errno, undefined, '28000'), 'auth')).toBe('auth');
  });

  it('maps an unknown database at login to database_missing', () => {
    expect(mysqlReason(server(1049, 'ER_BAD_DB_ERROR', '42000'), 'auth')).toBe('database_missing');
  });

  it('maps other server errors at login (too many connections) to protocol', () => {
    expect(mysqlReason(server(1040, 'ER_CON_COUNT_ERROR', '08004'), 'auth')).toBe('protocol');
  });

  it('maps every server error to a query or the replica status to query_failed', () => {
    expect(mysqlReason(server(1064, 'ER_PARSE_ERROR', '42000'), 'query')).toBe('query_failed');
    expect(mysqlReason(server(1146, 'ER_NO_SUCH_TABLE', '42S02'), 'query')).toBe('query_failed');
    expect(mysqlReason(server(1049, 'ER_BAD_DB_ERROR', '42000'), 'query')).toBe('query_failed');
    expect(mysqlReason(server(1227, 'ER_SPECIFIC_ACCESS_DENIED_ERROR', '42000'), 'replication')).toBe('query_failed');
  });

  it('maps the TLS upgrade codes to tls and socket codes as the other probes do', () => {
    expect(mysqlReason(driver('HANDSHAKE_NO_SSL_SUPPORT'), 'auth')).toBe('tls');
    expect(mysqlReason(driver('HANDSHAKE_SSL_ERROR'), 'tls')).toBe('tls');
    expect(mysqlReason(driver('AUTH_SWITCH_PLUGIN_ERROR'), 'auth')).toBe('auth');
    expect(mysqlReason(driver('ECONNREFUSED', 'connect'), 'connect')).toBe('refused');
    expect(mysqlReason(driver('PROTOCOL_CONNECTION_LOST'), 'auth')).toBe('protocol');
  });

  it('is timeout once the deadline passed, whatever the error', () => {
    const signal = AbortSignal.abort();
    expect(mysqlReason(server(1045, 'ER_ACCESS_DENIED_ERROR', '28000'), 'auth', signal)).toBe('timeout');
  });
});

describe('mysqlMessage', () => {
  it('names the step, the error number and its name, leaving out the server text', () => {
    const m = mysqlMessage(server(1045, 'ER_ACCESS_DENIED_ERROR', '28000'), 'auth');
    expect(m).toBe('login failed (1045 ER_ACCESS_DENIED_ERROR, SQLSTATE 28000)');
    expect(mysqlMessage(server(4151, undefined, 'HY000'), 'auth')).toBe('login failed (4151, SQLSTATE HY000)');
    expect(mysqlMessage(server(1146, 'ER_NO_SUCH_TABLE', '42S02'), 'query')).toBe('query failed (1146 ER_NO_SUCH_TABLE, SQLSTATE 42S02)');
  });

  it('gives the TLS library code the driver overwrote', () => {
    expect(mysqlMessage(driver('HANDSHAKE_SSL_ERROR'), 'tls', undefined, 'DEPTH_ZERO_SELF_SIGNED_CERT')).toBe(
      'TLS handshake failed (DEPTH_ZERO_SELF_SIGNED_CERT)',
    );
    expect(mysqlMessage(driver('HANDSHAKE_NO_SSL_SUPPORT'), 'auth')).toBe('server does not offer TLS');
  });

  it('gives socket errors as the other probes do, and the step a deadline struck in', () => {
    expect(mysqlMessage(driver('ECONNREFUSED', 'connect'), 'connect')).toBe('connect ECONNREFUSED');
    expect(mysqlMessage(new Error('x'), 'auth', AbortSignal.abort())).toBe('deadline exceeded during auth');
    expect(mysqlMessage(new Error('x'), 'replication', AbortSignal.abort())).toBe('deadline exceeded during query');
  });
});
