/**
 * A new probe kind is its probe file, its line in PROBES and its entry in common/catalogue.ts. On a copy
 * of the tree (node_modules linked), a throwaway `timeclock` kind is added as a developer would, with
 * its probe but no catalogue entry, and a catalogue entry `orphan` without a probe: the compiler names
 * exactly what is missing and where (one error each, saying which catalogue or map to complete). Once
 * the entry is written and the orphan removed the tree compiles, and the describer, the page, the
 * paging and both exports say the new kind's words with no other edit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTree, filesOf, newErrors, run, type TreeCopy } from './helpers/tree-copy.js';

/** Any definition will do: the compiler's question is whether the kind is catalogued, not how it probes. */
const PROBE = `import { hostProbe } from './host.js';

export const timeclockProbe = { ...hostProbe, kind: 'timeclock' };
`;

const ENTRY = `
  timeclock: {
    noun: { vi: 'Máy chấm công', en: 'Time clock' },
    section: 'devices',
    subject: 'thing',
    runbook: { vi: 'khởi động lại máy chấm công', en: 'restart the time clock' },
    urgency: 'urgent_when_blocking',
  },`;

const ORPHAN = `
  orphan: { noun: { vi: 'Mồ côi', en: 'Orphan' }, section: 'devices', subject: 'thing', runbook: { vi: 'không', en: 'none' }, urgency: 'office_hours' },`;

/** Run inside the copy: what the server's readers make of the new kind. */
const READERS = `import { engineConfigSchema } from './server/config/engine-schema.js';
import { describe } from './server/engine/describe.js';
import { urgentCheck } from './server/engine/paging.js';
import { urgentMatchers } from './server/export/alertmanager-config.js';
import { prometheusRuleFile } from './server/export/prometheus-rules.js';
import { renderCenter } from './server/web/page.js';
import { PROBE_KINDS } from './agent/probes/index.js';

const d = describe({ kind: 'check', check: 'tc-1', checkKind: 'timeclock', impact: 'blocking', redundant: false, reason: 'offline' });
const tile = { province: 'qng', provinceName: 'Quảng Ngãi', center: 'sa-huynh', name: 'Phường Sa Huỳnh', state: 'blocked' as const, sinceMs: 0 };
const page = renderCenter({ tile, checks: [{ check: 'tc-1', kind: 'timeclock', up: false, degraded: false, reason: 'offline' }], agents: [], alerts: [], incidents: [], days: [] }, 'vi', 0);
const rules = prometheusRuleFile(engineConfigSchema.parse({})).groups[0]!.rules;
console.log(JSON.stringify({
  kinds: PROBE_KINDS,
  message: d,
  urgent: urgentCheck('timeclock', 'blocking'),
  section: /<section><h2>([^<]*)<\\/h2><table><tbody><tr><th scope="row">Máy chấm công tc-1</.exec(page)?.[1],
  routes: urgentMatchers(),
  annotation: rules.find((r) => r.alert === 'CenterwatchCheckDown')!.annotations,
}));
`;

let copy: TreeCopy;
beforeAll(() => {
  copy = copyTree('cw-new-kind-');
});
afterAll(() => copy.remove());

describe('a new probe kind', () => {
  it('without its catalogue entry does not compile, and the compiler says what to add where', async () => {
    // In CI the tree compiles as it is (two type checks in all). Outside CI, errors already in the tree
    // (another change in progress) are not the new kind's: a third check finds them first.
    const before = process.env.CI ? new Set<string>() : await copy.typeErrors();

    copy.write('agent/probes/timeclock.ts', PROBE);
    copy.edit(
      'agent/probes/index.ts',
      (t) => `import { timeclockProbe } from './timeclock.js';\n${t.replace(/(export const PROBES = \{)/, '$1\n  timeclock: timeclockProbe,')}`,
    );
    copy.edit('common/catalogue.ts', (t) => t.replace(/(export const KIND_CATALOGUE = \{)/, `$1${ORPHAN}`));
    const named = newErrors(await copy.typeErrors(), before);
    expect(filesOf(named)).toEqual(['agent/probes/index.ts']);
    expect(named).toHaveLength(2);
    expect(named.join('\n')).toContain('add an entry to KIND_CATALOGUE in common/catalogue.ts for: timeclock');
    expect(named.join('\n')).toContain('add a probe to PROBES in agent/probes/index.ts for: orphan');

    copy.edit('common/catalogue.ts', (t) => t.replace(ORPHAN, ENTRY));
    expect(newErrors(await copy.typeErrors(), before)).toEqual([]);
  }, 600_000);

  it('is then described, paged, placed on the page and exported from its entry alone', async () => {
    copy.write('readers.ts', READERS);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'readers.ts'], { cwd: copy.dir, maxBuffer: 1 << 24 });
    const seen = JSON.parse(stdout) as Record<string, any>;

    expect(seen.kinds).toContain('timeclock');
    expect(seen.message.summary).toEqual({ vi: 'Máy chấm công tc-1 lỗi (thiết bị ngừng hoạt động)', en: 'Time clock tc-1 failing (device offline)' });
    expect(seen.message.runbook).toEqual({ vi: 'khởi động lại máy chấm công', en: 'restart the time clock' });
    expect(seen.urgent).toBe(true);
    expect(seen.section).toBe('Quầy và thiết bị');
    expect(seen.routes).toContainEqual(['alertname="CenterwatchCheckDown"', 'kind=~"timeclock|ups"', 'impact="blocking"']);
    expect(seen.annotation.summary).toContain('if eq $labels.kind "timeclock" }}Máy chấm công {{ $labels.check }} lỗi{{');
    expect(seen.annotation.description_en).toContain('if eq $labels.kind "timeclock" }}restart the time clock{{');
  }, 120_000);
});
