import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWriteRequest } from '../../common/remote-write/proto.js';
import { snappyCompress } from '../../common/remote-write/snappy.js';
import { auth, series, startTestServer, TOKEN_A, TOKEN_B, type TestServer } from './server-harness.js';

/**
 * Property: whatever bytes a writer holding a valid token sends, the server answers 2xx or 4xx — never
 * a 5xx, never a dropped connection — and keeps serving. Bodies are random bytes, and mutations (bit
 * flips, truncations, splices, byte overwrites) of a valid body both before and after snappy, so the
 * protobuf decoder and the label checks see damaged-but-decompressible input too.
 */
let srv: TestServer;
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
const statuses = new Map<number, number>();

beforeAll(async () => {
  srv = await startTestServer({ limits: { max_compressed_bytes: 256 * 1024, max_series_per_agent: 2000 } });
});
afterAll(async () => {
  keepAlive.destroy();
  await srv?.close();
});

function send(payload: Uint8Array, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${srv.url}/api/v1/write`,
      {
        method: 'POST',
        agent: keepAlive,
        headers: { ...auth(token), 'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf', 'Content-Length': payload.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(new Error(`connection dropped: ${err.message}`)));
    req.end(payload);
  });
}

const valid = encodeWriteRequest(
  Array.from({ length: 12 }, (_, i) =>
    series({ __name__: 'centerwatch_probe_success', agent: 'pc-3', check: `check-${i}`, kind: 'http', line: i % 2 ? 'inet1' : 'tslcd' }, [
      [1_700_000_000_000 + i, i % 2],
      [1_700_000_015_000 + i, 1],
    ]),
  ),
);

/** A damaged copy of `base`: bit flips, byte overwrites, a truncation, a splice of random bytes. */
const mutated = (base: Buffer) =>
  fc
    .record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 6 }),
      writes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      splice: fc.option(fc.tuple(fc.nat(), fc.nat({ max: 64 }), fc.uint8Array({ maxLength: 64 }))),
    })
    .map(({ flips, writes, cut, splice }) => {
      let b = Buffer.from(base);
      for (const [at, bit] of flips) b[at % b.length]! ^= 1 << bit;
      for (const [at, v] of writes) b[at % b.length] = v;
      if (splice) {
        const [at, drop, ins] = splice;
        const i = at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(Math.min(b.length, i + drop))]);
      }
      if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
      return b;
    });

/** Well-formed WriteRequests with odd content: any label names and values, NaN/±Inf, negative or huge timestamps. */
const wellFormed = fc
  .array(
    fc.record({
      labels: fc.array(
        fc.record({
          name: fc.oneof(fc.constantFrom('__name__', 'agent', 'center', 'province', 'check'), fc.string({ maxLength: 12 })),
          value: fc.string({ unit: 'binary', maxLength: 40 }),
        }),
        { maxLength: 8 },
      ),
      samples: fc.array(fc.record({ value: fc.double(), timestampMs: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constant(Date.now())) }), { maxLength: 4 }),
    }),
    { maxLength: 20 },
  )
  .map((s) => snappyCompress(encodeWriteRequest(s)));

function count(status: number): void {
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
}

describe('fuzzing POST /api/v1/write with a valid token', () => {
  it('random bodies, mutated compressed bodies and mutated protobufs: always 2xx or 4xx, and the server stays up', async () => {
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }),
      mutated(snappyCompress(valid)),
      mutated(valid).map((b) => snappyCompress(b)),
      wellFormed,
    );
    await fc.assert(
      fc.asyncProperty(bodies, fc.boolean(), async (payload, perCenter) => {
        const status = await send(payload, perCenter ? TOKEN_B : TOKEN_A);
        count(status);
        return status >= 200 && status < 500 && !(status >= 300 && status < 400);
      }),
      { numRuns: 4000, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    const health = await fetch(`${srv.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    // the mix reached every stage: accepted writes and refusals from snappy, protobuf and label checks
    expect(statuses.get(204) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
    expect(srv.logs.filter((l) => l.includes('request failed'))).toEqual([]);
    console.log('fuzz statuses', Object.fromEntries(statuses));
  }, 60_000);
});
