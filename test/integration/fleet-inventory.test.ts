/**
 * The inventory with the built server bin, run from a folder that is not the repository's: the national
 * list rides inside the bundle, so `centers import --province 51` brings in Quảng Ngãi's 96 communes from
 * anywhere; list, show and remove; a bad CSV imports nothing and says every problem with its line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBins } from '../helpers/bins.js';

const BIN = resolve('dist/centerwatch-server.mjs');

describe('centerwatch-server centers, the built bin', () => {
  let dir: string;
  let elsewhere: string;
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, 'centers', ...args, '--config', join(dir, 'server.yaml')], {
      cwd: elsewhere,
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const listed = () => cli('list', '--province', '51').stdout.trim().split('\n').slice(1);

  beforeAll(() => {
    buildBins();
    dir = mkdtempSync(join(tmpdir(), 'cw-inventory-'));
    elsewhere = mkdtempSync(join(tmpdir(), 'cw-inventory-cwd-'));
    writeFileSync(join(dir, 'server.yaml'), 'listen: 127.0.0.1:0\ndata_dir: data\n');
  }, 120_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it("imports Quảng Ngãi's 96 communes from the list inside the bundle; a second import changes nothing", () => {
    const first = cli('import', '--province', '51');
    expect(first.stderr).toBe('');
    expect(first).toMatchObject({
      status: 0,
      stdout: '96 centers of Quảng Ngãi from the national list; 3225 of other provinces left out\ncreated 96, updated 0, unchanged 0\n',
    });
    expect(cli('import', '--province', 'quang-ngai')).toMatchObject({ status: 0, stdout: expect.stringContaining('created 0, updated 0, unchanged 96\n') });
    const rows = listed();
    expect(rows).toHaveLength(96);
    expect(rows[0]).toMatch(/^21025 +Phường Cẩm Thành +phường +quang-ngai +0 +-$/);
  });

  it('updates a center from an inventory CSV and shows it', () => {
    const file = join(elsewhere, 'centers.csv');
    writeFileSync(
      file,
      '\uFEFFcode,name,province,type,address,counters,lines,var.his_url\r\n21025,Phường Cẩm Thành,51,phường,"12 Hùng Vương, Cẩm Thành",4,"inet1=fiber/VNPT@192.168.1.10;4g=4g/Viettel",https://his.example/\r\n',
    );
    expect(cli('import', 'centers.csv')).toMatchObject({ status: 0, stdout: '1 centers from centers.csv\ncreated 0, updated 1, unchanged 0\n' });
    const show = cli('show', '21025');
    expect(show.status).toBe(0);
    for (const line of [
      'code: "21025"',
      'province: quang-ngai (Quảng Ngãi)',
      'name: Phường Cẩm Thành',
      'address: 12 Hùng Vương, Cẩm Thành',
      'counters: 4',
      '  - name: inet1',
      '    source: 192.168.1.10',
      '  his_url: https://his.example/',
      'agents: []',
    ])
      expect(show.stdout).toContain(`${line}\n`);
  });

  it('a bad CSV imports nothing, naming each problem by line and field', () => {
    writeFileSync(
      join(elsewhere, 'bad.csv'),
      'code,name,province,type,lines\n21025,Renamed,51,phường,\n21034,Xã An Phú,5l,xa,inet1=fibre/VNPT\n21025,Again,51,xã,\n',
    );
    const r = cli('import', 'bad.csv');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      'bad.csv:3:17: province: unknown province "5l": use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)',
      'bad.csv:3:20: type: must be one of "phường", "xã", "đặc khu", got "xa"',
      'bad.csv:3:23: lines[0].kind: must be one of "fiber", "adsl", "4g", "5g", "leased", "satellite", "other", got "fibre"',
      'bad.csv:4:1: code: duplicate code "21025": also on line 2',
      '4 problems in bad.csv: nothing imported',
      '',
    ]);
    expect(listed()[0]).toMatch(/^21025 +Phường Cẩm Thành /);
  });

  it('removes a center; an unknown one and an unknown command are refused', () => {
    expect(cli('remove', '21025')).toMatchObject({ status: 0, stdout: 'removed 21025 Phường Cẩm Thành; 0 agents revoked\n' });
    expect(listed()).toHaveLength(95);
    expect(cli('show', '21025')).toMatchObject({ status: 1, stderr: 'unknown center 21025 (centerwatch-server centers list)\n' });
    const bad = cli('frobnicate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown centers command "frobnicate"');
    expect(cli('import', '--province', '99')).toMatchObject({ status: 2, stderr: expect.stringContaining('--province: unknown province "99"') });
  });
});
