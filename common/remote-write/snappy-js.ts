/**
 * Snappy block format (not the framed stream format) in plain TypeScript: the codec the agent falls
 * back on when the native add-on cannot load (Wine 8 lacks a DLL the win32 add-on needs; an old
 * Windows or a locked-down cache folder can refuse it too). The encoder follows the reference
 * implementation: 64 KiB blocks, a hash table of 4-byte sequences per block, greedy matching with a
 * skip that grows over incompressible input. Its output is valid snappy, not byte-identical to the
 * native encoder's; any snappy decoder reads it.
 */

/** Outcome of decoding a block: the body, or why it was refused. */
export type UncompressResult = { ok: true; body: Buffer } | { ok: false; problem: 'malformed' | 'too_large'; detail: string };

const TAG_LITERAL = 0;
const TAG_COPY1 = 1;
const TAG_COPY2 = 2;

/** Matches never cross a block boundary, so every offset fits in 16 bits. */
const MAX_BLOCK = 65536;
const MAX_TABLE = 1 << 14;
/** The last bytes of a block are always literals: the match loop reads 4 bytes ahead. */
const INPUT_MARGIN = 15;
const MIN_NON_LITERAL_BLOCK = 1 + 1 + INPUT_MARGIN;

// One table for the process: the encoder is synchronous, so calls never interleave.
const table = new Uint16Array(MAX_TABLE);

/** The most bytes a block of `n` input bytes can take (reference: 32 + n + n/6). */
export function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function hash(u: number, shift: number): number {
  return Math.imul(u, 0x1e35a7bd) >>> shift;
}

function emitLiteral(dst: Uint8Array, d: number, src: Uint8Array, from: number, to: number): number {
  const n = to - from - 1;
  if (n < 60) {
    dst[d++] = (n << 2) | TAG_LITERAL;
  } else if (n < 0x100) {
    dst[d++] = (60 << 2) | TAG_LITERAL;
    dst[d++] = n;
  } else {
    // a literal never exceeds a 64 KiB block: two length bytes suffice
    dst[d++] = (61 << 2) | TAG_LITERAL;
    dst[d++] = n & 0xff;
    dst[d++] = n >>> 8;
  }
  dst.set(src.subarray(from, to), d);
  return d + (to - from);
}

function emitCopy2(dst: Uint8Array, d: number, offset: number, length: number): number {
  dst[d] = ((length - 1) << 2) | TAG_COPY2;
  dst[d + 1] = offset & 0xff;
  dst[d + 2] = offset >>> 8;
  return d + 3;
}

function emitCopy(dst: Uint8Array, d: number, offset: number, length: number): number {
  while (length >= 68) {
    d = emitCopy2(dst, d, offset, 64);
    length -= 64;
  }
  if (length > 64) {
    // 60 now leaves at least 5, which a 1-byte-offset copy may still carry
    d = emitCopy2(dst, d, offset, 60);
    length -= 60;
  }
  if (length >= 12 || offset >= 2048) return emitCopy2(dst, d, offset, length);
  dst[d] = ((offset >>> 8) << 5) | ((length - 4) << 2) | TAG_COPY1;
  dst[d + 1] = offset & 0xff;
  return d + 2;
}

/** Compresses src[start, end) (at most 64 KiB, at least MIN_NON_LITERAL_BLOCK) into dst at d. */
function encodeBlock(dst: Uint8Array, d: number, src: Uint8Array, start: number, end: number): number {
  const len = end - start;
  let shift = 32 - 8;
  let tableSize = 1 << 8;
  while (tableSize < MAX_TABLE && tableSize < len) {
    tableSize *= 2;
    shift--;
  }
  table.fill(0, 0, tableSize);
  // Positions in the table are relative to the block; s, candidate, nextEmit are absolute.
  const sLimit = end - INPUT_MARGIN;
  let nextEmit = start;
  let s = start + 1;
  let nextHash = hash(load32(src, s), shift);
  for (;;) {
    let skip = 32;
    let nextS = s;
    let candidate: number;
    for (;;) {
      s = nextS;
      const step = skip >>> 5;
      nextS = s + step;
      skip += step;
      if (nextS > sLimit) return nextEmit < end ? emitLiteral(dst, d, src, nextEmit, end) : d;
      candidate = start + table[nextHash]!;
      table[nextHash] = s - start;
      nextHash = hash(load32(src, nextS), shift);
      if (load32(src, s) === load32(src, candidate)) break;
    }
    d = emitLiteral(dst, d, src, nextEmit, s);
    // Emit copies as long as the byte after one starts another match.
    for (;;) {
      const base = s;
      s += 4;
      for (let i = candidate + 4; s < end && src[i] === src[s]; i++) s++;
      d = emitCopy(dst, d, base - candidate, s - base);
      nextEmit = s;
      if (s >= sLimit) return nextEmit < end ? emitLiteral(dst, d, src, nextEmit, end) : d;
      table[hash(load32(src, s - 1), shift)] = s - 1 - start;
      const cur = load32(src, s);
      const h = hash(cur, shift);
      candidate = start + table[h]!;
      table[h] = s - start;
      if (cur !== load32(src, candidate)) {
        nextHash = hash(load32(src, s + 1), shift);
        s++;
        break;
      }
    }
  }
}

/** Compresses `input` into one snappy block. */
export function compressBlock(input: Uint8Array): Buffer {
  const dst = Buffer.allocUnsafe(maxCompressedLength(input.length));
  let d = 0;
  let n = input.length;
  for (; n >= 0x80; n = Math.floor(n / 128)) dst[d++] = (n % 128) | 0x80;
  dst[d++] = n;
  for (let start = 0; start < input.length; start += MAX_BLOCK) {
    const end = Math.min(start + MAX_BLOCK, input.length);
    d = end - start < MIN_NON_LITERAL_BLOCK ? emitLiteral(dst, d, input, start, end) : encodeBlock(dst, d, input, start, end);
  }
  return dst.subarray(0, d);
}

/**
 * The uncompressed length a block announces and the bytes its varint preamble takes, or undefined
 * when the preamble runs past 5 bytes or the block. A 5-byte preamble may announce up to 2^35 - 1:
 * a caller refuses that as too large before the decoder refuses it as beyond 32 bits.
 */
export function readPreamble(block: Uint8Array): { length: number; bytes: number } | undefined {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    length += (b & 0x7f) * 128 ** i;
    if (b < 0x80) return { length, bytes: i + 1 };
  }
  return undefined;
}

const malformed = (detail: string): UncompressResult => ({ ok: false, problem: 'malformed', detail });

/** Decompresses one snappy block of at most `maxBytes` uncompressed. Never throws for bad input. */
export function uncompressBlock(block: Uint8Array, maxBytes: number): UncompressResult {
  const pre = readPreamble(block);
  if (pre === undefined) return malformed('not a snappy block (bad length preamble)');
  if (pre.length > maxBytes) return { ok: false, problem: 'too_large', detail: `uncompressed body of ${pre.length} bytes exceeds ${maxBytes}` };
  if (pre.length > 0xffffffff) return malformed('declared length does not fit 32 bits');
  const dst = Buffer.allocUnsafe(pre.length);
  const n = block.length;
  let s = pre.bytes;
  let d = 0;
  while (s < n) {
    const tag = block[s]!;
    let length: number;
    let offset: number;
    switch (tag & 3) {
      case TAG_LITERAL: {
        let x = tag >>> 2;
        s++;
        if (x >= 60) {
          const extra = x - 59;
          if (s + extra > n) return malformed('truncated literal length');
          x = 0;
          for (let i = extra - 1; i >= 0; i--) x = x * 256 + block[s + i]!;
          s += extra;
        }
        length = x + 1;
        if (length > n - s) return malformed('literal runs past the end of the block');
        if (length > dst.length - d) return malformed('literal runs past the declared length');
        dst.set(block.subarray(s, s + length), d);
        s += length;
        d += length;
        continue;
      }
      case TAG_COPY1:
        if (s + 2 > n) return malformed('truncated copy');
        length = 4 + ((tag >>> 2) & 7);
        offset = ((tag & 0xe0) << 3) | block[s + 1]!;
        s += 2;
        break;
      case TAG_COPY2:
        if (s + 3 > n) return malformed('truncated copy');
        length = 1 + (tag >>> 2);
        offset = block[s + 1]! | (block[s + 2]! << 8);
        s += 3;
        break;
      default: // 4-byte-offset copy: the reference encoder never emits it, but it is valid snappy
        if (s + 5 > n) return malformed('truncated copy');
        length = 1 + (tag >>> 2);
        offset = load32(block, s + 1) >>> 0;
        s += 5;
    }
    if (offset === 0 || offset > d) return malformed('copy offset beyond the output');
    if (length > dst.length - d) return malformed('copy runs past the declared length');
    if (offset >= length) {
      dst.copyWithin(d, d - offset, d - offset + length);
      d += length;
    } else {
      // overlapping copy: a run repeating the last `offset` bytes, forward byte by byte
      for (const stop = d + length; d < stop; d++) dst[d] = dst[d - offset]!;
    }
  }
  if (d !== dst.length) return malformed('snappy length mismatch');
  return { ok: true, body: dst };
}
