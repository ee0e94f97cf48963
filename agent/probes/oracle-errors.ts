import { describeError, reasonFromError } from './errors.js';
import type { Reason } from './types.js';

/**
 * Error codes of oracledb (thin mode, `NJS-…`, its lib/errors.js) and Oracle Database
 * (`ORA-…`) that a check can meet, with the reason each means and a short label. Any other
 * `ORA-` error while the query runs is `query_failed`; anything else is `protocol`.
 */
const CODES: Record<string, [Reason, string]> = {
  // The login.
  'ORA-01017': ['auth', 'invalid username or password'],
  'ORA-01005': ['auth', 'empty password'],
  'ORA-28000': ['auth', 'account locked'],
  'ORA-28001': ['auth', 'password expired'],
  'ORA-01045': ['auth', 'user lacks CREATE SESSION'],
  'ORA-28040': ['auth', 'no matching authentication protocol'],
  // The service or the database behind it.
  'NJS-518': ['database_missing', 'service not registered with the listener'],
  'ORA-12514': ['database_missing', 'service not registered with the listener'],
  'NJS-519': ['database_missing', 'SID not registered with the listener'],
  'ORA-12505': ['database_missing', 'SID not registered with the listener'],
  'ORA-01033': ['database_missing', 'database starting up or shutting down'],
  'ORA-01034': ['database_missing', 'database not available'],
  'ORA-01109': ['database_missing', 'database not open'],
  // The network.
  'NJS-511': ['refused', 'listener refused the connection'],
  'NJS-510': ['timeout', 'connect timeout'],
  'NJS-123': ['timeout', 'call timeout'],
  'NJS-530': ['dns', 'host not found'],
  'NJS-500': ['protocol', 'connection closed'],
  'NJS-501': ['protocol', 'connection lost'],
  'NJS-521': ['protocol', 'end of file from the server'],
  'NJS-509': ['protocol', 'malformed packet'],
  'NJS-138': ['protocol', 'server version not supported in thin mode'],
  'NJS-533': ['protocol', 'server requires native network encryption (thin mode has none)'],
  // TLS.
  'NJS-505': ['config', 'ca_file is not a usable PEM wallet'],
  'NJS-506': ['tls', 'TLS handshake failed'],
  'NJS-507': ['tls', 'certificate DN does not match'],
  'NJS-508': ['tls', 'certificate does not name the host'],
};

/** Codes whose cause the driver keeps only as text: the socket's own error code says more. */
const SOCKET_CAUSED = new Set(['NJS-503', 'NJS-500', 'NJS-501', 'NJS-521']);

/**
 * The reason and a secret-free message for an oracledb error, from its `code` (`ORA-01017`,
 * `NJS-518` …) and, for a connection that failed below the driver, the Node code of the socket
 * error the probe saw itself — never from the text. `step` says whether the login was done.
 */
export function oracleFailure(err: unknown, step: 'connect' | 'query', socketError?: unknown, signal?: AbortSignal): { reason: Reason; message: string } {
  if (signal?.aborted) return { reason: 'timeout', message: 'deadline exceeded' };
  const e = (err ?? {}) as { code?: unknown };
  const code = typeof e.code === 'string' && /^(ORA|NJS)-\d{3,5}$/.test(e.code) ? e.code : '';
  if (SOCKET_CAUSED.has(code) && socketError) {
    const reason = reasonFromError(socketError);
    return { reason, message: `${code} ${describeError(socketError)}` };
  }
  const known = CODES[code];
  if (known) return { reason: known[0], message: `${code} ${known[1]}` };
  if (code === 'NJS-503') return { reason: 'refused', message: `${code} connection could not be established` };
  if (code.startsWith('ORA-')) return { reason: step === 'query' ? 'query_failed' : 'auth', message: code };
  return { reason: 'protocol', message: code || describeError(err) };
}
