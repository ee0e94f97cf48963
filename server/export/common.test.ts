import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../common/duration.js';
import { alternation, promDuration } from './common.js';

describe('promDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [10_000, '10s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [400 * 86_400_000, '9600h'],
  ])('%d ms → %s, which reads back the same', (ms, text) => {
    expect(promDuration(ms)).toBe(text);
    if (ms > 0) expect(parseDuration(text)).toBe(ms);
  });
});

describe('alternation', () => {
  it('escapes regex characters: identifiers may hold dots', () => {
    expect(alternation(['a.b', 'c-d'])).toBe('a\\.b|c-d');
    expect(new RegExp(`^(?:${alternation(['a.b'])})$`).test('axb')).toBe(false);
  });
});
