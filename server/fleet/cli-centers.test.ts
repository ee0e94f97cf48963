import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverConfigSchema } from '../config/schema.js';
import { openSqliteStore, type Store } from '../store/store.js';
import { centersCommand } from './cli-centers.js';

describe('centerwatch-server centers', () => {
  let dir: string;
  let store: Store;
  let out: string;
  let err: string;
  let now = 1_800_000_000_000;
  const run = (...args: string[]) =>
    centersCommand(args, {
      cfg: serverConfigSchema.parse({}),
      store,
      out: (t) => void (out += t),
      err: (t) => void (err += t),
      now: () => now,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-centers-'));
    store = openSqliteStore(join(dir, 'engine.sqlite'));
    out = err = '';
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("import --province 51 takes Quảng Ngãi's 96 communes from the shipped list; again, it changes nothing", async () => {
    expect(await run('import', '--province', '51')).toBe(0);
    expect(out).toBe('96 centers of Quảng Ngãi from the national list; 3225 of other provinces left out\ncreated 96, updated 0, unchanged 0\n');
    out = '';
    now += 1000;
    expect(await run('import', '--province', 'quang-ngai')).toBe(0);
    expect(out).toContain('created 0, updated 0, unchanged 96\n');
    expect(store.fleet.centers()).toHaveLength(96);
  });

  it('--dry-run counts and stores nothing', async () => {
    expect(await run('import', '--province', '51', '--dry-run')).toBe(0);
    expect(out).toContain('would be created 96, updated 0, unchanged 0 (dry run: nothing stored)\n');
    expect(store.fleet.centers()).toEqual([]);
  });

  it('imports a file; a bad file prints every problem, imports nothing and exits 1', async () => {
    const good = join(dir, 'centers.csv');
    writeFileSync(good, 'code,name,province,type,counters,lines\n21025,Phường Cẩm Thành,51,phường,4,"inet1=fiber/VNPT;4g=4g/Viettel"\n');
    expect(await run('import', good)).toBe(0);
    expect(out).toMatch(/^1 centers from .*centers\.csv\ncreated 1, updated 0, unchanged 0\n$/);

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'code,name,province,type\n21034,Xã An Phú,51,xã\n21040,Xã Bình Sơn,5l,xa\n');
    out = '';
    expect(await run('import', bad)).toBe(1);
    expect(err).toContain(`${bad}:3:19: province: unknown province "5l"`);
    expect(err).toContain(`${bad}:3:22: type: must be one of "phường", "xã", "đặc khu", got "xa"\n2 problems in ${bad}: nothing imported\n`);
    expect(out).toBe('');
    expect(store.fleet.centers().map((c) => c.code)).toEqual(['21025']);
  });

  it('list shows a table, of one province when asked', async () => {
    writeFileSync(
      join(dir, 'c.yaml'),
      'centers:\n  - { code: 21025, name: Phường Cẩm Thành, province: 51, type: phường, counters: 4, lines: [{ name: inet1, isp: VNPT, kind: fiber }, { name: 4g, isp: Viettel, kind: 4g }] }\n' +
        '  - { code: 4, name: Phường Ba Đình, province: ha-noi, type: phường }\n',
    );
    expect(await run('import', join(dir, 'c.yaml'))).toBe(0);
    out = '';
    expect(await run('list')).toBe(0);
    expect(out).toBe(
      'CODE   NAME              TYPE    PROVINCE    COUNTERS  LINES\n' +
        '4      Phường Ba Đình    phường  ha-noi      0         -\n' +
        '21025  Phường Cẩm Thành  phường  quang-ngai  4         inet1,4g\n',
    );
    out = '';
    expect(await run('list', '--province', '51')).toBe(0);
    expect(out.split('\n').filter(Boolean)).toHaveLength(2);
    out = '';
    expect(await run('list', '--province', 'lao')).toBe(2);
    expect(err).toContain('--province: unknown province "lao": use an official code or id, one of 1 (ha-noi)');
  });

  it('show prints everything of a center; remove revokes its agents', async () => {
    expect(await run('import', '--province', '51')).toBe(0);
    store.fleet.addCode({ codeHash: 'h', center: '21025', usesLeft: 2, usesTotal: 2, expiresAtMs: now + 1e6, createdAtMs: now, createdBy: 't' });
    const enrolled = store.fleet.enrol('h', now, { name: 'counter-1', tokenHash: 't1', platform: 'win32', version: '0.1.0', hostname: 'PC1' });
    expect(enrolled.ok).toBe(true);
    out = '';
    expect(await run('show', '021025')).toBe(0);
    expect(out).toBe(
      [
        'code: "21025"',
        'province: quang-ngai (Quảng Ngãi)',
        'name: Phường Cẩm Thành',
        'type: phường',
        'address: ""',
        'counters: 0',
        'lines: []',
        'devices: []',
        'vars: {}',
        'profile: null',
        `updated: ${new Date(now).toISOString()}`,
        'agents:',
        '  - id: 21025/counter-1',
        '    platform: win32',
        '    version: 0.1.0',
        '    hostname: PC1',
        `    enrolled: ${new Date(now).toISOString()}`,
        '',
      ].join('\n'),
    );
    out = '';
    expect(await run('remove', '21025')).toBe(0);
    expect(out).toBe('removed 21025 Phường Cẩm Thành; 1 agent revoked\n');
    expect(store.fleet.center('21025')).toBeUndefined();
    expect(store.fleet.agent('21025/counter-1')?.revokedAtMs).toBe(now);
    expect(await run('show', '21025')).toBe(1);
    expect(await run('remove', '21025')).toBe(1);
    expect(err).toBe('unknown center 21025 (centerwatch-server centers list)\n'.repeat(2));
  });

  it('a bad command line prints the usage and exits 2', async () => {
    for (const args of [[], ['frobnicate'], ['import', '--bogus'], ['import', 'a.csv', 'b.csv'], ['show'], ['import', '--province', '99']]) {
      err = '';
      expect(await run(...args), args.join(' ')).toBe(2);
      expect(err).toContain('Usage:\n  centerwatch-server centers import [FILE] [--province CODE] [--dry-run]');
    }
    expect(await run('import', join(dir, 'missing.csv'))).toBe(1);
    expect(err).toContain(`cannot read ${join(dir, 'missing.csv')} (ENOENT)`);
    out = '';
    expect(await run('--help')).toBe(0);
    expect(out).toContain('lines: NAME=KIND/ISP[@SOURCE][>GATEWAY][^PUBLIC[|PUBLIC…]] separated by ";"');
  });
});
