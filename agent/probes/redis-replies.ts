import { RespError, type RespValue } from './resp.js';
import type { Reason } from './types.js';

/** The steps of a Redis check, each answered by its own reply. */
export type RedisStep = 'auth' | 'select' | 'command';

/** Error kinds that say the server cannot serve right now, whatever was asked (it is loading, busy, cut off). */
const NOT_SERVING = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN']);
/**
 * Error kinds that say the credentials are wrong or missing, at any step; DENIED is protected mode
 * refusing a client from a non-loopback address because the server has no password.
 */
const AUTH_CODES = new Set(['WRONGPASS', 'NOAUTH', 'DENIED']);

/**
 * The reason for an error reply, from its kind (the reply's first word, by protocol convention)
 * and the step it answered — never from its text. Any other error to AUTH is a refused login
 * (Redis before 6 and a server without a password answer `ERR`); to SELECT, a database that does
 * not exist (`ERR DB index is out of range`) unless the ACL forbids it; to the check's command, a
 * failed query.
 */
export function replyReason(step: RedisStep, code: string): Reason {
  if (AUTH_CODES.has(code)) return 'auth';
  if (NOT_SERVING.has(code)) return 'protocol';
  switch (step) {
    case 'auth':
      return 'auth';
    case 'select':
      return code === 'NOPERM' ? 'auth' : 'database_missing';
    case 'command':
      return 'query_failed';
  }
}

/**
 * The reply as a query result for `expect`: an array has its length as row count and its first
 * element as first value; nil has no rows; any other reply is one row, itself the first value.
 */
export function replyResult(reply: RespValue): { rowCount: number; firstValue: unknown } {
  if (Array.isArray(reply)) return { rowCount: reply.length, firstValue: reply[0] };
  if (reply === null) return { rowCount: 0, firstValue: null };
  if (reply instanceof RespError) return { rowCount: 1, firstValue: reply.line };
  return { rowCount: 1, firstValue: reply };
}

/**
 * Commands a check may not run: they switch the connection to another protocol (HELLO 3 is RESP3)
 * or into a stream of pushes that never ends in one reply, or end the conversation themselves.
 */
const UNSUPPORTED = new Set(['HELLO', 'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'MONITOR', 'SYNC', 'PSYNC', 'QUIT', 'RESET']);

/** Why the configured command cannot be a check, or undefined when it can (pure, for the schema). */
export function commandProblem(command: readonly string[]): string | undefined {
  const name = command[0]?.toUpperCase();
  if (!name) return 'must name a command';
  if (UNSUPPORTED.has(name)) return `${name} cannot be a check's command (it changes or ends the connection's protocol)`;
  return undefined;
}
