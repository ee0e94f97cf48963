import type { Observation } from './types.js';

/**
 * Whether the server is a standby, and how far its replay is behind, in one round trip.
 *
 * Lag is the age of the last transaction replayed, except when the standby has replayed all it
 * has received: then it is 0, because on an idle primary the last transaction may be hours old
 * while the standby is fully caught up. A standby cut off from its primary that has replayed all it
 * received therefore reads 0 as well; the primary's own check is what shows that it is gone.
 * Without a WAL receiver (archive recovery only) the receive position is NULL and the age is used.
 * The functions exist from PostgreSQL 10 and any role may call them.
 */
export const REPLICATION_SQL = `SELECT pg_is_in_recovery()::int AS replica,
  CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
  END AS lag_seconds`;

export interface ReplicationStatus {
  observations: Observation[];
  /** Why a standby's lag is not reported, when it is not. */
  note?: string;
}

/**
 * Observations from the row of REPLICATION_SQL, values as the server's text (pure).
 * `is_replica` is always reported; `replication_lag_seconds` only for a standby whose lag is known,
 * so a threshold on lag never fires against a primary.
 */
export function replicationStatus(row: readonly unknown[] | undefined): ReplicationStatus | undefined {
  if (!row || row.length < 2) return undefined;
  const replica = Number(row[0]);
  if (replica !== 0 && replica !== 1) return undefined;
  const observations: Observation[] = [{ metric: 'is_replica', value: replica }];
  if (replica === 0) return { observations };
  const lag = row[1] === null || row[1] === undefined ? NaN : Number(row[1]);
  // NULL: the standby has replayed no transaction since it started, so the age is unknown.
  if (!Number.isFinite(lag)) return { observations, note: 'standby has replayed no transaction since it started; lag unknown' };
  // Clocks of primary and standby differ a little: a commit "from the future" is no lag.
  observations.push({ metric: 'replication_lag_seconds', value: Math.max(0, lag) });
  return { observations };
}
