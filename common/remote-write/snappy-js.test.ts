import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentPush, seriesLabels } from '../../bench/simulator/fleet.js';
import { loadNative } from '../native.js';
import { encodeWriteRequest } from './proto.js';
import { compressBlock, maxCompressedLength, uncompressBlock } from './snappy-js.js';

const native = loadNative<{ compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer, o: { asBuffer: true }): Buffer }>('snappy');

/** The body of a block our decoder accepted (Buffer.equals: toEqual walks a large buffer byte by byte, slowly). */
function decoded(block: Buffer, maxBytes: number): Buffer | string {
  const r = uncompressBlock(block, maxBytes);
  return r.ok ? r.body : r.detail;
}

/** What both codecs must agree on for `input`: each reads the other's block back to the same bytes. */
function crossCheck(input: Buffer): void {
  const ours = compressBlock(input);
  expect(ours.length).toBeLessThanOrEqual(maxCompressedLength(input.length));
  expect(input.equals(decoded(ours, input.length) as Buffer)).toBe(true);
  expect(input.equals(native.uncompressSync(ours, { asBuffer: true }))).toBe(true);
  expect(input.equals(decoded(native.compressSync(input), input.length) as Buffer)).toBe(true);
}

/** Chunks from a small alphabet, each repeated: the shape of label names and values in a WriteRequest. */
const repetitive = fc
  .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 24, max: 7 }), fc.integer({ min: 1, max: 300 })), { maxLength: 40 })
  .map((parts) => Buffer.concat(parts.flatMap(([chunk, times]) => Array.from({ length: times }, () => chunk))));

function randomBytes(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function textLike(n: number): Buffer {
  const words = ['centerwatch_probe_success', 'check', 'line-inet1', 'kind', 'icmp', 'quang-ngai', 'Phường Sa Huỳnh'];
  const parts: string[] = [];
  for (let i = 0, len = 0; len < n; i++) {
    const w = `${words[(i * 5) % words.length]}=${i % 13};`;
    parts.push(w);
    len += Buffer.byteLength(w);
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

function typicalWriteRequest(): Buffer {
  return encodeWriteRequest(agentPush(seriesLabels(150), 7, 1_764_201_600_123, new Set()));
}

describe('snappy-js codec', () => {
  it('round-trips random buffers, each codec reading the other', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (a) => crossCheck(Buffer.from(a))),
      { numRuns: 300 },
    );
  });

  it('round-trips repetitive buffers, each codec reading the other, and compresses them', () => {
    fc.assert(
      fc.property(repetitive, (input) => {
        crossCheck(input);
        if (input.length >= 4096) expect(compressBlock(input).length).toBeLessThan(input.length / 2);
      }),
      { numRuns: 200 },
    );
  });

  it.each([0, 1, 2, 16, 17, 18, 65535, 65536, 65537, 3 * 65536 + 5, 1 << 20])('round-trips %i bytes (random, text, one byte repeated)', (n) => {
    crossCheck(randomBytes(n, n + 1));
    crossCheck(textLike(n));
    crossCheck(Buffer.alloc(n, 0x61));
  });

  it('matches long runs across 64 KiB block boundaries and keeps every offset within a block', () => {
    // the same 100 KiB twice: a match 100 KiB back would be out of reach of a 2-byte offset
    const half = randomBytes(100 * 1024, 42);
    const input = Buffer.concat([half, half]);
    crossCheck(input);
    const run = Buffer.alloc(5 * 65536, 0x7a);
    expect(compressBlock(run).length).toBeLessThan(run.length / 20);
    crossCheck(run);
  });

  it('compresses a typical 150-series WriteRequest as well as the native codec, and prints the speed of each', () => {
    const body = typicalWriteRequest();
    crossCheck(body);
    const time = (fn: () => unknown): number => {
      for (let i = 0; i < 20; i++) fn(); // warm up the JIT
      const rounds = 300;
      const t0 = performance.now();
      for (let i = 0; i < rounds; i++) fn();
      return (body.length * rounds) / ((performance.now() - t0) / 1000) / 1e6;
    };
    const jsBlock = compressBlock(body);
    const nativeBlock = native.compressSync(body);
    const speed = {
      jsCompress: time(() => compressBlock(body)),
      nativeCompress: time(() => native.compressSync(body)),
      jsUncompress: time(() => uncompressBlock(jsBlock, body.length)),
      nativeUncompress: time(() => native.uncompressSync(nativeBlock, { asBuffer: true })),
    };
    const f = (x: number): string => x.toFixed(0);
    console.log(
      `snappy on a ${body.length}-byte 150-series WriteRequest: ratio js ${(body.length / jsBlock.length).toFixed(2)} native ${(body.length / nativeBlock.length).toFixed(2)}; ` +
        `compress js ${f(speed.jsCompress)} MB/s native ${f(speed.nativeCompress)} MB/s; uncompress js ${f(speed.jsUncompress)} MB/s native ${f(speed.nativeUncompress)} MB/s`,
    );
    expect(jsBlock.length).toBeLessThanOrEqual(Math.ceil(nativeBlock.length * 1.05));
    expect(body.length / jsBlock.length).toBeGreaterThan(3);
  });
});

describe('snappy-js decoder refuses malformed input', () => {
  const literal = (bytes: number[]): number[] => [((bytes.length - 1) << 2) | 0, ...bytes];
  it.each([
    ['an empty block', [], 'malformed', /preamble/],
    ['a truncated preamble', [0x80, 0x80], 'malformed', /preamble/],
    ['a preamble longer than 5 bytes', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'malformed', /preamble/],
    ['a declared length over the max', [0x80, 0x80, 0x80, 0x80, 0x02, ...literal([1, 2, 3])], 'too_large', /exceeds/],
    ['a truncated literal', [5, ...literal([1, 2, 3, 4, 5]).slice(0, 3)], 'malformed', /past the end/],
    ['a truncated literal length', [100, 60 << 2], 'malformed', /literal length/],
    ['a literal past the declared length', [2, ...literal([1, 2, 3])], 'malformed', /declared length/],
    ['a copy offset beyond the output', [8, ...literal([1, 2]), 0x01 | (0 << 2), 3], 'malformed', /offset beyond/],
    ['a copy offset of zero', [8, ...literal([1, 2]), 0x02 | (3 << 2), 0, 0], 'malformed', /offset beyond/],
    ['a 4-byte-offset copy beyond the output', [8, ...literal([1, 2]), 0x03 | (3 << 2), 0, 0, 1, 0], 'malformed', /offset beyond/],
    ['a copy past the declared length', [6, ...literal([1, 2]), 0x01 | (4 << 2), 2], 'malformed', /declared length/],
    ['a truncated copy', [8, ...literal([1, 2]), 0x02 | (3 << 2), 2], 'malformed', /truncated copy/],
    ['a body shorter than declared (length mismatch)', [10, ...literal([1, 2, 3])], 'malformed', /length mismatch/],
  ] as const)('%s', (_name, bytes, problem, detail) => {
    const r = uncompressBlock(Buffer.from(bytes), 1 << 20);
    expect(r).toMatchObject({ ok: false, problem });
    expect(!r.ok && r.detail).toMatch(detail);
  });

  it('a 5-byte preamble beyond 32 bits: too large under a real max, malformed under none', () => {
    const block = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00]);
    expect(uncompressBlock(block, 1 << 30)).toMatchObject({ ok: false, problem: 'too_large' });
    expect(uncompressBlock(block, Number.MAX_SAFE_INTEGER)).toMatchObject({ ok: false, problem: 'malformed' });
  });

  it('decodes overlapping copies (a run) exactly as written', () => {
    // "ab", then copy offset 2 length 7: "ababababa"
    expect(uncompressBlock(Buffer.from([9, ...literal([0x61, 0x62]), 0x01 | (3 << 2), 2]), 100)).toEqual({ ok: true, body: Buffer.from('ababababa') });
  });

  it('agrees with the native decoder on mutated blocks, never throwing', () => {
    const seeds = [typicalWriteRequest(), textLike(5000), randomBytes(300, 3)].map((b) => compressBlock(b));
    const mutation = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat()),
    });
    let refused = 0;
    fc.assert(
      fc.property(mutation, ({ seed, edits, cut }) => {
        let block = Buffer.from(seeds[seed]!);
        for (const [at, value] of edits) block[at % block.length] = value;
        if (cut !== null) block = block.subarray(0, cut % (block.length + 1));
        const ours = uncompressBlock(block, 1 << 20);
        let theirs: Buffer | undefined;
        try {
          theirs = native.uncompressSync(block, { asBuffer: true });
        } catch {
          theirs = undefined;
        }
        if (!ours.ok) refused++;
        expect(ours.ok).toBe(theirs !== undefined);
        if (ours.ok) expect(ours.body.equals(theirs!)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(refused).toBeGreaterThan(100);
  });
});
