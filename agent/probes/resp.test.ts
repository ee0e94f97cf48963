import { describe, expect, it } from 'vitest';
import { encodeCommand, MAX_REPLY_BYTES, parseValue, RespError, RespProtocolError, RespReader, type RespValue } from './resp.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Feeds the chunks and returns every complete reply, in order. */
function readAll(chunks: Buffer[]): RespValue[] {
  const r = new RespReader();
  const out: RespValue[] = [];
  for (const c of chunks) {
    r.push(c);
    for (let v = r.shift(); v; v = r.shift()) out.push(v.value);
  }
  return out;
}

describe('encodeCommand', () => {
  it('writes an array of bulk strings, lengths in bytes', () => {
    expect(encodeCommand(['PING']).toString()).toBe('*1\r\n$4\r\nPING\r\n');
    expect(encodeCommand(['AUTH', 'cw', 'mật khẩu']).toString()).toBe('*3\r\n$4\r\nAUTH\r\n$2\r\ncw\r\n$12\r\nmật khẩu\r\n');
    expect(encodeCommand(['SET', 'k', '']).toString()).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n');
  });

  it('keeps CRLF inside an argument as data', () => {
    const frame = encodeCommand(['ECHO', 'a\r\nb']);
    expect(frame.toString()).toBe('*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n');
    expect(parseValue(frame)).toEqual({ value: ['ECHO', 'a\r\nb'], next: frame.length });
  });
});

describe('parseValue', () => {
  it('reads each RESP2 type', () => {
    expect(parseValue(b('+PONG\r\n'))).toEqual({ value: 'PONG', next: 7 });
    expect(parseValue(b(':-42\r\n'))).toEqual({ value: -42, next: 6 });
    expect(parseValue(b('$5\r\nhello\r\n'))).toEqual({ value: 'hello', next: 11 });
    expect(parseValue(b('$0\r\n\r\n'))).toEqual({ value: '', next: 6 });
    expect(parseValue(b('$-1\r\n'))).toEqual({ value: null, next: 5 });
    expect(parseValue(b('*-1\r\n'))).toEqual({ value: null, next: 5 });
    expect(parseValue(b('*0\r\n'))).toEqual({ value: [], next: 4 });
    expect(parseValue(b('*3\r\n:1\r\n*1\r\n+a\r\n$-1\r\n'))?.value).toEqual([1, ['a'], null]);
  });

  it('reads an error reply as a value whose code is its first word', () => {
    const v = parseValue(b('-WRONGPASS invalid username-password pair or user is disabled.\r\n'))?.value;
    expect(v).toBeInstanceOf(RespError);
    expect((v as RespError).code).toBe('WRONGPASS');
    expect(new RespError('ERR invalid password').code).toBe('ERR');
    expect(new RespError('').code).toBe('');
  });

  it('reads from an offset', () => {
    expect(parseValue(b('+OK\r\n:7\r\n'), 5)).toEqual({ value: 7, next: 9 });
  });

  it('says incomplete at every cut of a frame', () => {
    const frame = b('*2\r\n$5\r\nhello\r\n:12\r\n');
    for (let cut = 0; cut < frame.length; cut++) expect(parseValue(frame.subarray(0, cut))).toBeUndefined();
    expect(parseValue(frame)).toEqual({ value: ['hello', 12], next: frame.length });
  });

  it('refuses bytes that are not RESP2', () => {
    expect(() => parseValue(b('HTTP/1.1 400 Bad Request\r\n'))).toThrow(RespProtocolError);
    expect(() => parseValue(b('%1\r\n'))).toThrow('unexpected type byte 0x25');
    expect(() => parseValue(b(':12a\r\n'))).toThrow('bad integer "12a"');
    expect(() => parseValue(b('$3\r\nabcd\r\n'))).toThrow('bulk string not terminated by CRLF');
    expect(() => parseValue(b('$-2\r\n'))).toThrow('bad bulk length -2');
    expect(() => parseValue(b(`$${MAX_REPLY_BYTES + 1}\r\n`))).toThrow(`bad bulk length ${MAX_REPLY_BYTES + 1}`);
    expect(() => parseValue(b(`${'*1\r\n'.repeat(40)}:1\r\n`))).toThrow('arrays nested too deep');
  });

  it('carries the protocol error code that maps to the protocol reason', () => {
    let caught: unknown;
    try {
      parseValue(b('?'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'ERR_RESP_PROTOCOL' });
  });
});

describe('RespReader', () => {
  const pipeline = '+OK\r\n-ERR DB index is out of range\r\n*2\r\n$3\r\nfoo\r\n$-1\r\n:3\r\n';
  const expected = ['OK', new RespError('ERR DB index is out of range'), ['foo', null], 3];

  it('hands out pipelined replies one by one, in order', () => {
    expect(readAll([b(pipeline)])).toEqual(expected);
  });

  it('gives the same replies whatever the split, down to one byte a chunk', () => {
    const bytes = b(pipeline);
    for (let size = 1; size <= 7; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(readAll(chunks)).toEqual(expected);
    }
  });

  it('does not cut a multi-byte character split between chunks', () => {
    const frame = b('$11\r\nthủ tục\r\n');
    // "ủ" is 3 bytes, at 7..9: cut inside it.
    expect(readAll([frame.subarray(0, 8), frame.subarray(8)])).toEqual(['thủ tục']);
  });

  it('keeps what is incomplete and says how much', () => {
    const r = new RespReader();
    r.push(b('+OK\r\n$10\r\nabc'));
    expect(r.shift()).toEqual({ value: 'OK' });
    expect(r.shift()).toBeUndefined();
    expect(r.pendingBytes).toBe(8);
    r.push(b('defghij\r\n'));
    expect(r.shift()).toEqual({ value: 'abcdefghij' });
    expect(r.pendingBytes).toBe(0);
  });

  it('gives a nil reply as a value, distinct from no reply yet', () => {
    const r = new RespReader();
    r.push(b('$-1\r\n'));
    expect(r.shift()).toEqual({ value: null });
    expect(r.shift()).toBeUndefined();
  });

  it('refuses a reply that grows past the limit without completing', () => {
    const r = new RespReader();
    r.push(b(`*3\r\n$${MAX_REPLY_BYTES}\r\n`));
    expect(() => r.push(Buffer.alloc(MAX_REPLY_BYTES, 0x61))).toThrow(`reply larger than ${MAX_REPLY_BYTES} bytes`);
  });

  it('refuses garbage after good replies, having handed out the good ones', () => {
    const r = new RespReader();
    expect(() => r.push(b('+OK\r\n<html>'))).toThrow(RespProtocolError);
    expect(r.shift()).toEqual({ value: 'OK' });
  });
});
