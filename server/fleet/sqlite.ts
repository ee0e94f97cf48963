/** The fleet's records in the server's SQLite store (tables of migration 4). */
import type Database from 'better-sqlite3';
import type { AgentRecord, EnrollCodeRecord, FleetStore, InventoryCenter, ProfileRecord } from './types.js';

type SqlValue = string | number | bigint | Buffer | null;
type Row = Record<string, SqlValue>;

function centerFromRow(r: Row): InventoryCenter {
  const c: InventoryCenter = {
    code: String(r.code),
    province: String(r.province),
    name: String(r.name),
    type: String(r.type) as InventoryCenter['type'],
    address: String(r.address),
    counters: Number(r.counters),
    lines: JSON.parse(String(r.lines)) as InventoryCenter['lines'],
    devices: JSON.parse(String(r.devices)) as InventoryCenter['devices'],
    vars: JSON.parse(String(r.vars)) as InventoryCenter['vars'],
    updatedAtMs: Number(r.updated_at),
  };
  if (r.profile !== null) c.profile = String(r.profile);
  return c;
}

function codeFromRow(r: Row): EnrollCodeRecord {
  const c: EnrollCodeRecord = {
    id: Number(r.id),
    codeHash: String(r.code_hash),
    center: String(r.center),
    usesLeft: Number(r.uses_left),
    usesTotal: Number(r.uses_total),
    expiresAtMs: Number(r.expires_at),
    createdAtMs: Number(r.created_at),
    createdBy: String(r.created_by),
  };
  if (r.profile !== null) c.profile = String(r.profile);
  return c;
}

function agentFromRow(r: Row): AgentRecord {
  const a: AgentRecord = {
    id: String(r.id),
    province: String(r.province),
    center: String(r.center),
    name: String(r.name),
    tokenHash: String(r.token_hash),
    vars: JSON.parse(String(r.vars)) as AgentRecord['vars'],
    platform: String(r.platform) as AgentRecord['platform'],
    version: String(r.version),
    hostname: String(r.hostname),
    enrolledAtMs: Number(r.enrolled_at),
    runningRevision: String(r.running_rev),
  };
  if (r.profile !== null) a.profile = String(r.profile);
  if (r.code_id !== null) a.codeId = Number(r.code_id);
  if (r.revoked_at !== null) a.revokedAtMs = Number(r.revoked_at);
  if (r.refused_rev !== null) a.refusedRevision = String(r.refused_rev);
  if (r.refused_why !== null) a.refusedProblems = JSON.parse(String(r.refused_why)) as string[];
  if (r.backlog !== null) a.backlog = Number(r.backlog);
  if (r.last_seen_at !== null) a.lastSeenAtMs = Number(r.last_seen_at);
  return a;
}

const profileFromRow = (r: Row): ProfileRecord => ({
  name: String(r.name),
  revision: Number(r.revision),
  body: String(r.body),
  createdAtMs: Number(r.created_at),
  createdBy: String(r.created_by),
});

/** Sorted keys, so an unchanged center compares equal however its import wrote it. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );

export function sqliteFleetStore(db: Database.Database): FleetStore {
  const q = {
    center: db.prepare('SELECT * FROM centers WHERE code = ?'),
    centers: db.prepare('SELECT * FROM centers ORDER BY province, code'),
    centersOf: db.prepare('SELECT * FROM centers WHERE province = ? ORDER BY code'),
    upsertCenter: db.prepare(`INSERT INTO centers (code, province, name, type, address, counters, lines, devices, vars, profile, updated_at)
      VALUES (@code, @province, @name, @type, @address, @counters, @lines, @devices, @vars, @profile, @updatedAt)
      ON CONFLICT (code) DO UPDATE SET province = excluded.province, name = excluded.name, type = excluded.type,
        address = excluded.address, counters = excluded.counters, lines = excluded.lines, devices = excluded.devices,
        vars = excluded.vars, profile = excluded.profile, updated_at = excluded.updated_at`),
    removeCenter: db.prepare('DELETE FROM centers WHERE code = ?'),
    revokeCenterAgents: db.prepare('UPDATE agents SET revoked_at = ? WHERE center = ? AND revoked_at IS NULL'),
    addCode: db.prepare(`INSERT INTO enroll_codes (code_hash, center, profile, uses_left, uses_total, expires_at, created_at, created_by)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    codes: db.prepare('SELECT * FROM enroll_codes ORDER BY id'),
    codesOf: db.prepare('SELECT * FROM enroll_codes WHERE center = ? ORDER BY id'),
    codeByHash: db.prepare('SELECT * FROM enroll_codes WHERE code_hash = ?'),
    useCode: db.prepare('UPDATE enroll_codes SET uses_left = uses_left - 1 WHERE id = ? AND uses_left > 0'),
    agent: db.prepare('SELECT * FROM agents WHERE id = ?'),
    agentByToken: db.prepare('SELECT * FROM agents WHERE token_hash = ?'),
    agents: db.prepare('SELECT * FROM agents ORDER BY center, name'),
    agentsOfProvince: db.prepare('SELECT * FROM agents WHERE province = ? ORDER BY center, name'),
    agentsOfCenter: db.prepare('SELECT * FROM agents WHERE center = ? ORDER BY name'),
    upsertAgent: db.prepare(`INSERT INTO agents (id, province, center, name, token_hash, profile, platform, version, hostname, enrolled_at, code_id)
      VALUES (@id, @province, @center, @name, @tokenHash, @profile, @platform, @version, @hostname, @enrolledAt, @codeId)
      ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, profile = excluded.profile, platform = excluded.platform,
        version = excluded.version, hostname = excluded.hostname, enrolled_at = excluded.enrolled_at, code_id = excluded.code_id,
        revoked_at = NULL, running_rev = '', refused_rev = NULL, refused_why = NULL`),
    revoke: db.prepare('UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    sighted: db.prepare(`UPDATE agents SET version = COALESCE(@version, version), platform = COALESCE(@platform, platform),
      running_rev = COALESCE(@rev, running_rev), backlog = COALESCE(@backlog, backlog), last_seen_at = @at WHERE id = @id`),
    refused: db.prepare('UPDATE agents SET refused_rev = ?, refused_why = ?, last_seen_at = ? WHERE id = ?'),
    setVars: db.prepare('UPDATE agents SET vars = ? WHERE id = ?'),
    setProfile: db.prepare('UPDATE agents SET profile = ? WHERE id = ?'),
    lastRevision: db.prepare('SELECT MAX(revision) AS r FROM profiles WHERE name = ?'),
    addProfile: db.prepare('INSERT INTO profiles (name, revision, body, created_at, created_by) VALUES (?, ?, ?, ?, ?)'),
    profile: db.prepare('SELECT * FROM profiles WHERE name = ? ORDER BY revision DESC LIMIT 1'),
    profiles: db.prepare('SELECT p.* FROM profiles p WHERE revision = (SELECT MAX(revision) FROM profiles WHERE name = p.name) ORDER BY name'),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
  };

  const upsertCenters = db.transaction((list: ReadonlyArray<Omit<InventoryCenter, 'updatedAtMs'>>, atMs: number) => {
    const result = { created: 0, updated: 0, unchanged: 0 };
    for (const c of list) {
      const before = q.center.get(c.code) as Row | undefined;
      const row = {
        code: c.code,
        province: c.province,
        name: c.name,
        type: c.type,
        address: c.address,
        counters: c.counters,
        lines: JSON.stringify(c.lines),
        devices: JSON.stringify(c.devices),
        vars: JSON.stringify(c.vars),
        profile: c.profile ?? null,
      };
      if (before) {
        const { updatedAtMs: _u, ...old } = centerFromRow(before);
        if (canonical(old) === canonical({ ...c, profile: c.profile })) {
          result.unchanged++;
          continue;
        }
        result.updated++;
      } else result.created++;
      q.upsertCenter.run({ ...row, updatedAt: atMs });
    }
    return result;
  });

  const removeCenter = db.transaction((code: string, atMs: number) => {
    q.revokeCenterAgents.run(atMs, code);
    return q.removeCenter.run(code).changes === 1;
  });

  type EnrolFn = FleetStore['enrol'];
  const enrol = db.transaction((codeHash: string, nowMs: number, a: Parameters<EnrolFn>[2]): ReturnType<EnrolFn> => {
    const r = q.codeByHash.get(codeHash) as Row | undefined;
    if (!r) return { ok: false, why: 'unknown' } as const;
    const code = codeFromRow(r);
    if (code.expiresAtMs <= nowMs) return { ok: false, why: 'expired' } as const;
    if (q.useCode.run(code.id).changes !== 1) return { ok: false, why: 'used' } as const;
    const center = centerFromRow(q.center.get(code.center) as Row);
    const id = `${center.code}/${a.name}`;
    q.upsertAgent.run({
      id,
      province: center.province,
      center: center.code,
      name: a.name,
      tokenHash: a.tokenHash,
      profile: code.profile ?? null,
      platform: a.platform,
      version: a.version,
      hostname: a.hostname,
      enrolledAt: nowMs,
      codeId: code.id,
    });
    return { ok: true, agent: agentFromRow(q.agent.get(id) as Row), code: { ...code, usesLeft: code.usesLeft - 1 } } as const;
  });

  return {
    upsertCenters: (list, atMs) => upsertCenters(list, atMs),
    center: (code) => {
      const r = q.center.get(code) as Row | undefined;
      return r && centerFromRow(r);
    },
    centers: (province) => ((province === undefined ? q.centers.all() : q.centersOf.all(province)) as Row[]).map(centerFromRow),
    removeCenter: (code, atMs) => removeCenter(code, atMs),

    addCode: (c) =>
      Number(q.addCode.run(c.codeHash, c.center, c.profile ?? null, c.usesLeft, c.usesTotal, c.expiresAtMs, c.createdAtMs, c.createdBy).lastInsertRowid),
    codes: (center) => ((center === undefined ? q.codes.all() : q.codesOf.all(center)) as Row[]).map(codeFromRow),
    enrol: (codeHash, nowMs, agent) => enrol(codeHash, nowMs, agent),

    agent: (id) => {
      const r = q.agent.get(id) as Row | undefined;
      return r && agentFromRow(r);
    },
    agentByTokenHash: (hash) => {
      const r = q.agentByToken.get(hash) as Row | undefined;
      return r && agentFromRow(r);
    },
    agents: (filter = {}) =>
      (
        (filter.center !== undefined
          ? q.agentsOfCenter.all(filter.center)
          : filter.province !== undefined
            ? q.agentsOfProvince.all(filter.province)
            : q.agents.all()) as Row[]
      )
        .map(agentFromRow)
        .filter((a) => filter.province === undefined || a.province === filter.province),
    revokeAgent: (id, atMs) => q.revoke.run(atMs, id).changes === 1,
    sighted: (id, s) =>
      void q.sighted.run({
        id,
        version: s.version ?? null,
        platform: s.platform ?? null,
        rev: s.runningRevision ?? null,
        backlog: s.backlog ?? null,
        at: s.atMs,
      }),
    refused: (id, revision, problems, atMs) => void q.refused.run(revision, JSON.stringify(problems), atMs, id),
    setAgentVars: (id, vars) => q.setVars.run(JSON.stringify(vars), id).changes === 1,
    setAgentProfile: (id, profile) => q.setProfile.run(profile ?? null, id).changes === 1,

    addProfile: (name, body, by, atMs) => {
      const next = Number((q.lastRevision.get(name) as Row).r ?? 0) + 1;
      q.addProfile.run(name, next, body, atMs, by);
      return next;
    },
    profile: (name) => {
      const r = q.profile.get(name) as Row | undefined;
      return r && profileFromRow(r);
    },
    profiles: () => (q.profiles.all() as Row[]).map(profileFromRow),

    changeCounter: () => Number(q.dataVersion.get()),
  };
}
