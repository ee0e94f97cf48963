import { loadNative } from '../native.js';
import { compressBlock, readPreamble, uncompressBlock, type UncompressResult } from './snappy-js.js';

export type { UncompressResult } from './snappy-js.js';

/**
 * Snappy block format (not the framed stream format), as remote_write 1.0 requires. The native codec of
 * `snappy` (napi-rs) is loaded lazily so that a process that never pushes does not map it. When it cannot
 * load (Wine 8 lacks bcryptprimitives.dll, which the win32 add-on needs; an old Windows, a cache folder
 * the add-on cannot be extracted to), the pure TypeScript codec of snappy-js.ts takes over for the life
 * of the process: slower, but pushes keep flowing and reach the WAL. Both write and read the same format.
 */
interface SnappyBinding {
  compressSync(input: Buffer): Buffer;
  uncompressSync(input: Buffer, opts?: { asBuffer?: boolean }): Buffer | string;
}

/** Which codec compresses and decompresses in this process. */
export type SnappyCodec = 'native' | 'js';

let binding: SnappyBinding | null | undefined;
/** The native binding, or null once loading it failed (tried once per process). */
function native(): SnappyBinding | null {
  if (binding === undefined) {
    try {
      binding = loadNative<SnappyBinding>('snappy');
    } catch {
      binding = null;
    }
  }
  return binding;
}

/** The codec in use: `native`, or `js` when the add-on failed to load. Loads the add-on if not yet tried. */
export function snappyCodec(): SnappyCodec {
  return native() ? 'native' : 'js';
}

export function snappyCompress(body: Buffer): Buffer {
  const b = native();
  return b ? b.compressSync(body) : compressBlock(body);
}

/**
 * The uncompressed length a snappy block announces in its varint preamble, or undefined when the
 * preamble is malformed. Read before decompressing so an oversized body is refused without
 * allocating it.
 */
export function snappyDeclaredLength(block: Buffer): number | undefined {
  return readPreamble(block)?.length;
}

/** Decompresses a snappy block of at most `maxBytes` uncompressed. Never throws for bad input. */
export function snappyUncompress(block: Buffer, maxBytes: number): UncompressResult {
  const declared = snappyDeclaredLength(block);
  if (declared === undefined) return { ok: false, problem: 'malformed', detail: 'not a snappy block (bad length preamble)' };
  if (declared > maxBytes) return { ok: false, problem: 'too_large', detail: `uncompressed body of ${declared} bytes exceeds ${maxBytes}` };
  const b = native();
  if (!b) return uncompressBlock(block, maxBytes);
  try {
    const body = b.uncompressSync(block, { asBuffer: true }) as Buffer;
    if (body.length !== declared) return { ok: false, problem: 'malformed', detail: 'snappy length mismatch' };
    return { ok: true, body };
  } catch {
    return { ok: false, problem: 'malformed', detail: 'not a valid snappy block' };
  }
}
