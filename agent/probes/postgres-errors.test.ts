import { describe, expect, it } from 'vitest';
import { pgMessage, pgReason, reasonForSqlState, type PgFailure } from './postgres-errors.js';

describe('reasonForSqlState', () => {
  it.each([
    ['28P01', 'auth', 'auth'],
    ['28000', 'auth', 'auth'],
    ['3D000', 'auth', 'database_missing'],
    ['42501', 'auth', 'auth'],
    ['42501', 'query', 'query_failed'],
    ['53300', 'auth', 'refused'],
    ['57P03', 'connect', 'refused'],
    ['08P01', 'auth', 'protocol'],
    ['08P01', 'query', 'protocol'],
    ['42601', 'query', 'query_failed'],
    ['42P01', 'replication', 'query_failed'],
    ['22012', 'query', 'query_failed'],
    ['57014', 'query', 'query_failed'],
    ['25006', 'query', 'query_failed'],
    ['22023', 'auth', 'protocol'],
  ] as const)('%s at %s is %s', (code, stage, reason) => {
    expect(reasonForSqlState(code, stage)).toBe(reason);
  });
});

describe('pgReason', () => {
  const f = (extra: Partial<PgFailure>): PgFailure => ({ stage: 'connect', ...extra });
  it('is timeout once the deadline passed, whatever the driver reported', () => {
    expect(pgReason(f({ sqlstate: '28P01' }), true)).toBe('timeout');
    expect(pgReason(f({ code: 'ECONNRESET' }), true)).toBe('timeout');
  });
  it('maps socket and TLS codes like every probe', () => {
    expect(pgReason(f({ code: 'ECONNREFUSED' }), false)).toBe('refused');
    expect(pgReason(f({ code: 'ENOTFOUND' }), false)).toBe('dns');
    expect(pgReason(f({ stage: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), false)).toBe('tls');
    expect(pgReason(f({ stage: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), false)).toBe('tls');
    expect(pgReason(f({ stage: 'query', code: 'ECONNRESET' }), false)).toBe('protocol');
  });
  it('reads a code-less failure by the stage it happened in', () => {
    expect(pgReason(f({ stage: 'tls', tlsRefused: true }), false)).toBe('tls');
    expect(pgReason(f({ stage: 'auth', passwordSet: false }), false)).toBe('auth');
    expect(pgReason(f({ stage: 'auth', peerClosed: true }), false)).toBe('protocol');
    expect(pgReason(f({ stage: 'query', peerClosed: true }), false)).toBe('protocol');
  });
});

describe('pgMessage', () => {
  it('names the SQLSTATE and its condition, and the stage', () => {
    expect(pgMessage({ stage: 'auth', sqlstate: '28P01' }, false)).toBe('login failed (SQLSTATE 28P01 invalid_password)');
    expect(pgMessage({ stage: 'query', sqlstate: '42P01' }, false)).toBe('query failed (SQLSTATE 42P01 undefined_table)');
    expect(pgMessage({ stage: 'query', sqlstate: 'P0001' }, false)).toBe('query failed (SQLSTATE P0001)');
    expect(pgMessage({ stage: 'auth', sqlstate: '3D000', database: 'hcc' }, false)).toBe('database "hcc" does not exist (SQLSTATE 3D000 invalid_catalog_name)');
    expect(pgMessage({ stage: 'replication', sqlstate: '42883' }, false)).toContain('PostgreSQL 10');
  });
  it('describes socket errors by code only, never by the error text', () => {
    const err = Object.assign(new Error('password=hunter2 in a connection string'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(pgMessage({ stage: 'connect', code: 'ECONNREFUSED' }, false, err)).toBe('connect ECONNREFUSED');
    const tls = Object.assign(new Error('hunter2'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(pgMessage({ stage: 'tls', code: tls.code }, false, tls)).toBe('TLS negotiation: DEPTH_ZERO_SELF_SIGNED_CERT');
  });
  it('explains code-less failures', () => {
    expect(pgMessage({ stage: 'tls', tlsRefused: true }, false)).toBe('the server does not offer TLS');
    expect(pgMessage({ stage: 'tls' }, false)).toBe('TLS negotiation failed');
    expect(pgMessage({ stage: 'auth', passwordSet: false }, false)).toBe('the server asks for a password and none is configured');
    expect(pgMessage({ stage: 'auth', passwordSet: true }, false)).toBe('password exchange failed');
    expect(pgMessage({ stage: 'query', peerClosed: true }, false)).toBe('the server closed the connection during query');
    expect(pgMessage({ stage: 'query', sqlstate: '57014' }, true)).toBe('deadline exceeded during query');
  });
});
