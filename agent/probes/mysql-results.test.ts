import { describe, expect, it } from 'vitest';
import { queryResult, replicaStatus } from './mysql-results.js';

// Shapes as mysql2 returns them with rowsAsArray (fields abbreviated to what matters).
const field = (name: string) => ({ name });

describe('queryResult', () => {
  it('counts the rows of a result set and takes the first column of the first row', () => {
    expect(
      queryResult(
        [
          [1, 'a'],
          [2, 'b'],
        ],
        [field('n'), field('s')],
      ),
    ).toEqual({ rowCount: 2, firstValue: 1 });
    expect(queryResult([], [field('n')])).toEqual({ rowCount: 0, firstValue: undefined });
    expect(queryResult([[null]], [field('n')])).toEqual({ rowCount: 1, firstValue: null });
  });

  it('counts the affected rows of a statement without a result set', () => {
    expect(queryResult({ fieldCount: 0, affectedRows: 3, insertId: 0 }, undefined)).toEqual({ rowCount: 3, firstValue: undefined });
    expect(queryResult({ fieldCount: 0, affectedRows: 0 }, undefined)).toEqual({ rowCount: 0, firstValue: undefined });
  });

  it('judges a CALL by its first result set', () => {
    const rows = [[['ready', 1]], { affectedRows: 0 }];
    const fields = [[field('status'), field('n')], undefined];
    expect(queryResult(rows, fields)).toEqual({ rowCount: 1, firstValue: 'ready' });
  });
});

describe('replicaStatus', () => {
  it('is not a replica when the status has no rows', () => {
    expect(replicaStatus([])).toEqual({ isReplica: false, stoppedChannels: 0 });
  });

  it('reads the lag under the MariaDB and the MySQL 8.0.22+ names', () => {
    expect(replicaStatus([{ Connection_name: '', Seconds_Behind_Master: 4 }])).toEqual({ isReplica: true, lagSeconds: 4, stoppedChannels: 0 });
    expect(replicaStatus([{ Channel_Name: '', Seconds_Behind_Source: '0' }])).toEqual({ isReplica: true, lagSeconds: 0, stoppedChannels: 0 });
  });

  it("reports the worst channel's lag", () => {
    expect(replicaStatus([{ Seconds_Behind_Master: 2 }, { Seconds_Behind_Master: 30 }])).toMatchObject({ lagSeconds: 30 });
  });

  it('reports no lag when any channel is not replicating, counting those channels', () => {
    expect(replicaStatus([{ Seconds_Behind_Master: null }])).toEqual({ isReplica: true, stoppedChannels: 1 });
    expect(replicaStatus([{ Seconds_Behind_Master: 1 }, { Seconds_Behind_Master: null }])).toEqual({ isReplica: true, stoppedChannels: 1 });
  });
});
