import { describeError, reasonFromError } from './errors.js';
import type { Reason } from './types.js';

/**
 * From PostgreSQL failures to reasons and messages, by SQLSTATE and error code only: the server's
 * message text is localised (lc_messages) and may carry names from the configuration, so it is
 * never read, shown or logged.
 */

/** Where a PostgreSQL run was when it failed. */
export type PgStage = 'connect' | 'tls' | 'auth' | 'query' | 'replication';

/** What is known about one failure; everything here is a code or a flag, never driver text. */
export interface PgFailure {
  stage: PgStage;
  /** SQLSTATE of the server's ErrorResponse. */
  sqlstate?: string | undefined;
  /** Node or OpenSSL code of a socket or TLS error (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT …). */
  code?: string | undefined;
  /** The server answered the SSLRequest with `N`: it does not offer TLS. */
  tlsRefused?: boolean;
  /** The server closed the connection before the failure was reported. */
  peerClosed?: boolean;
  /** Whether the check has a password to send. */
  passwordSet?: boolean;
  /** The database the check logs in to (not a secret; helps in the message). */
  database?: string;
}

/** Condition names of the SQLSTATEs a monitoring login or query usually meets (appendix A of the manual). */
const CONDITION: Record<string, string> = {
  '08P01': 'protocol_violation',
  '0A000': 'feature_not_supported',
  '22012': 'division_by_zero',
  '22P02': 'invalid_text_representation',
  '25006': 'read_only_sql_transaction',
  '28000': 'invalid_authorization_specification',
  '28P01': 'invalid_password',
  '3D000': 'invalid_catalog_name',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '42501': 'insufficient_privilege',
  '42601': 'syntax_error',
  '42703': 'undefined_column',
  '42883': 'undefined_function',
  '42P01': 'undefined_table',
  '53100': 'disk_full',
  '53200': 'out_of_memory',
  '53300': 'too_many_connections',
  '55P03': 'lock_not_available',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P03': 'cannot_connect_now',
  XX000: 'internal_error',
};

/** The reason for a SQLSTATE met at a stage (pure). */
export function reasonForSqlState(sqlstate: string, stage: PgStage): Reason {
  if (sqlstate.startsWith('28')) return 'auth';
  if (sqlstate === '3D000') return 'database_missing';
  const loggingIn = stage === 'connect' || stage === 'tls' || stage === 'auth';
  // A role without CONNECT on the database is refused at login with this code: a login problem.
  if (sqlstate === '42501' && loggingIn) return 'auth';
  // The server is up but takes no new session (max_connections reached, starting, shutting down).
  if (sqlstate === '53300' || sqlstate === '57P03') return 'refused';
  if (sqlstate.startsWith('08')) return 'protocol';
  return loggingIn ? 'protocol' : 'query_failed';
}

/** The reason for a failure (pure). `aborted`: the deadline passed, whatever the driver said after. */
export function pgReason(f: PgFailure, aborted: boolean): Reason {
  if (aborted) return 'timeout';
  if (f.sqlstate) return reasonForSqlState(f.sqlstate, f.stage);
  if (f.code) return reasonFromError({ code: f.code });
  if (f.stage === 'tls') return 'tls';
  // Without a code, a failure while logging in comes from the driver's own SCRAM exchange (no
  // password to send, a mechanism it lacks, a server signature that does not verify) unless the
  // server simply hung up.
  if (f.stage === 'auth' && !f.peerClosed) return 'auth';
  return 'protocol';
}

const STAGE_TEXT: Record<PgStage, string> = {
  connect: 'connect',
  tls: 'TLS negotiation',
  auth: 'login',
  query: 'query',
  replication: 'replication status query',
};

/** A short, secret-free message for a failure (pure). `err` is used for its code only. */
export function pgMessage(f: PgFailure, aborted: boolean, err?: unknown): string {
  const at = STAGE_TEXT[f.stage];
  if (aborted) return `deadline exceeded during ${at}`;
  if (f.sqlstate) {
    const name = CONDITION[f.sqlstate];
    const code = `SQLSTATE ${f.sqlstate}${name ? ` ${name}` : ''}`;
    if (f.sqlstate === '3D000') return `database ${JSON.stringify(f.database ?? '')} does not exist (${code})`;
    if (f.sqlstate === '42883' && f.stage === 'replication') return `${at} failed (${code}; needs PostgreSQL 10 or later)`;
    return `${at} failed (${code})`;
  }
  if (f.code) {
    const what = describeError(err ?? { code: f.code });
    return f.stage === 'connect' ? what : `${at}: ${what}`;
  }
  if (f.stage === 'tls') return f.tlsRefused ? 'the server does not offer TLS' : 'TLS negotiation failed';
  if (f.peerClosed) return `the server closed the connection during ${at}`;
  if (f.stage === 'auth') return f.passwordSet === false ? 'the server asks for a password and none is configured' : 'password exchange failed';
  return `${at} failed`;
}
