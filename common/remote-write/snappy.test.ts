import { describe, expect, it } from 'vitest';
import { encodeWriteRequest } from './proto.js';
import { compressBlock } from './snappy-js.js';
import { snappyCodec, snappyCompress, snappyDeclaredLength, snappyUncompress } from './snappy.js';

describe('snappy with the native add-on', () => {
  it('uses the add-on when it loads and reads what the JS codec wrote', () => {
    expect(snappyCodec()).toBe('native');
    const body = encodeWriteRequest([{ labels: [{ name: '__name__', value: 'centerwatch_probe_success' }], samples: [{ value: 1, timestampMs: 1 }] }]);
    expect(snappyUncompress(compressBlock(body), 1 << 20)).toEqual({ ok: true, body });
    expect(snappyDeclaredLength(snappyCompress(body))).toBe(body.length);
  });

  it('reads preambles as before: up to 5 bytes, a 5-byte one beyond 32 bits refused as too large', () => {
    expect(snappyDeclaredLength(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x02]))).toBe(512 << 20);
    expect(snappyDeclaredLength(Buffer.from([0x80, 0x80]))).toBeUndefined();
    expect(snappyUncompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f, 0x00]), 32 << 20)).toMatchObject({ ok: false, problem: 'too_large' });
  });
});
