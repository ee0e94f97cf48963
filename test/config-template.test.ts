import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../agent/config/load.js';
import { ConfigError } from '../common/config-errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-template-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(text: string, file: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseAgentConfig(text, file, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    throw err;
  }
}

/** The three shapes of a center (README "The three shapes of a center"), each as a user meets it. */
const SHAPES = [
  { file: 'config/center-template.yaml', shape: 'behind a dual-WAN router, read over SNMP' },
  { file: 'config/center-line-box.yaml', shape: 'a Linux box with one card per line' },
  { file: 'config/center-no-router.yaml', shape: 'no router access' },
] as const;

/** What the router checks of the common shape read the community from. */
const ENV = { CW_ROUTER_COMMUNITY: 'a-community' };

/** What a user does: values edited (here: kept), markers deleted, the token file written. */
function edited(t: string): string {
  const token = join(dir, 'agent.token');
  writeFileSync(token, 'a-token\n');
  return t.replace(/\s+#\s*REPLACE\b.*$/gm, '').replace('/etc/centerwatch/agent.token', token);
}

describe.each(SHAPES)('the template $file ($shape), as a new user meets it', ({ file }) => {
  const text = readFileSync(file, 'utf8');

  it('unedited, it fails --check-config at every value marked REPLACE, naming the line', () => {
    const problems = problemsOf(text, join(dir, 'agent.yaml'), ENV);
    const marked = text.split('\n').flatMap((line, i) => (/#\s*REPLACE\b/.test(line) ? [i + 1] : []));
    expect(marked.length).toBeGreaterThan(10);
    const placeholderLines = problems.filter((p) => p.includes('placeholder')).map((p) => Number(p.split(':')[0]));
    expect(placeholderLines).toEqual(marked);
    // Nothing else, but for the token file, which only the machine itself has.
    const tokenFile = /push\.targets\[0\]\.bearer_token_file: cannot read secret file "\/etc\/centerwatch\/agent\.token"/;
    expect(problems.filter((p) => !p.includes('placeholder') && !tokenFile.test(p))).toEqual([]);
    expect(problems.find((p) => p.includes('push.targets[0].url'))).toMatch(/still the template's placeholder/);
  });

  it('edited, it is valid, with a push section whose WAL folder the README tells the reader to edit', () => {
    const warnings: string[] = [];
    const cfg = parseAgentConfig(edited(text), join(dir, 'agent.yaml'), ENV, (w) => warnings.push(w.message), 'linux');
    expect(warnings).toEqual([]);
    expect(cfg.push?.wal.dir).toBe('/var/lib/centerwatch/wal');
    expect(cfg.push?.targets[0]?.bearer_token).toBe('a-token');
    expect(cfg.lines.map((l) => l.name)).toEqual(['tslcd', 'inet1', 'inet2']);
  });

  it('says what to do with the optional line in words that mean it', () => {
    expect(text).toMatch(/name: inet2 .*delete it .* if the (center|router) has none/);
  });

  it('names the other shapes, so a reader who took the wrong one finds the right one', () => {
    for (const other of SHAPES.filter((s) => s.file !== file)) expect(text).toContain(other.file);
  });
});

describe('what each shape checks', () => {
  const load = (file: string) => parseAgentConfig(edited(readFileSync(file, 'utf8')), join(dir, 'agent.yaml'), ENV, undefined, 'linux');

  it('(a) behind a router: each WAN read over SNMP, blocking in the lines group, and nothing bound to a line', () => {
    const cfg = load('config/center-template.yaml');
    expect(cfg.lines.every((l) => l.interface === undefined && l.source === undefined)).toBe(true);
    const wans = cfg.checks.filter((c) => c.kind === 'router');
    const wan = (id: string, name: string, line: string) => ({
      id,
      impact: 'blocking',
      group: 'lines',
      options: { community: 'a-community', interfaces: [{ name, line }] },
    });
    expect(wans).toMatchObject([wan('line-tslcd', 'WAN1', 'tslcd'), wan('line-inet1', 'WAN2', 'inet1'), wan('line-inet2', 'LTE', 'inet2')]);
    expect(cfg.checks.filter((c) => c.line !== undefined).map((c) => c.id)).toEqual([]);
    expect(cfg.checks.find((c) => c.id === 'provincial-system')).toMatchObject({ kind: 'http', impact: 'blocking' });
    expect(cfg.checks.find((c) => c.id === 'provincial-system-dns')).toMatchObject({ kind: 'dns', impact: 'blocking' });
  });

  it('(b) the line box: every line bound to its card, a continuous ping per line, the policy routing written out', () => {
    const text = readFileSync('config/center-line-box.yaml', 'utf8');
    const cfg = load('config/center-line-box.yaml');
    expect(cfg.lines.every((l) => l.interface !== undefined)).toBe(true);
    expect(cfg.checks.filter((c) => c.group === 'lines').map((c) => [c.id, c.kind, c.line])).toEqual([
      ['line-tslcd', 'icmp', 'tslcd'],
      ['line-inet1', 'icmp', 'inet1'],
      ['line-inet2', 'icmp', 'inet2'],
    ]);
    expect(text).toMatch(/ip rule add from ADDR table 101/);
    expect(text).toMatch(/ip route add default via GW dev eth1 table 101/);
    expect(text).toMatch(/\[RoutingPolicyRule\]/);
    expect(text).toMatch(/iface eth1 inet static/);
  });

  it('(c) no router access: no line check, no check bound to a line, the provincial system still blocking', () => {
    const cfg = load('config/center-no-router.yaml');
    expect(cfg.checks.filter((c) => c.kind === 'router' || c.group === 'lines' || c.line !== undefined)).toEqual([]);
    expect(cfg.checks.find((c) => c.id === 'provincial-system')).toMatchObject({ kind: 'http', impact: 'blocking' });
  });
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
