/**
 * What a MySQL/MariaDB check reads from the driver's results, kept pure so that each shape the
 * driver returns (result set, OK packet, several result sets from a CALL) is tested without a server.
 */

/**
 * The row count and first value of a query run with `rowsAsArray`: a result set gives its rows
 * and the first column of the first row; a statement without one (UPDATE, SET, DO) gives its
 * affected rows; a CALL, which returns several results, is judged by its first result set.
 */
export function queryResult(rows: unknown, fields: unknown): { rowCount: number; firstValue: unknown } {
  // Several results: `fields` holds one entry (or undefined) per result.
  if (Array.isArray(rows) && Array.isArray(fields) && fields.length > 0 && (Array.isArray(fields[0]) || fields[0] === undefined)) {
    const first: unknown = rows[0];
    return queryResult(first, Array.isArray(fields[0]) ? fields[0] : undefined);
  }
  if (Array.isArray(rows)) {
    const row = rows[0] as unknown;
    return { rowCount: rows.length, firstValue: Array.isArray(row) ? row[0] : undefined };
  }
  const affected = (rows as { affectedRows?: unknown } | null)?.affectedRows;
  return { rowCount: typeof affected === 'number' ? affected : 0, firstValue: undefined };
}

/** Replica state from the rows of SHOW [ALL] REPLICA/SLAVE STATUS (one row per replication channel). */
export interface ReplicaStatus {
  isReplica: boolean;
  /**
   * Seconds behind the primary: the worst channel's. Undefined when not a replica, or when any
   * channel is not replicating (the server reports NULL), so a healthy channel cannot hide a stopped one.
   */
  lagSeconds?: number;
  /** Channels whose lag the server reports as NULL (SQL or IO thread not running). */
  stoppedChannels: number;
}

/** Reads the lag column under its MariaDB / older MySQL name or its MySQL 8.0.22+ name. */
function lagOf(row: Record<string, unknown>): number | undefined {
  const v = row.Seconds_Behind_Master ?? row.Seconds_Behind_Source;
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function replicaStatus(rows: ReadonlyArray<Record<string, unknown>>): ReplicaStatus {
  if (rows.length === 0) return { isReplica: false, stoppedChannels: 0 };
  const lags = rows.map(lagOf);
  const stoppedChannels = lags.filter((l) => l === undefined).length;
  if (stoppedChannels > 0) return { isReplica: true, stoppedChannels };
  return { isReplica: true, lagSeconds: Math.max(...(lags as number[])), stoppedChannels: 0 };
}

/**
 * Statements to read the replica status, tried in order until the server knows one: MariaDB
 * 10.5.1+ lists every source with ALL; MySQL 8.0.22+ lists every channel with SHOW REPLICA STATUS;
 * older servers only know the SLAVE spelling.
 */
export const REPLICA_STATUS_QUERIES = ['SHOW ALL REPLICAS STATUS', 'SHOW REPLICA STATUS', 'SHOW SLAVE STATUS'] as const;

/** ER_PARSE_ERROR: the server does not know the statement's syntax (try the next spelling). */
export const ER_PARSE_ERROR = 1064;
