import { describe, expect, it } from 'vitest';
import { oracleFailure } from './oracle-errors.js';

/** oracledb errors as the driver builds them: a code; the text (with host and service) is a decoy. */
function driverError(code: string): Error {
  return Object.assign(new Error(`${code}: connect to db.local as system/hunter2 failed`), { code });
}
const socketError = (code: string) => Object.assign(new Error('x'), { code, syscall: 'connect' });

describe('oracleFailure', () => {
  it('maps login errors to auth', () => {
    expect(oracleFailure(driverError('ORA-01017'), 'connect')).toEqual({ reason: 'auth', message: 'ORA-01017 invalid username or password' });
    expect(oracleFailure(driverError('ORA-28000'), 'connect').reason).toBe('auth');
    // Any other server error before the session exists is the server refusing the session.
    expect(oracleFailure(driverError('ORA-00018'), 'connect')).toEqual({ reason: 'auth', message: 'ORA-00018' });
  });

  it('maps an unknown service or a closed database to database_missing', () => {
    expect(oracleFailure(driverError('NJS-518'), 'connect')).toEqual({
      reason: 'database_missing',
      message: 'NJS-518 service not registered with the listener',
    });
    expect(oracleFailure(driverError('ORA-12514'), 'connect').reason).toBe('database_missing');
    expect(oracleFailure(driverError('ORA-01033'), 'connect').reason).toBe('database_missing');
  });

  it('maps server errors while the query runs to query_failed', () => {
    expect(oracleFailure(driverError('ORA-00942'), 'query')).toEqual({ reason: 'query_failed', message: 'ORA-00942' });
    expect(oracleFailure(driverError('ORA-00904'), 'query').reason).toBe('query_failed');
  });

  it('takes the socket error code when the driver kept only its text', () => {
    expect(oracleFailure(driverError('NJS-503'), 'connect', socketError('ECONNREFUSED'))).toEqual({
      reason: 'refused',
      message: 'NJS-503 connect ECONNREFUSED',
    });
    expect(oracleFailure(driverError('NJS-503'), 'connect', socketError('EHOSTUNREACH')).reason).toBe('unreachable');
    expect(oracleFailure(driverError('NJS-501'), 'query', socketError('ECONNRESET')).reason).toBe('protocol');
    expect(oracleFailure(driverError('NJS-503'), 'connect')).toEqual({ reason: 'refused', message: 'NJS-503 connection could not be established' });
  });

  it('maps driver timeouts, DNS, TLS and wallet errors', () => {
    expect(oracleFailure(driverError('NJS-510'), 'connect').reason).toBe('timeout');
    expect(oracleFailure(driverError('NJS-530'), 'connect').reason).toBe('dns');
    expect(oracleFailure(driverError('NJS-506'), 'connect').reason).toBe('tls');
    expect(oracleFailure(driverError('NJS-508'), 'connect').reason).toBe('tls');
    expect(oracleFailure(driverError('NJS-505'), 'connect')).toEqual({ reason: 'config', message: 'NJS-505 ca_file is not a usable PEM wallet' });
  });

  it('is a timeout once the deadline passed, and never quotes the driver text', () => {
    expect(oracleFailure(driverError('ORA-01017'), 'connect', undefined, AbortSignal.abort())).toEqual({ reason: 'timeout', message: 'deadline exceeded' });
    const odd = oracleFailure(driverError('NJS-999'), 'connect');
    expect(odd).toEqual({ reason: 'protocol', message: 'NJS-999' });
    expect(JSON.stringify(oracleFailure(driverError('not a code'), 'connect'))).not.toContain('hunter2');
  });
});
