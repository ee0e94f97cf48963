import { describe, expect, it } from 'vitest';
import { commandProblem, replyReason, replyResult } from './redis-replies.js';
import { RespError } from './resp.js';
import { resultProblem } from './db-common.js';

describe('replyReason', () => {
  it('takes wrong or missing credentials as auth at any step', () => {
    for (const step of ['auth', 'select', 'command'] as const) {
      expect(replyReason(step, 'WRONGPASS')).toBe('auth');
      expect(replyReason(step, 'NOAUTH')).toBe('auth');
      expect(replyReason(step, 'DENIED')).toBe('auth');
    }
  });

  it('takes any other error to AUTH as auth (ERR from Redis < 6 or a server without a password)', () => {
    expect(replyReason('auth', 'ERR')).toBe('auth');
  });

  it('takes an error to SELECT as a missing database, unless the ACL forbids it', () => {
    expect(replyReason('select', 'ERR')).toBe('database_missing');
    expect(replyReason('select', 'NOPERM')).toBe('auth');
  });

  it("takes an error to the check's command as a failed query, permission errors included", () => {
    expect(replyReason('command', 'ERR')).toBe('query_failed');
    expect(replyReason('command', 'WRONGTYPE')).toBe('query_failed');
    expect(replyReason('command', 'NOPERM')).toBe('query_failed');
    expect(replyReason('command', 'READONLY')).toBe('query_failed');
  });

  it('takes a server that cannot serve now as protocol, whatever the step', () => {
    for (const step of ['auth', 'select', 'command'] as const) {
      expect(replyReason(step, 'LOADING')).toBe('protocol');
      expect(replyReason(step, 'BUSY')).toBe('protocol');
      expect(replyReason(step, 'MASTERDOWN')).toBe('protocol');
    }
  });
});

describe('replyResult', () => {
  it('counts an array and takes its first element', () => {
    expect(replyResult(['a', 'b', 'c'])).toEqual({ rowCount: 3, firstValue: 'a' });
    expect(replyResult([])).toEqual({ rowCount: 0, firstValue: undefined });
    expect(replyResult([[1, 2], 'x'])).toEqual({ rowCount: 2, firstValue: [1, 2] });
  });

  it('takes any other reply as one row, nil as none', () => {
    expect(replyResult('PONG')).toEqual({ rowCount: 1, firstValue: 'PONG' });
    expect(replyResult(42)).toEqual({ rowCount: 1, firstValue: 42 });
    expect(replyResult(null)).toEqual({ rowCount: 0, firstValue: null });
    expect(replyResult(new RespError('ERR nested'))).toEqual({ rowCount: 1, firstValue: 'ERR nested' });
  });

  it('works with the shared expectations', () => {
    expect(resultProblem(replyResult('PONG'), { value: { op: 'eq', value: 'PONG' } })).toBeUndefined();
    expect(resultProblem(replyResult(7), { value: { op: 'ge', value: 5 } })).toBeUndefined();
    expect(resultProblem(replyResult(null), { rows: { op: 'ge', value: 1 } })).toBe('0 rows, expected ge 1');
    expect(resultProblem(replyResult(['master', 1]), { matches: '^master$' })).toBeUndefined();
  });
});

describe('commandProblem', () => {
  it('accepts ordinary commands, in any case', () => {
    expect(commandProblem(['PING'])).toBeUndefined();
    expect(commandProblem(['get', 'queue:length'])).toBeUndefined();
  });

  it('refuses commands that change or end the protocol, and an empty name', () => {
    expect(commandProblem(['hello', '3'])).toBe("HELLO cannot be a check's command (it changes or ends the connection's protocol)");
    expect(commandProblem(['SUBSCRIBE', 'ch'])).toMatch(/^SUBSCRIBE cannot/);
    expect(commandProblem(['MONITOR'])).toMatch(/^MONITOR cannot/);
    expect(commandProblem([''])).toBe('must name a command');
    expect(commandProblem([])).toBe('must name a command');
  });
});
