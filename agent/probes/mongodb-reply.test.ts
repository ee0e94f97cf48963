import { describe, expect, it } from 'vitest';
import { commandProblem, replyResult, scalar } from './mongodb-reply.js';

describe('replyResult', () => {
  it('takes the first field of a plain reply as the one row', () => {
    expect(replyResult({ ok: 1 })).toEqual({ rowCount: 1, firstValue: 1 });
    expect(replyResult({ n: 42, ok: 1 })).toEqual({ rowCount: 1, firstValue: 42 });
  });

  it('takes a cursor reply first batch as rows and its first document first field as value', () => {
    const reply = { cursor: { id: 0, ns: 'motcua.dossiers', firstBatch: [{ status: 'received', n: 1 }, { status: 'done' }] }, ok: 1 };
    expect(replyResult(reply)).toEqual({ rowCount: 2, firstValue: 'received' });
    expect(replyResult({ cursor: { id: 0, firstBatch: [] }, ok: 1 })).toEqual({ rowCount: 0, firstValue: undefined });
  });
});

describe('scalar', () => {
  it('keeps plain values and turns BSON values and dates into text', () => {
    expect(scalar(true)).toBe(true);
    expect(scalar('x')).toBe('x');
    expect(scalar(null)).toBeNull();
    expect(scalar(12n)).toBe('12');
    expect(scalar(new Date(Date.UTC(2025, 6, 1, 1, 30)))).toBe('2025-07-01T01:30:00.000Z');
    expect(scalar({ _bsontype: 'Long', toString: () => '9007199254740993' })).toBe('9007199254740993');
    expect(scalar({ a: [1, 2] })).toBe('{"a":[1,2]}');
  });
});

describe('commandProblem', () => {
  it('accepts a named command and refuses an empty one, an operator or one that harms the server', () => {
    expect(commandProblem({ ping: 1 })).toBeUndefined();
    expect(commandProblem({ count: 'dossiers', query: { status: 'received' } })).toBeUndefined();
    expect(commandProblem({})).toBe('must name a command, e.g. { ping: 1 }');
    expect(commandProblem({ $db: 'admin' })).toBe("must start with the command's name, not $db");
    expect(commandProblem({ dropDatabase: 1 })).toBe("dropDatabase cannot be a check's command");
    expect(commandProblem({ shutdown: 1, force: true })).toBe("shutdown cannot be a check's command");
  });
});
