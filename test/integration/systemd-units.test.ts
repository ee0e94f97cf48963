import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/ctx.js';

const root = new URL('../../', import.meta.url).pathname;
const unitPath = (name: string) => join(root, 'deploy/systemd', `${name}.service`);
const UNITS = ['centerwatch-agent', 'centerwatch-server'] as const;

/** The unit's [Service] settings, each key with every value it was given. */
function serviceSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

const settings = Object.fromEntries(UNITS.map((u) => [u, serviceSettings(readFileSync(unitPath(u), 'utf8'))])) as Record<
  (typeof UNITS)[number],
  Map<string, string[]>
>;
const one = (unit: (typeof UNITS)[number], key: string) => settings[unit].get(key)?.at(-1);

describe('systemd units: what they promise', () => {
  it.each(UNITS)('%s runs the bundle as the centerwatch user, restarts on failure and is hardened', (unit) => {
    const kind = unit.replace('centerwatch-', '');
    expect(one(unit, 'ExecStart')).toMatch(new RegExp(`^/usr/bin/node .*/opt/centerwatch/dist/${unit}\\.mjs --config /etc/centerwatch/${kind}\\.yaml$`));
    expect(one(unit, 'User')).toBe('centerwatch');
    expect(one(unit, 'Restart')).toBe('on-failure');
    expect(one(unit, 'MemoryMax')).toMatch(/^\d+M$/);
    for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp']) expect([key, one(unit, key)]).toEqual([key, 'yes']);
    expect(one(unit, 'ProtectSystem')).toBe('strict');
    const state = one(unit, 'StateDirectory');
    expect(state).toMatch(/^centerwatch/);
    expect(one(unit, 'ReadWritePaths')).toBe(`/var/lib/${state}`);
  });

  it('the agent keeps CAP_NET_RAW (for ping) and nothing else, and reloads on SIGHUP', () => {
    expect(one('centerwatch-agent', 'AmbientCapabilities')).toBe('CAP_NET_RAW');
    expect(one('centerwatch-agent', 'CapabilityBoundingSet')).toBe('CAP_NET_RAW');
    expect(one('centerwatch-agent', 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
  });

  it('the server has no capabilities', () => {
    expect(one('centerwatch-server', 'AmbientCapabilities')).toBe('');
    expect(one('centerwatch-server', 'CapabilityBoundingSet')).toBe('');
  });

  it("the agent's node flags are the bundle's (calling node directly skips the bundle's first line)", () => {
    const build = readFileSync(join(root, 'agent/build.mjs'), 'utf8');
    const flags = /NODE_FLAGS = \[([^\]]*)\]/
      .exec(build)?.[1]
      ?.match(/'[^']*'/g)
      ?.map((f) => f.slice(1, -1));
    expect(flags?.length).toBeGreaterThan(0);
    const exec = one('centerwatch-agent', 'ExecStart')!.split(' ');
    expect(exec.slice(1, 1 + flags!.length)).toEqual(flags);
  });
});

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const hasAnalyze = analyze.status === 0;

describe('systemd units: systemd-analyze', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-units-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The unit as shipped, with node at this machine's path when /usr/bin/node is absent (verify checks that it exists). */
  function staged(unit: string): string {
    const text = readFileSync(unitPath(unit), 'utf8');
    const file = join(dir, `${unit}.service`);
    writeFileSync(file, existsSync('/usr/bin/node') ? text : text.replaceAll('/usr/bin/node', process.execPath));
    return file;
  }

  it.each(UNITS)('%s passes `systemd-analyze verify` without a warning', (unit) => {
    if (!requireService(hasAnalyze, 'systemd-analyze not installed (Debian: apt-get install systemd)')) return;
    const r = spawnSync('systemd-analyze', ['verify', staged(unit)], { encoding: 'utf8' });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('a unit with a misspelt key is reported (the check above can fail)', () => {
    if (!requireService(hasAnalyze, 'systemd-analyze not installed (Debian: apt-get install systemd)')) return;
    const file = join(dir, 'broken.service');
    writeFileSync(file, readFileSync(staged('centerwatch-server'), 'utf8').replace('NoNewPrivileges=', 'NoNewPrivilege='));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toMatch(/Unknown key 'NoNewPrivilege'/);
  });

  it.each(UNITS)('%s rates OK or better in `systemd-analyze security --offline`', (unit) => {
    if (!requireService(hasAnalyze, 'systemd-analyze not installed (Debian: apt-get install systemd)')) return;
    let out: string;
    try {
      out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', staged(unit)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // --offline came with systemd 250; an older one cannot rate a unit file that is not installed.
      const stderr = (err as { stderr?: string }).stderr ?? '';
      if (/unrecognized option|unknown option/i.test(stderr) && !requireService(false, 'systemd-analyze security --offline needs systemd >= 250')) return;
      throw err;
    }
    const level = /Overall exposure level for \S+: ([\d.]+)/.exec(out)?.[1];
    // 0 is fully locked down, 10 is none; systemd calls under 4.0 "OK". The agent needs raw sockets and devices.
    expect(Number(level)).toBeLessThan(4);
  });
});
