import { describeError, reasonFromError } from './errors.js';
import type { Reason } from './types.js';

/**
 * Server error codes (the `code` of a MongoServerError) that say the login is wrong or lacks the
 * right: AuthenticationFailed, UserNotFound, Unauthorized (also what a server with access
 * control answers a client that did not log in), MechanismUnavailable.
 */
const AUTH_CODES = new Set([18, 11, 13, 334]);

/** Driver errors that are the check's own configuration, not the server's fault. */
const CONFIG_ERRORS = new Set(['MongoParseError', 'MongoInvalidArgumentError', 'MongoMissingCredentialsError', 'MongoAPIError']);

interface DriverError {
  name?: unknown;
  code?: unknown;
  codeName?: unknown;
  cause?: unknown;
  reason?: { servers?: Map<string, { error?: unknown }> };
}

/**
 * The reason and a secret-free message for an error of the `mongodb` driver, from its class
 * name, the server's numeric code and the Node error code of its cause — never its text (which
 * may quote the connection string). At the deadline everything is a timeout.
 */
export function mongoFailure(err: unknown, signal?: AbortSignal): { reason: Reason; message: string } {
  if (signal?.aborted) return { reason: 'timeout', message: 'deadline exceeded' };
  const e = (err ?? {}) as DriverError;
  const name = typeof e.name === 'string' ? e.name : '';
  if (typeof e.code === 'number' && (name === 'MongoServerError' || name === 'MongoBulkWriteError' || name === 'MongoWriteConcernError')) {
    const label = typeof e.codeName === 'string' && /^\w{1,64}$/.test(e.codeName) ? ` ${e.codeName}` : '';
    return { reason: AUTH_CODES.has(e.code) ? 'auth' : 'query_failed', message: `server error ${e.code}${label}` };
  }
  switch (name) {
    case 'MongoServerSelectionError': {
      // The server's own failure, as the monitor last saw it (refused, TLS, a timeout).
      const seen = [...(e.reason?.servers?.values() ?? [])].find((s) => s.error)?.error;
      if (seen) return mongoFailure(seen);
      return { reason: 'timeout', message: 'no server answered in time' };
    }
    case 'MongoNetworkTimeoutError':
    case 'MongoOperationTimeoutError':
      return { reason: 'timeout', message: 'server did not answer in time' };
    case 'MongoNetworkError':
      if (e.cause) return { reason: reasonFromError(e.cause), message: describeError(e.cause) };
      return { reason: 'protocol', message: 'connection closed by the server' };
    case 'MongoCompatibilityError':
      return { reason: 'protocol', message: 'server version not supported by the driver' };
    default:
      if (CONFIG_ERRORS.has(name)) return { reason: 'config', message: name };
      return { reason: 'protocol', message: name || describeError(err) };
  }
}
