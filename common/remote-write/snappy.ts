import { loadNative } from '../native.js';

/**
 * Snappy block format (not the framed stream format), as remote_write 1.0 requires. The native codec of
 * `snappy` (napi-rs) is loaded lazily so that a process that never pushes does not map it.
 */
interface SnappyBinding {
  compressSync(input: Buffer): Buffer;
  uncompressSync(input: Buffer, opts?: { asBuffer?: boolean }): Buffer | string;
}
let binding: SnappyBinding | undefined;
function snappy(): SnappyBinding {
  binding ??= loadNative<SnappyBinding>('snappy');
  return binding;
}

export function snappyCompress(body: Buffer): Buffer {
  return snappy().compressSync(body);
}

/**
 * The uncompressed length a snappy block announces in its varint preamble, or undefined when the
 * preamble is malformed. Read before decompressing so an oversized body is refused without
 * allocating it.
 */
export function snappyDeclaredLength(block: Buffer): number | undefined {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    result += (b & 0x7f) * mul;
    if (b < 128) return result;
    mul *= 128;
  }
  return undefined;
}

export type UncompressResult = { ok: true; body: Buffer } | { ok: false; problem: 'malformed' | 'too_large'; detail: string };

/** Decompresses a snappy block of at most `maxBytes` uncompressed. Never throws for bad input. */
export function snappyUncompress(block: Buffer, maxBytes: number): UncompressResult {
  const declared = snappyDeclaredLength(block);
  if (declared === undefined) return { ok: false, problem: 'malformed', detail: 'not a snappy block (bad length preamble)' };
  if (declared > maxBytes) return { ok: false, problem: 'too_large', detail: `uncompressed body of ${declared} bytes exceeds ${maxBytes}` };
  try {
    const body = snappy().uncompressSync(block, { asBuffer: true }) as Buffer;
    if (body.length !== declared) return { ok: false, problem: 'malformed', detail: 'snappy length mismatch' };
    return { ok: true, body };
  } catch {
    return { ok: false, problem: 'malformed', detail: 'not a valid snappy block' };
  }
}
