/**
 * RESP2, the Redis serialization protocol, as far as a health check needs it: commands out as
 * arrays of bulk strings, replies in as simple strings, errors, integers, bulk strings and arrays.
 * Pure: no sockets here, so split and pipelined frames can be tested byte by byte.
 */

/** An error reply (`-WRONGPASS ...`): a value the server sent, not a failure of the parser. */
export class RespError {
  constructor(readonly line: string) {}

  /** The first word, by protocol convention the error's kind (`ERR`, `WRONGPASS`, `NOAUTH`, ...). */
  get code(): string {
    return /^\S*/.exec(this.line)![0];
  }
}

/** A decoded reply. Bulk strings are decoded as UTF-8; nil bulk and nil array are `null`. */
export type RespValue = string | number | null | RespError | RespValue[];

/** The bytes received are not RESP2 (or exceed the limits): the peer is not a Redis server we can talk to. */
export class RespProtocolError extends Error {
  readonly code = 'ERR_RESP_PROTOCOL';
}

/** Most a reply may take: a health-check command has no business fetching more (the agent's memory is budgeted). */
export const MAX_REPLY_BYTES = 1024 * 1024;
/** Most complete replies held before they are asked for: a check sends at most three commands and QUIT. */
export const MAX_UNREAD_REPLIES = 16;
/** Deepest nesting of arrays accepted. */
const MAX_DEPTH = 32;
const CRLF = Buffer.from('\r\n');

/** Encodes one command as RESP: `*<n>` then each argument as a bulk string. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

/** The line starting at `offset` (without CRLF) and where the next one starts, or undefined while incomplete. */
function readLine(buf: Buffer, offset: number): { text: string; next: number } | undefined {
  const end = buf.indexOf(CRLF, offset);
  if (end < 0) return undefined;
  return { text: buf.toString('utf8', offset, end), next: end + 2 };
}

function parseInteger(text: string, what: string): number {
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`bad ${what} ${JSON.stringify(text.slice(0, 20))}`);
  return Number(text);
}

/**
 * Parses one value starting at `offset`. Returns the value and where the next one starts, or
 * undefined when the buffer ends before the value does (wait for more bytes). Throws
 * RespProtocolError on bytes that are not RESP2.
 */
export function parseValue(buf: Buffer, offset = 0, depth = 0): { value: RespValue; next: number } | undefined {
  if (offset >= buf.length) return undefined;
  if (depth > MAX_DEPTH) throw new RespProtocolError('arrays nested too deep');
  const type = String.fromCharCode(buf[offset]!);
  if (!'+-:$*'.includes(type)) throw new RespProtocolError(`unexpected type byte 0x${buf[offset]!.toString(16).padStart(2, '0')}`);
  const line = readLine(buf, offset + 1);
  if (!line) return undefined;
  switch (type) {
    case '+':
      return { value: line.text, next: line.next };
    case '-':
      return { value: new RespError(line.text), next: line.next };
    case ':':
      // Integers beyond 2^53 lose precision: a health check compares counts and flags, not ids.
      return { value: parseInteger(line.text, 'integer'), next: line.next };
    case '$': {
      const len = parseInteger(line.text, 'bulk length');
      if (len === -1) return { value: null, next: line.next };
      if (len < 0 || len > MAX_REPLY_BYTES) throw new RespProtocolError(`bad bulk length ${len}`);
      const end = line.next + len;
      if (buf.length < end + 2) return undefined;
      if (buf[end] !== 0x0d || buf[end + 1] !== 0x0a) throw new RespProtocolError('bulk string not terminated by CRLF');
      return { value: buf.toString('utf8', line.next, end), next: end + 2 };
    }
    default: {
      const count = parseInteger(line.text, 'array length');
      if (count === -1) return { value: null, next: line.next };
      if (count < 0 || count > MAX_REPLY_BYTES) throw new RespProtocolError(`bad array length ${count}`);
      const items: RespValue[] = [];
      let next = line.next;
      for (let i = 0; i < count; i++) {
        const item = parseValue(buf, next, depth + 1);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
  }
}

/**
 * Collects bytes as they arrive and hands out complete replies in order. A reply split over
 * several chunks waits for the rest; several replies in one chunk (pipelining) come out one by one.
 */
export class RespReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly ready: RespValue[] = [];

  /** Adds received bytes; throws RespProtocolError when they are not RESP2 or a reply is too large. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const parsed = parseValue(this.buf);
      if (!parsed) break;
      this.ready.push(parsed.value);
      this.buf = this.buf.subarray(parsed.next);
      // Replies nobody asked for are a peer flooding: without this bound they pile up while a check waits.
      if (this.ready.length > MAX_UNREAD_REPLIES) throw new RespProtocolError(`over ${MAX_UNREAD_REPLIES} replies unread`);
    }
    // Checked after parsing, so the limit is on one reply still incomplete, not on a pipeline.
    if (this.buf.length > MAX_REPLY_BYTES) throw new RespProtocolError(`reply larger than ${MAX_REPLY_BYTES} bytes`);
  }

  /** The oldest complete reply not yet taken, or undefined when there is none. */
  shift(): { value: RespValue } | undefined {
    return this.ready.length > 0 ? { value: this.ready.shift()! } : undefined;
  }

  /** Bytes received that do not yet make a complete reply. */
  get pendingBytes(): number {
    return this.buf.length;
  }
}
