/**
 * Words from one place: every probe reason is said in words wherever a message or the page shows it,
 * the README's "closed set" is the reasons the agent has, and the runbook names the readiness states
 * as the page does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REASONS } from '../agent/probes/types.js';
import { describe as describeAlert } from '../server/engine/describe.js';
import { renderCenter, WORDS } from '../server/web/page.js';

const text = (file: string): string => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const problems = REASONS.filter((r) => r !== 'ok');

describe('every reason in words', () => {
  it.each(problems)('a message about a check failing with %s says it in words, never the code', (reason) => {
    const d = describeAlert({ kind: 'check', check: 'printer-1', checkKind: 'printer', impact: 'blocking', redundant: false, reason });
    const why = /\((.+)\)$/.exec(d.summary.vi)?.[1];
    expect(why).toBeDefined();
    expect(why).not.toBe(reason);
    // Vietnamese words, not an identifier.
    expect(why).not.toMatch(/_|^[a-z]+$/);
    // English may be the code itself ("unreachable") but never an identifier.
    expect(/\((.+)\)$/.exec(d.summary.en)?.[1]).not.toMatch(/_/);
  });

  it.each(problems)('the page says %s in words beside a check that is down', (reason) => {
    const tile = { province: 'qng', provinceName: 'Quảng Ngãi', center: 'sa-huynh', name: 'Phường Sa Huỳnh', state: 'blocked' as const, sinceMs: 0 };
    const page = renderCenter(
      { tile, checks: [{ check: 'c', kind: 'tcp', up: false, degraded: false, reason }], agents: [], alerts: [], incidents: [], days: [] },
      'vi',
      0,
    );
    const shown = /<span class="st down">Lỗi \(([^)]*)\)<\/span>/.exec(page)?.[1];
    expect(shown).toBeDefined();
    expect(shown).not.toBe(reason);
  });
});

describe('the README', () => {
  it('lists exactly the reasons of the closed set', () => {
    const sentence = /with a \*\*reason\*\* from a closed set:([^.]*)\./.exec(text('README.md'))?.[1] ?? '';
    const listed = [...sentence.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...REASONS].sort());
  });
});

describe('the runbook', () => {
  const runbook = text('docs/runbook.md');
  const italics = (after: RegExp): string[] => {
    const start = runbook.search(after);
    expect(start).toBeGreaterThanOrEqual(0);
    const list = /^[^*]*((?:\*[^*]+\*[,\s]*)+)/.exec(runbook.slice(start).replace(after, ''))?.[1] ?? '';
    return [...list.matchAll(/\*([^*]+)\*/g)].map((m) => m[1]!);
  };

  it('names the readiness states as the page does, in both languages', () => {
    expect(italics(/Mỗi trung tâm một ô:/)).toEqual(Object.values(WORDS.vi.states).map((w) => w.toLowerCase()));
    expect(italics(/One tile per center —/)).toEqual(Object.values(WORDS.en.states).map((w) => w.toLowerCase()));
  });

  it('quotes the page when it shows what a state line reads like', () => {
    // "… được viết lại theo nguyên nhân thật (ví dụ "gián đoạn từ 08:12: …")": a state word the page uses.
    const quoted = [...runbook.matchAll(/"([^"]+?) từ \d\d:\d\d/g)].map((m) => m[1]!.toLowerCase());
    expect(quoted.length).toBeGreaterThan(0);
    for (const q of quoted) expect(Object.values(WORDS.vi.states).map((w) => w.toLowerCase())).toContain(q);
  });
});
