import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from './migrations.js';
import { openSqliteStore } from './store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'centerwatch-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tables = (db: Database.Database): string[] =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);

describe('schema migrations', () => {
  it('builds the whole schema from an empty database, in WAL mode with synchronous NORMAL', () => {
    const file = join(dir, 'fresh.db');
    const store = openSqliteStore(file);
    // A second connection sees the settings a file keeps (journal mode) and the version.
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(tables(db)).toEqual([
      'acknowledgements',
      'agents',
      'alert_history',
      'alerts',
      'centers',
      'enroll_codes',
      'outbox',
      'profiles',
      'silences',
      'transitions',
    ]);
    db.close();
    store.close();
  });

  it('brings a database at the previous version up to date and keeps its data', () => {
    const file = join(dir, 'old.db');
    const old = new Database(file);
    expect(migrate(old, MIGRATIONS.slice(0, -1))).toEqual({ from: 0, to: MIGRATIONS.length - 1 });
    // Rows as the previous server version wrote them.
    old
      .prepare(
        `INSERT INTO alerts (id, province, center, check_id, grp, labels, status, severity, since, fired_at, resolved_at)
      VALUES ('qn:sa-huynh:inet1', 'quang-ngai', 'sa-huynh', 'inet1', NULL, '{"line":"inet1"}', 'firing', 'critical', 1000, 4000, NULL)`,
      )
      .run();
    old.prepare(`INSERT INTO alert_history (alert_id, action, at, detail) VALUES ('qn:sa-huynh:inet1', 'fire', 4000, NULL)`).run();
    old.prepare(`INSERT INTO transitions (kind, entity, from_state, to_state, at) VALUES ('center', 'sa-huynh', NULL, 'ready', 500)`).run();
    old
      .prepare(
        `INSERT INTO silences (matchers, starts_at, ends_at, recurring, created_by, comment)
      VALUES ('[{"label":"center","op":"=","value":"sa-huynh"}]', 0, 10000, NULL, 'ops', 'thay modem')`,
      )
      .run();
    old.prepare(`INSERT INTO acknowledgements (alert_id, by, at, comment) VALUES ('qn:sa-huynh:inet1', 'an', 5000, '')`).run();
    old.close();

    const store = openSqliteStore(file);
    expect(store.getAlert('qn:sa-huynh:inet1')).toEqual({
      id: 'qn:sa-huynh:inet1',
      province: 'quang-ngai',
      center: 'sa-huynh',
      check: 'inet1',
      labels: { line: 'inet1' },
      status: 'firing',
      severity: 'critical',
      sinceMs: 1000,
      firedAtMs: 4000,
    });
    expect(store.alertHistory('qn:sa-huynh:inet1')).toEqual([{ alertId: 'qn:sa-huynh:inet1', action: 'fire', atMs: 4000 }]);
    expect(store.transitions('center', 'sa-huynh', 0, 1000)).toEqual([{ kind: 'center', entity: 'sa-huynh', from: undefined, to: 'ready', atMs: 500 }]);
    expect(store.activeSilences(5000).map((s) => s.comment)).toEqual(['thay modem']);
    expect(store.acknowledgements('qn:sa-huynh:inet1')).toEqual([{ alertId: 'qn:sa-huynh:inet1', by: 'an', atMs: 5000, comment: '' }]);
    // The step the old database lacked works.
    expect(store.enqueue({ key: 'k', route: 'webhook', payload: { a: 1 }, notBeforeMs: 0 })).toEqual({ id: 1, created: true });
    store.close();

    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('runs nothing on an up-to-date database and refuses one newer than the code', () => {
    const file = join(dir, 'db');
    openSqliteStore(file).close();
    const db = new Database(file);
    expect(migrate(db)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openSqliteStore(file)).toThrow(`database schema version ${MIGRATIONS.length + 1} is newer than this server's ${MIGRATIONS.length}`);
  });

  it('leaves a database at a whole version when a step fails', () => {
    const db = new Database(join(dir, 'partial.db'));
    const steps = ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (x INTEGER); INSERT INTO no_such_table VALUES (1)'];
    expect(() => migrate(db, steps)).toThrow(/no such table/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(['a']); // b was rolled back with its step
    db.close();
  });
});
