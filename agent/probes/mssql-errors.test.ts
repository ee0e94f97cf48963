import { describe, expect, it } from 'vitest';
import { mssqlFailure } from './mssql-errors.js';

/** tedious errors as tedious builds them: a code, maybe a number or a cause; the text is a decoy. */
function driverError(code: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error("Login failed for user 'sa' with password hunter2"), { code, ...fields });
}

describe('mssqlFailure', () => {
  it('maps a refused login by the server error numbers, the database first', () => {
    expect(mssqlFailure(driverError('ELOGIN'), [18456])).toEqual({ reason: 'auth', message: 'login failed (server error 18456)' });
    expect(mssqlFailure(driverError('ELOGIN'), [4060, 18456])).toEqual({ reason: 'database_missing', message: 'cannot open database (server error 4060)' });
    expect(mssqlFailure(driverError('ELOGIN'), [18488])).toEqual({ reason: 'auth', message: 'login failed (server error 18488)' });
    expect(mssqlFailure(driverError('ELOGIN'), [])).toEqual({ reason: 'auth', message: 'login failed' });
  });

  it('maps socket errors by the Node code of their cause', () => {
    const refused = Object.assign(new Error('x'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(mssqlFailure(driverError('ESOCKET', { cause: refused }), [])).toEqual({ reason: 'refused', message: 'connect ECONNREFUSED' });
    const untrusted = Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(mssqlFailure(driverError('ESOCKET', { cause: untrusted }), []).reason).toBe('tls');
    expect(mssqlFailure(driverError('ESOCKET'), [])).toEqual({ reason: 'protocol', message: 'connection lost' });
  });

  it('maps query errors to query_failed with the server error number', () => {
    expect(mssqlFailure(driverError('EREQUEST', { number: 208 }), [208])).toEqual({ reason: 'query_failed', message: 'query failed (server error 208)' });
    expect(mssqlFailure(driverError('EREQUEST'), [])).toEqual({ reason: 'query_failed', message: 'query failed' });
  });

  it('maps the driver timeouts, encryption refusals and protocol errors', () => {
    expect(mssqlFailure(driverError('ETIMEOUT'), []).reason).toBe('timeout');
    expect(mssqlFailure(driverError('EENCRYPT'), [])).toEqual({ reason: 'tls', message: 'server requires encryption (tls mode is disable)' });
    expect(mssqlFailure(driverError('ETDS'), []).reason).toBe('protocol');
    expect(mssqlFailure(driverError('ECLOSE'), []).reason).toBe('protocol');
  });

  it('is a timeout once the deadline passed, and never quotes the driver text', () => {
    expect(mssqlFailure(driverError('ELOGIN'), [18456], AbortSignal.abort())).toEqual({ reason: 'timeout', message: 'deadline exceeded' });
    const odd = mssqlFailure(driverError('EWHATEVER'), []);
    expect(odd).toEqual({ reason: 'protocol', message: 'EWHATEVER' });
    expect(JSON.stringify(odd)).not.toContain('hunter2');
  });
});
