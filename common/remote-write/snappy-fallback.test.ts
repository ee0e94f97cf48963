import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { encodeWriteRequest } from './proto.js';

/**
 * The add-on fails to load as it does under Wine 8 (the win32 add-on needs bcryptprimitives.dll): loadNative
 * throws. The real add-on, required straight from node_modules, checks what the fallback writes.
 */
const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../native.js', () => ({
  loadNative: () => {
    loads.count++;
    throw new Error('Error loading shared library bcryptprimitives.dll');
  },
}));

const { snappyCodec, snappyCompress, snappyDeclaredLength, snappyUncompress } = await import('./snappy.js');
const real = createRequire(import.meta.url)('snappy') as { compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer, o: { asBuffer: true }): Buffer };

const body = encodeWriteRequest(
  Array.from({ length: 40 }, (_, i) => ({
    labels: [
      { name: '__name__', value: 'centerwatch_probe_success' },
      { name: 'check', value: `line-inet${i % 4}` },
      { name: 'kind', value: 'icmp' },
    ],
    samples: [{ value: i % 2, timestampMs: 1_764_201_600_123 + i }],
  })),
);

describe('snappy without the native add-on', () => {
  it('falls back to the JS codec, trying the add-on once for the life of the process', () => {
    expect(snappyCodec()).toBe('js');
    const block = snappyCompress(body);
    expect(block.length).toBeLessThan(body.length / 3);
    expect(real.uncompressSync(block, { asBuffer: true }).equals(body)).toBe(true);
    expect(snappyUncompress(real.compressSync(body), 1 << 20)).toEqual({ ok: true, body });
    expect(snappyUncompress(block, 1 << 20)).toEqual({ ok: true, body });
    expect(snappyCodec()).toBe('js');
    expect(loads.count).toBe(1);
  });

  it('keeps the contract of snappyUncompress and snappyDeclaredLength', () => {
    const block = snappyCompress(body);
    expect(snappyDeclaredLength(block)).toBe(body.length);
    expect(snappyUncompress(block, body.length - 1)).toMatchObject({ ok: false, problem: 'too_large' });
    expect(snappyUncompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1 << 20)).toMatchObject({ ok: false, problem: 'malformed' });
    expect(snappyUncompress(Buffer.from([0x10, 0x00, 0x01]), 1 << 20)).toMatchObject({ ok: false, problem: 'malformed' });
    expect(snappyUncompress(Buffer.alloc(0), 1 << 20)).toMatchObject({ ok: false, problem: 'malformed' });
    // 512 MiB declared, a few bytes sent: refused as too large before anything is allocated
    expect(snappyUncompress(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x02, 0x0c, 1, 2, 3, 4]), 32 << 20)).toMatchObject({ ok: false, problem: 'too_large' });
    expect(snappyUncompress(block.subarray(0, block.length - 1), 1 << 20)).toMatchObject({ ok: false, problem: 'malformed' });
    expect(loads.count).toBe(1);
  });
});
