/**
 * Numbered schema migrations. Step i (0-based) brings the database from version i to i + 1; the version
 * lives in `PRAGMA user_version`, so a database knows how far it got without a bookkeeping table.
 * Append new steps at the end; never edit a step that has shipped (databases in the field already ran it).
 * Times are integers: milliseconds since the Unix epoch (UTC). JSON columns hold text.
 */
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: alerts and their history, state transitions, silences, acknowledgements.
  `
  CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    province    TEXT NOT NULL,
    center      TEXT NOT NULL,
    check_id    TEXT,
    grp         TEXT,
    labels      TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity    TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    since       INTEGER NOT NULL,
    fired_at    INTEGER NOT NULL,
    resolved_at INTEGER
  ) STRICT;
  CREATE INDEX alerts_firing ON alerts (center) WHERE status = 'firing';

  CREATE TABLE alert_history (
    id       INTEGER PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    action   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    detail   TEXT
  ) STRICT;
  CREATE INDEX alert_history_alert ON alert_history (alert_id, at);

  CREATE TABLE transitions (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('check', 'center')),
    entity     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    at         INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX transitions_entity_at ON transitions (kind, entity, at);

  CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    matchers   TEXT NOT NULL,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    recurring  TEXT,
    created_by TEXT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    CHECK (ends_at >= starts_at) -- equal: expired before it began, never active
  ) STRICT;
  CREATE INDEX silences_ends ON silences (ends_at);

  CREATE TABLE acknowledgements (
    id       INTEGER PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (id),
    by       TEXT NOT NULL,
    at       INTEGER NOT NULL,
    comment  TEXT NOT NULL DEFAULT ''
  ) STRICT;
  CREATE INDEX acknowledgements_alert ON acknowledgements (alert_id);
  `,
  // 2: the durable notification outbox (at-least-once delivery; the key makes a message idempotent).
  `
  CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    route       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    not_before  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
    last_error  TEXT,
    sent_at     INTEGER
  ) STRICT;
  CREATE INDEX outbox_due ON outbox (not_before, id) WHERE status = 'pending';
  `,
  // 3: outbox messages can be given up ('failed'). SQLite cannot alter a CHECK constraint, so the table is
  // rebuilt with its rows. The second index finds, per route, an earlier message waiting on its retry.
  `
  CREATE TABLE outbox_v3 (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    route       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    not_before  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    last_error  TEXT,
    sent_at     INTEGER,
    given_up_at INTEGER
  ) STRICT;
  INSERT INTO outbox_v3 (id, key, route, payload, not_before, attempts, status, last_error, sent_at)
    SELECT id, key, route, payload, not_before, attempts, status, last_error, sent_at FROM outbox;
  DROP TABLE outbox;
  ALTER TABLE outbox_v3 RENAME TO outbox;
  CREATE INDEX outbox_due ON outbox (not_before, id) WHERE status = 'pending';
  CREATE INDEX outbox_retrying ON outbox (route, id) WHERE status = 'pending' AND attempts > 0;
  `,
  // 4: the fleet: the inventory of centers, one-time enrolment codes, enrolled agents with their token's
  // hash, and the province's config profiles (each change a new revision; the latest is in force).
  `
  CREATE TABLE centers (
    code       TEXT PRIMARY KEY,
    province   TEXT NOT NULL,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    counters   INTEGER NOT NULL DEFAULT 0,
    lines      TEXT NOT NULL DEFAULT '[]',
    devices    TEXT NOT NULL DEFAULT '[]',
    vars       TEXT NOT NULL DEFAULT '{}',
    profile    TEXT,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX centers_province ON centers (province);

  CREATE TABLE enroll_codes (
    id         INTEGER PRIMARY KEY,
    code_hash  TEXT NOT NULL UNIQUE,
    center     TEXT NOT NULL REFERENCES centers (code) ON DELETE CASCADE,
    profile    TEXT,
    uses_left  INTEGER NOT NULL CHECK (uses_left >= 0),
    uses_total INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
  ) STRICT;

  CREATE TABLE agents (
    id           TEXT PRIMARY KEY,
    province     TEXT NOT NULL,
    center       TEXT NOT NULL,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    profile      TEXT,
    vars         TEXT NOT NULL DEFAULT '{}',
    platform     TEXT NOT NULL,
    version      TEXT NOT NULL DEFAULT '',
    hostname     TEXT NOT NULL DEFAULT '',
    enrolled_at  INTEGER NOT NULL,
    code_id      INTEGER,
    revoked_at   INTEGER,
    running_rev  TEXT NOT NULL DEFAULT '',
    refused_rev  TEXT,
    refused_why  TEXT,
    backlog      INTEGER,
    last_seen_at INTEGER
  ) STRICT;
  CREATE INDEX agents_center ON agents (center);

  CREATE TABLE profiles (
    name       TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (name, revision)
  ) STRICT;
  `,
];

export interface MigrationResult {
  from: number;
  to: number;
}

/**
 * Runs the steps the database has not run yet, each in its own transaction together with its version
 * bump, so a crash leaves the database at a whole version. A database newer than `steps` is refused:
 * an older server must not write into a schema it does not know.
 */
export function migrate(db: Database.Database, steps: readonly string[] = MIGRATIONS): MigrationResult {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > steps.length) {
    throw new Error(`database schema version ${from} is newer than this server's ${steps.length}`);
  }
  for (let v = from; v < steps.length; v++) {
    db.transaction(() => {
      db.exec(steps[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: steps.length };
}
