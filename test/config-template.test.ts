import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../agent/config/load.js';
import { ConfigError } from '../common/config-errors.js';

const TEMPLATE = 'config/center-template.yaml';
const dir = mkdtempSync(join(tmpdir(), 'cw-template-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(text: string, file: string): string[] {
  try {
    parseAgentConfig(text, file, {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    throw err;
  }
}

describe('the real-center template, as a new user meets it', () => {
  const text = readFileSync(TEMPLATE, 'utf8');

  it('unedited, it fails --check-config at every value marked REPLACE, naming the line', () => {
    const problems = problemsOf(text, join(dir, 'agent.yaml'));
    const marked = text.split('\n').flatMap((line, i) => (/#\s*REPLACE\b/.test(line) ? [i + 1] : []));
    expect(marked.length).toBeGreaterThan(10);
    const placeholderLines = problems.filter((p) => p.includes('placeholder')).map((p) => Number(p.split(':')[0]));
    expect(placeholderLines).toEqual(marked);
    expect(problems.find((p) => p.includes('push.targets[0].url'))).toMatch(/still the template's placeholder/);
  });

  it('has a push section whose WAL folder the README tells the reader to edit', () => {
    const cfg = parseAgentConfig(edited(text), join(dir, 'agent.yaml'), {});
    expect(cfg.push?.wal.dir).toBe('/var/lib/centerwatch/wal');
    expect(cfg.push?.targets[0]?.bearer_token).toBe('a-token');
    expect(cfg.checks.some((c) => c.id === 'line-inet2')).toBe(true);
  });

  it('says what to do with the optional line in words that mean it', () => {
    expect(text).toMatch(/name: inet2 .*delete it .* if the center has none/);
  });

  /** What a user does: values edited (here: kept), markers deleted, the token file written. */
  function edited(t: string): string {
    const token = join(dir, 'agent.token');
    writeFileSync(token, 'a-token\n');
    return t.replace(/\s+#\s*REPLACE\b.*$/gm, '').replace('/etc/centerwatch/agent.token', token);
  }
});

describe('YAML merge keys', () => {
  it('a check may take shared settings from an anchor (<<: *name)', () => {
    const cfg = parseAgentConfig(
      `center: { id: c1, name: C1, province: quang-ngai }
agent: { id: a1 }
checks:
  - &web { id: web-1, kind: http, target: "http://127.0.0.1:9/", interval: 45s, impact: info }
  - <<: *web
    id: web-2
    target: "http://127.0.0.1:10/"
`,
      join(dir, 'merge.yaml'),
      {},
    );
    const web2 = cfg.checks.find((c) => c.id === 'web-2')!;
    expect(web2.kind).toBe('http');
    expect(web2.interval).toBe(45_000);
    expect(web2.target).toBe('http://127.0.0.1:10/');
  });
});

describe('the Windows counter PC profile (config/counter-pc-windows.yaml)', () => {
  const text = readFileSync('config/counter-pc-windows.yaml', 'utf8');
  const file = 'C:\\ProgramData\\centerwatch\\agent.yaml';
  /** Markers deleted; the token given inline, since the Windows token file cannot exist on this machine. */
  const edited = text.replace(/\s+#\s*REPLACE\b.*$/gm, '').replace(/bearer_token_file: .*$/m, 'bearer_token: a-token');

  it('unedited, it fails --check-config at every value marked REPLACE', () => {
    const problems = problemsOfOn(text, file, 'win32');
    const marked = text.split('\n').flatMap((line, i) => (/#\s*REPLACE\b/.test(line) ? [i + 1] : []));
    expect(marked.length).toBeGreaterThan(8);
    expect(problems.filter((p) => p.includes('placeholder')).map((p) => Number(p.split(':')[0]))).toEqual(marked);
  });

  it('edited, it is valid on Windows: spooler printer, WIA scanner, USB ids, the WAL under ProgramData', () => {
    const warnings: string[] = [];
    const cfg = parseAgentConfig(edited, file, {}, (w) => warnings.push(w.message), 'win32');
    expect(cfg.push?.wal.dir).toBe('C:\\ProgramData\\centerwatch\\data\\wal');
    expect(cfg.checks.map((c) => c.kind).sort()).toEqual(['dns', 'host', 'http', 'icmp', 'printer', 'scanner', 'usb', 'usb', 'usb']);
    expect(warnings.filter((w) => /not supported/.test(w))).toEqual([]);
  });

  it('on Linux, --check-config names each Windows path and the Windows-only checks', () => {
    const warnings: string[] = [];
    let problems: string[] = [];
    try {
      parseAgentConfig(edited, '/etc/centerwatch/agent.yaml', {}, (w) => warnings.push(`${w.line}: ${w.path}: ${w.message}`), 'linux');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    }
    expect(problems.some((p) => /push\.wal\.dir: .* is a Windows path/.test(p))).toBe(true);
    const all = [...problems, ...warnings].join('\n');
    expect(all).toMatch(/printer is not supported on Linux/);
    expect(all).toMatch(/scanner is not supported on Linux/);
  });
});

function problemsOfOn(text: string, file: string, platform: 'linux' | 'win32'): string[] {
  try {
    parseAgentConfig(text, file, {}, undefined, platform);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    throw err;
  }
}
