import { describe, expect, it } from 'vitest';
import { replicationStatus } from './postgres-replication.js';

describe('replicationStatus', () => {
  it('reports a primary as is_replica 0 without lag', () => {
    expect(replicationStatus(['0', null])).toEqual({ observations: [{ metric: 'is_replica', value: 0 }] });
  });
  it('reports a standby with its lag in seconds', () => {
    expect(replicationStatus(['1', '2.75'])?.observations).toEqual([
      { metric: 'is_replica', value: 1 },
      { metric: 'replication_lag_seconds', value: 2.75 },
    ]);
    expect(replicationStatus(['1', '0'])?.observations[1]).toEqual({ metric: 'replication_lag_seconds', value: 0 });
  });
  it('reads a lag below zero (clock skew) as none', () => {
    expect(replicationStatus(['1', '-0.2'])?.observations[1]).toEqual({ metric: 'replication_lag_seconds', value: 0 });
  });
  it('leaves the lag out, with a note, when the standby has replayed nothing yet', () => {
    const s = replicationStatus(['1', null]);
    expect(s?.observations).toEqual([{ metric: 'is_replica', value: 1 }]);
    expect(s?.note).toMatch(/lag unknown/);
  });
  it('refuses rows it does not understand', () => {
    expect(replicationStatus(undefined)).toBeUndefined();
    expect(replicationStatus(['t'])).toBeUndefined();
    expect(replicationStatus(['yes', '1'])).toBeUndefined();
  });
});
