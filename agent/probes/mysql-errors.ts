import { describeError, reasonFromError } from './errors.js';
import type { Reason } from './types.js';

/** The step of a MySQL/MariaDB check an error struck in; `replication` is the replica status query. */
export type MysqlStep = 'connect' | 'tls' | 'auth' | 'query' | 'replication';

/**
 * Server error numbers that refuse the login itself: wrong password or user (1045), no access to
 * the database (1044), no password given where one is needed (1698), host not allowed (1130) or
 * blocked after errors (1129), auth plugin the client lacks (1251), expired password (1862),
 * locked account (MySQL 3118, MariaDB 4151).
 */
const AUTH_ERRNOS = new Set([1044, 1045, 1129, 1130, 1251, 1698, 1862, 3118, 4151]);
/** ER_BAD_DB_ERROR: the database named in the login does not exist. */
const BAD_DB = 1049;

/** Driver (not server) codes of the TLS upgrade inside the MySQL handshake. */
const TLS_CODES = new Set(['HANDSHAKE_NO_SSL_SUPPORT', 'HANDSHAKE_SSL_ERROR']);

interface ServerError {
  errno: number;
  sqlState: string;
  code?: string;
}

/** An error packet from the server (it has an error number and a SQLSTATE), as opposed to a socket or driver error. */
export function serverError(err: unknown): ServerError | undefined {
  const e = err as { errno?: unknown; sqlState?: unknown; code?: unknown } | null;
  if (!e || typeof e.errno !== 'number' || typeof e.sqlState !== 'string' || e.errno <= 0) return undefined;
  return { errno: e.errno, sqlState: e.sqlState, ...(typeof e.code === 'string' ? { code: e.code } : {}) };
}

/** The reason for an error at a step, from the server's error number or the driver's code (never the message). */
export function mysqlReason(err: unknown, step: MysqlStep, signal?: AbortSignal): Reason {
  if (signal?.aborted) return 'timeout';
  const server = serverError(err);
  if (server) {
    if (step === 'query' || step === 'replication') return 'query_failed';
    if (AUTH_ERRNOS.has(server.errno)) return 'auth';
    if (server.errno === BAD_DB) return 'database_missing';
    // Too many connections, server shutting down, ...: the server is there but will not serve.
    return 'protocol';
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TLS_CODES.has(code)) return 'tls';
  if (code === 'AUTH_SWITCH_PLUGIN_ERROR') return 'auth';
  return reasonFromError(err);
}

const STEP_TEXT: Record<MysqlStep, string> = {
  connect: 'connect failed',
  tls: 'TLS handshake failed',
  auth: 'login failed',
  query: 'query failed',
  replication: 'replica status failed',
};

/**
 * A short, secret-free description: the step and the error number and name, or the driver's code.
 * The server's own text is left out: it can echo user names, hosts and parts of the query.
 * `tlsCode` is the TLS library's code, which the driver overwrites with its own.
 */
export function mysqlMessage(err: unknown, step: MysqlStep, signal?: AbortSignal, tlsCode?: string): string {
  if (signal?.aborted) return `deadline exceeded during ${step === 'replication' ? 'query' : step}`;
  const server = serverError(err);
  if (server) return `${STEP_TEXT[step]} (${server.errno}${server.code ? ` ${server.code}` : ''}, SQLSTATE ${server.sqlState})`;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') return 'server does not offer TLS';
  if (code === 'HANDSHAKE_SSL_ERROR') return `${STEP_TEXT.tls} (${tlsCode ?? code})`;
  return describeError(err);
}
