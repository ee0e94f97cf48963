import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderProfile, revisionOf } from './render.js';
import type { InventoryCenter, ProfileRecord } from './types.js';

const body = readFileSync(new URL('../../config/profiles/counter-pc.yaml', import.meta.url), 'utf8');
const profile = (text = body): ProfileRecord => ({ name: 'counter-pc', revision: 1, body: text, createdAtMs: 0, createdBy: 'test' });

const center: InventoryCenter = {
  code: '21478',
  province: 'quang-ngai',
  name: 'Phường Sa Huỳnh',
  type: 'phường',
  address: '',
  counters: 3,
  lines: [
    { name: 'fiber-vnpt', isp: 'VNPT', kind: 'fiber', source: '127.0.0.2', gateway: '127.0.0.1' },
    { name: '4g-viettel', isp: 'Viettel', kind: '4g', gateway: '127.0.0.3' },
  ],
  devices: [
    { name: 'printer-1', kind: 'printer', address: '127.0.0.4', counter: 1 },
    { name: 'scanner-1', kind: 'scanner', counter: 1 },
  ],
  vars: { his_url: 'https://127.0.0.1:8443/' },
  updatedAtMs: 0,
};
const agent = { name: 'counter-3', platform: 'linux' as const, hostname: 'pc3', vars: {} };
const render = (over: Partial<Parameters<typeof renderProfile>[0]> = {}) =>
  renderProfile({ profile: profile(), center, agent, provinceVars: {}, secret: () => undefined, ...over });

describe('profile rendering', () => {
  it('fills the center, the agent, the variables and one entry per line and per printer, identity from the server', () => {
    const r = render();
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const cfg = parse(r.config.text) as Record<string, any>;
    expect(cfg.center).toEqual({ id: '21478', name: 'Phường Sa Huỳnh', province: 'quang-ngai' });
    expect(cfg.agent.id).toBe('counter-3');
    expect(cfg.lines).toEqual([
      { name: 'fiber-vnpt', source: '127.0.0.2', description: 'fiber VNPT' },
      { name: '4g-viettel', description: '4g Viettel' },
    ]);
    expect(cfg.checks.map((c: { id: string }) => c.id)).toEqual(['line-fiber-vnpt', 'line-4g-viettel', 'provincial-system', 'printer-1', 'host']);
    expect(cfg.checks[3].target).toBe('127.0.0.4:631');
    expect(cfg.checks[2].target).toBe('https://127.0.0.1:8443/');
    // The agent adds its own push target and central section; the server's text has neither.
    expect(cfg.push).toBeUndefined();
    expect(cfg.central).toBeUndefined();
    expect(r.config.revision).toBe(revisionOf(r.config.text));
  });

  it('gives the same revision for the same inputs and another when a variable changes', () => {
    const a = render();
    const b = render();
    const c = render({ center: { ...center, vars: { his_url: 'https://127.0.0.1:9443/' } } });
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(a.config.revision).toBe(b.config.revision);
    expect(c.config.revision).not.toBe(a.config.revision);
  });

  it("the agent's variables override the center's, which override the province's", () => {
    const r = render({
      provinceVars: { his_url: 'https://127.0.0.1:1/', extra: 'x' },
      agent: { ...agent, vars: { his_url: 'https://127.0.0.1:2/' } },
    });
    expect(r.ok && (parse(r.config.text) as { checks: Array<{ target: string }> }).checks[2]!.target).toBe('https://127.0.0.1:2/');
  });

  it('refuses a variable the agent has no value for, naming the profile line and field', () => {
    const r = render({ center: { ...center, vars: {} } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const line = body.split('\n').findIndex((l) => l.includes('{{ vars.his_url }}')) + 1;
    expect(r.problems).toEqual([
      expect.stringMatching(new RegExp(`^profiles/counter-pc\\.yaml:${line}:\\d+: checks\\[2\\]\\.target: \\{\\{ vars\\.his_url \\}\\} has no value`)),
    ]);
  });

  it("refuses what the agent's own schema refuses, at the template's line", () => {
    const bad = body.replace('kind: tcp', 'kind: tcp\n      interval: 1s\n      timeout: 5s');
    const r = render({ profile: profile(bad) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.join('\n')).toMatch(/profiles\/counter-pc\.yaml:\d+:\d+: checks\[3\]\.timeout: timeout 5s exceeds the interval 1s/);
  });

  it('checks for the platform: a Linux path in a Windows agent’s profile is refused', () => {
    const withWal = `${body}\npush:\n  wal:\n    dir: /var/lib/centerwatch/wal\n`;
    expect(render({ profile: profile(withWal) }).ok).toBe(true);
    const r = render({ profile: profile(withWal), agent: { ...agent, platform: 'win32' } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.join('\n')).toMatch(/push\.wal\.dir: .*Linux path/);
  });

  it('sends a secret only where the profile names it', () => {
    const withSecret = body.replace(
      '  - id: host',
      '  - id: his-db\n    kind: postgres\n    target: 127.0.0.1:5432\n    options: { user: monitor, database: his, password: "{{ secret.his_db_password }}" }\n  - id: host',
    );
    const r = render({ profile: profile(withSecret), secret: (n) => (n === 'his_db_password' ? 's3cret-value' : undefined) });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    expect(r.config.text).toContain('s3cret-value');
    const plain = render();
    expect(plain.ok && plain.config.text).not.toContain('s3cret-value');
  });
});
