import { describe, expect, it } from 'vitest';
import { mongoFailure } from './mongodb-errors.js';

/** Driver errors as the driver builds them: a class name, a code, a cause; the text is a decoy. */
function driverError(name: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error('mongodb://admin:hunter2@db.local failed'), { name, ...fields });
}

describe('mongoFailure', () => {
  it('maps login failures by server code', () => {
    expect(mongoFailure(driverError('MongoServerError', { code: 18, codeName: 'AuthenticationFailed' }))).toEqual({
      reason: 'auth',
      message: 'server error 18 AuthenticationFailed',
    });
    expect(mongoFailure(driverError('MongoServerError', { code: 13, codeName: 'Unauthorized' })).reason).toBe('auth');
    expect(mongoFailure(driverError('MongoServerError', { code: 11 })).reason).toBe('auth');
  });

  it('maps other server errors to query_failed, naming the code only', () => {
    expect(mongoFailure(driverError('MongoServerError', { code: 59, codeName: 'CommandNotFound' }))).toEqual({
      reason: 'query_failed',
      message: 'server error 59 CommandNotFound',
    });
    expect(mongoFailure(driverError('MongoServerError', { code: 2, codeName: 'has spaces: not an identifier' })).message).toBe('server error 2');
  });

  it('maps network errors by the Node code of their cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(mongoFailure(driverError('MongoNetworkError', { cause: refused }))).toEqual({ reason: 'refused', message: 'connect ECONNREFUSED' });
    const selfSigned = Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(mongoFailure(driverError('MongoNetworkError', { cause: selfSigned })).reason).toBe('tls');
    expect(mongoFailure(driverError('MongoNetworkError'))).toEqual({ reason: 'protocol', message: 'connection closed by the server' });
    expect(mongoFailure(driverError('MongoNetworkTimeoutError')).reason).toBe('timeout');
  });

  it('looks into a server selection error for what the monitor saw', () => {
    const cause = Object.assign(new Error('x'), { code: 'EHOSTUNREACH', syscall: 'connect' });
    const servers = new Map([['db:27017', { error: driverError('MongoNetworkError', { cause }) }]]);
    expect(mongoFailure(driverError('MongoServerSelectionError', { reason: { servers } }))).toEqual({
      reason: 'unreachable',
      message: 'connect EHOSTUNREACH',
    });
    expect(mongoFailure(driverError('MongoServerSelectionError', { reason: { servers: new Map() } })).reason).toBe('timeout');
  });

  it('is a timeout once the deadline passed, whatever the error', () => {
    const signal = AbortSignal.abort();
    expect(mongoFailure(driverError('MongoServerError', { code: 18 }), signal)).toEqual({ reason: 'timeout', message: 'deadline exceeded' });
  });

  it('maps the check configuration errors to config and the rest to protocol, without message text', () => {
    expect(mongoFailure(driverError('MongoParseError'))).toEqual({ reason: 'config', message: 'MongoParseError' });
    expect(mongoFailure(driverError('MongoCompatibilityError')).reason).toBe('protocol');
    const odd = mongoFailure(driverError('MongoRuntimeError'));
    expect(odd).toEqual({ reason: 'protocol', message: 'MongoRuntimeError' });
    expect(JSON.stringify(odd)).not.toContain('hunter2');
  });
});
