/** The inventory API over a real socket on loopback, with a real SQLite store. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { openSqliteStore, type Store } from '../store/store.js';
import { inventoryRoutes } from './api-inventory.js';
import type { FleetDeps } from './deps.js';
import { nationalListText } from './national-list.js';

describe('API: the inventory', () => {
  let dir: string;
  let store: Store;
  let server: Server;
  let base: string;
  const now = 1_800_000_000_000;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-inv-api-'));
    store = openSqliteStore(join(dir, 'engine.sqlite'));
    // Only what the routes use; the rest of FleetDeps belongs to enrolment and config.
    const deps = { store, log: createLogger('error'), now: () => now } as Partial<FleetDeps> as FleetDeps;
    const r = express.Router();
    r.use(express.json({ limit: '16kb' }));
    inventoryRoutes(r, deps, (req, res) => {
      if (req.get('authorization') === 'Bearer s3cret') return 'ops';
      res.status(401).json({ error: 'a valid bearer token is required' });
      return undefined;
    });
    const app = express();
    app.use('/api/v1', r);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: string, type: string, query = '', auth = 'Bearer s3cret') =>
    fetch(`${base}/inventory/centers${query}`, { method: 'POST', headers: { 'content-type': type, authorization: auth }, body });
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

  it("imports the national list's shape for one province, then reads, lists and removes", async () => {
    expect(await json(await post(nationalListText(), 'text/csv; charset=utf-8', '?province=51'))).toEqual({
      status: 200,
      body: { created: 96, updated: 0, unchanged: 0, centers: 96, skipped: 3225, dryRun: false },
    });
    expect(await json(await post(nationalListText(), 'text/csv', '?province=quang-ngai'))).toMatchObject({ body: { created: 0, unchanged: 96 } });

    const list = await json(await fetch(`${base}/inventory/centers?province=51`));
    expect(list.status).toBe(200);
    expect(list.body.centers).toHaveLength(96);
    expect((await json(await fetch(`${base}/inventory/centers?province=ha-noi`))).body).toEqual({ centers: [] });
    expect(await json(await fetch(`${base}/inventory/centers?province=xx`))).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^unknown province "xx"/) },
    });

    expect(await json(await fetch(`${base}/inventory/centers/21025`))).toEqual({
      status: 200,
      body: {
        center: {
          code: '21025',
          province: 'quang-ngai',
          name: 'Phường Cẩm Thành',
          type: 'phường',
          address: '',
          counters: 0,
          lines: [],
          devices: [],
          vars: {},
          updatedAtMs: now,
        },
      },
    });
    expect(await json(await fetch(`${base}/inventory/centers/99999`))).toEqual({ status: 404, body: { error: 'unknown center 99999' } });

    const del = (code: string, auth = 'Bearer s3cret') => fetch(`${base}/inventory/centers/${code}`, { method: 'DELETE', headers: { authorization: auth } });
    expect((await del('21025', 'Bearer nope')).status).toBe(401);
    expect(await json(await del('21025'))).toEqual({ status: 200, body: { code: '21025', removed: true, revokedAgents: 0, removedBy: 'ops' } });
    expect((await del('21025')).status).toBe(404);
    expect(store.fleet.centers()).toHaveLength(95);
  });

  it('imports YAML; a dry run stores nothing', async () => {
    const yaml = 'centers:\n  - { code: 21025, name: Phường Cẩm Thành, province: 51, type: phường, lines: [{ name: inet1, isp: VNPT, kind: fiber }] }\n';
    expect(await json(await post(yaml, 'application/yaml', '?dry_run=true'))).toMatchObject({ status: 200, body: { created: 1, dryRun: true } });
    expect(store.fleet.centers()).toEqual([]);
    expect(await json(await post(yaml, 'application/yaml'))).toMatchObject({ status: 200, body: { created: 1, updated: 0, unchanged: 0 } });
    expect(store.fleet.center('21025')?.lines).toEqual([{ name: 'inet1', isp: 'VNPT', kind: 'fiber' }]);
  });

  it('a bad file is 400 with every problem, and nothing is imported', async () => {
    const csv = 'code,name,province,type\n21025,Phường Cẩm Thành,51,phường\n21034,Xã An Phú,5l,xa\n';
    expect(await json(await post(csv, 'text/csv'))).toEqual({
      status: 400,
      body: {
        error: '2 problems in the file: nothing imported',
        problems: [
          'body.csv:3:17: province: unknown province "5l": use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)',
          'body.csv:3:20: type: must be one of "phường", "xã", "đặc khu", got "xa"',
        ],
      },
    });
    expect(store.fleet.centers()).toEqual([]);
  });

  it('refuses a writer without a token, another content type and a file over 2 MB', async () => {
    expect(await json(await post('x', 'text/csv', '', 'Bearer wrong'))).toEqual({ status: 401, body: { error: 'a valid bearer token is required' } });
    expect(await json(await post('{}', 'application/json'))).toMatchObject({
      status: 415,
      body: { error: expect.stringContaining('send the file as text/csv') },
    });
    const big = `code,name,province,type\n${'21025,A,51,xã\n'.repeat(160_000)}`;
    expect(await json(await post(big, 'text/csv'))).toEqual({ status: 413, body: { error: 'the file is larger than 2 MB' } });
    expect(store.fleet.centers()).toEqual([]);
  });
});
