import { describe, expect, it } from 'vitest';
import { withDefaults } from './options.js';

describe('withDefaults', () => {
  it('an option given as undefined keeps its default; given values (0, false, "") replace it', () => {
    const d = { minMs: 500, maxMs: 30_000, name: 'x', on: true };
    const o: { minMs?: number; maxMs?: number; name?: string; on?: boolean } = { minMs: 0, maxMs: undefined, name: '', on: false };
    expect(withDefaults(d, o)).toEqual({ minMs: 0, maxMs: 30_000, name: '', on: false });
  });

  it('keeps keys only the options have, and never changes the defaults object', () => {
    const d = { a: 1 };
    expect(withDefaults(d, { b: 2, c: undefined })).toEqual({ a: 1, b: 2 });
    expect(d).toEqual({ a: 1 });
  });
});
