import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { serverConfigSchema } from './config/schema.js';
import { enforceLabels } from './enforce.js';
import { newToken, sha256Hex, TokenIndex } from './tokens.js';

const SECRET_A = 'token-of-center-a-0123456789';
const cfg = serverConfigSchema.parse({
  tokens: [
    { id: 'a', token: SECRET_A, province: 'p1', center: 'c-a', agent: 'pc1' },
    { id: 'b', sha256: sha256Hex('token-of-center-b-0123456789'), province: 'p1', center: 'c-b' },
  ],
});

describe('TokenIndex', () => {
  const index = new TokenIndex(cfg.tokens);

  it('keeps only hashes and finds a token by its SHA-256', () => {
    expect(cfg.tokens.map((t) => t.sha256)).toEqual([createHash('sha256').update(SECRET_A).digest('hex'), sha256Hex('token-of-center-b-0123456789')]);
    expect(JSON.stringify(cfg.tokens)).not.toContain(SECRET_A);
    expect(index.authenticate(`Bearer ${SECRET_A}`)).toEqual({ tokenId: 'a', province: 'p1', center: 'c-a', agent: 'pc1' });
    expect(index.authenticate('bearer token-of-center-b-0123456789')).toEqual({ tokenId: 'b', province: 'p1', center: 'c-b', agent: undefined });
  });

  it('refuses a missing, malformed, wrong or near-miss token', () => {
    for (const h of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Basic ${SECRET_A}`,
      `Bearer ${SECRET_A}x`,
      `Bearer ${SECRET_A.slice(0, -1)}`,
      `Bearer ${sha256Hex(SECRET_A)}`,
      `Bearer ${'x'.repeat(10_000)}`,
    ]) {
      expect(index.authenticate(h)).toBeUndefined();
    }
  });

  it('newToken gives a fresh random token and its hash', () => {
    const one = newToken();
    const two = newToken();
    expect(one.token).not.toBe(two.token);
    expect(one.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(one.sha256).toBe(sha256Hex(one.token));
    expect(new TokenIndex([{ id: 'n', sha256: one.sha256, province: 'p', center: 'c', agent: 'a' }]).authenticate(`Bearer ${one.token}`)?.tokenId).toBe('n');
  });
});

describe('enforceLabels', () => {
  const perAgent = { tokenId: 'a', province: 'p1', center: 'c-a', agent: 'pc1' };
  const perCenter = { tokenId: 'b', province: 'p1', center: 'c-b', agent: undefined };
  const series = (labels: Array<[string, string]>) => ({ labels: labels.map(([name, value]) => ({ name, value })), samples: [{ value: 1, timestampMs: 1 }] });

  it("replaces province, center and agent with the token's, and sorts labels", () => {
    const r = enforceLabels(
      [
        series([
          ['__name__', 'up'],
          ['center', 'c-b'],
          ['province', 'other'],
          ['agent', 'evil'],
          ['zz', '1'],
        ]),
      ],
      perAgent,
    );
    expect(r).toEqual({
      ok: true,
      agent: 'pc1',
      series: [
        series([
          ['__name__', 'up'],
          ['agent', 'pc1'],
          ['center', 'c-a'],
          ['province', 'p1'],
          ['zz', '1'],
        ]),
      ],
    });
  });

  it('refuses a label given twice in a series; drops empty values', () => {
    expect(
      enforceLabels(
        [
          series([
            ['__name__', 'up'],
            ['check', 'a'],
            ['check', 'b'],
          ]),
        ],
        perAgent,
      ),
    ).toMatchObject({ ok: false, detail: expect.stringContaining('"check" twice') });
    const r = enforceLabels(
      [
        series([
          ['__name__', 'up'],
          ['check', ''],
        ]),
      ],
      perAgent,
    );
    expect(r.ok && r.series[0]!.labels.map((l) => l.name)).toEqual(['__name__', 'agent', 'center', 'province']);
  });

  it('adds the labels when the sender left them out', () => {
    const r = enforceLabels([series([['__name__', 'up']])], perAgent);
    expect(r.ok && r.series[0]!.labels.map((l) => l.name)).toEqual(['__name__', 'agent', 'center', 'province']);
  });

  it('a per-center token takes the agent from the request, if it is an identifier and the same on every series', () => {
    const ok = enforceLabels(
      [
        series([
          ['__name__', 'up'],
          ['agent', 'pc-7'],
          ['center', 'c-a'],
        ]),
        series([
          ['__name__', 'x'],
          ['agent', 'pc-7'],
        ]),
      ],
      perCenter,
    );
    expect(ok.ok && ok.agent).toBe('pc-7');
    expect(ok.ok && ok.series[0]!.labels).toContainEqual({ name: 'center', value: 'c-b' });
    expect(enforceLabels([series([['__name__', 'up']])], perCenter)).toMatchObject({ ok: false });
    expect(enforceLabels([series([['agent', 'PC 7']])], perCenter)).toMatchObject({ ok: false });
    expect(enforceLabels([series([['agent', '../x']])], perCenter)).toMatchObject({ ok: false });
    expect(enforceLabels([series([['agent', 'a']]), series([['agent', 'b']])], perCenter)).toMatchObject({ ok: false });
    expect(enforceLabels([], perCenter)).toEqual({ ok: true, series: [], agent: undefined });
  });
});
