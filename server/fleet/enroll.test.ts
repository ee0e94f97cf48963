import { describe, expect, it } from 'vitest';
import { normalizeCode } from '../../common/enrolment.js';
import { codeHash, newCode, worthWriting } from './enroll.js';
import type { AgentRecord } from './types.js';

const agent: AgentRecord = {
  id: '21478/counter-1',
  province: 'quang-ngai',
  center: '21478',
  name: 'counter-1',
  tokenHash: 'x',
  vars: {},
  platform: 'linux',
  version: '0.1.0',
  hostname: '',
  enrolledAtMs: 0,
  runningRevision: 'abc',
  backlog: 0,
  lastSeenAtMs: 100_000,
};

describe('enrolment codes', () => {
  it('are 9 characters of Crockford base32 in three groups, and the hash ignores case, dashes and look-alikes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { code, hash } = newCode();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$/);
      expect(codeHash(code.toLowerCase().replace(/-/g, ' '))).toBe(hash);
      seen.add(code);
    }
    expect(seen.size).toBe(200);
    expect(normalizeCode('o1l-iabc-de')).toBe('0111ABCDE');
    expect(codeHash('O1L-IABC-DE')).toBe(codeHash('011-1ABC-DE'));
  });
});

describe('what a fetch writes about the agent', () => {
  it('nothing for an unchanged fetch within 30 s; a change, or an older last-seen, is written', () => {
    expect(worthWriting(agent, { atMs: 110_000, version: '0.1.0', platform: 'linux', runningRevision: 'abc', backlog: 0 })).toBe(false);
    expect(worthWriting(agent, { atMs: 110_000, runningRevision: 'def' })).toBe(true);
    expect(worthWriting(agent, { atMs: 110_000, version: '0.2.0' })).toBe(true);
    expect(worthWriting(agent, { atMs: 110_000, backlog: 5 })).toBe(true);
    expect(worthWriting(agent, { atMs: 130_000 })).toBe(true);
    expect(worthWriting({ ...agent, lastSeenAtMs: undefined }, { atMs: 1 })).toBe(true);
  });
});
