/** The fleet's records: the inventory of centers, enrolment codes, enrolled agents and config profiles. Times in ms (UTC). */

/** The three kinds of commune-level unit since 1 July 2025. */
export const CENTER_TYPES = ['phường', 'xã', 'đặc khu'] as const;
export type CenterType = (typeof CENTER_TYPES)[number];

/** Kinds of internet line a center has. */
export const LINE_KINDS = ['fiber', 'adsl', '4g', '5g', 'leased', 'satellite', 'other'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

export interface InventoryLine {
  /** The line's name at this center (`fiber-vnpt`); a profile turns it into an agent `lines[].name`. */
  name: string;
  /** The provider (VNPT, Viettel, FPT, MobiFone…). */
  isp: string;
  kind: LineKind;
  /** Local address probes bind to for this line (policy routing), when the center has one per line. */
  source?: string;
  /** The line's gateway or a host beyond it to ping. */
  gateway?: string;
  /**
   * The line's public addresses or CIDR prefixes as the province server sees the center's pushes
   * (`113.160.12.34`, `27.64.0.0/12`, `2402:800::/32`): which line the center is on now.
   */
  public?: string[];
}

export interface InventoryDevice {
  /** `printer-1`, `scanner-2`… unique within the center. */
  name: string;
  /** printer, scanner, ups, router, id-reader, qr-scanner, signing-token, other. */
  kind: string;
  /** IP address or host name, for networked devices. */
  address?: string;
  /** The counter the device serves (1-based), when it belongs to one. */
  counter?: number;
}

export interface InventoryCenter {
  /** The official commune-level unit code (`21478`): the `center` label of everything the center pushes. */
  code: string;
  /** Province id (`quang-ngai`). */
  province: string;
  name: string;
  type: CenterType;
  address: string;
  counters: number;
  lines: InventoryLine[];
  devices: InventoryDevice[];
  /** Free variables for profiles (`his_url`, `printer_ip`…). */
  vars: Record<string, string>;
  /** The profile its agents get unless their code names another. */
  profile?: string;
  updatedAtMs: number;
}

export interface EnrollCodeRecord {
  id: number;
  /** SHA-256 (hex) of the normalized code; the code itself is never stored. */
  codeHash: string;
  center: string;
  /** The profile agents enrolled with this code get (else the center's, else the fleet default). */
  profile?: string;
  usesLeft: number;
  usesTotal: number;
  expiresAtMs: number;
  createdAtMs: number;
  createdBy: string;
}

export type AgentPlatformName = 'linux' | 'win32';

export interface AgentRecord {
  /** `center/name` (`21478/counter-3`). */
  id: string;
  province: string;
  center: string;
  /** The `agent` label. */
  name: string;
  /** SHA-256 (hex) of the agent's bearer token. */
  tokenHash: string;
  profile?: string;
  /** Per-agent profile variables (override the center's). */
  vars: Record<string, string>;
  platform: AgentPlatformName;
  version: string;
  hostname: string;
  enrolledAtMs: number;
  codeId?: number;
  revokedAtMs?: number;
  /** The config revision the agent said it runs ('' before its first central config). */
  runningRevision: string;
  /** The last revision it refused, and the loader's problems. */
  refusedRevision?: string;
  refusedProblems?: string[];
  /** Samples waiting in its WAL, as it last said. */
  backlog?: number;
  /** Its last config fetch or report. */
  lastSeenAtMs?: number;
}

export interface ProfileRecord {
  name: string;
  /** Counts up from 1 per profile; the latest is in force. */
  revision: number;
  /** The YAML template, as written. */
  body: string;
  createdAtMs: number;
  createdBy: string;
}

/** Why a code did not enrol. */
export type CodeRefusal = 'unknown' | 'used' | 'expired';

/** What an agent says about itself with each fetch or report. */
export interface AgentSighting {
  version?: string;
  platform?: AgentPlatformName;
  runningRevision?: string;
  backlog?: number;
  atMs: number;
}

export interface UpsertResult {
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * The fleet's durable records. Writes from another process (the CLI on the same store file) are seen by
 * the server through `changeCounter()`, which moves whenever another connection committed.
 */
export interface FleetStore {
  /** Inserts or updates centers by code, all or none (one transaction). `updatedAtMs` is set by the store. */
  upsertCenters(list: ReadonlyArray<Omit<InventoryCenter, 'updatedAtMs'>>, atMs: number): UpsertResult;
  center(code: string): InventoryCenter | undefined;
  /** Centers by code, of one province when given. */
  centers(province?: string): InventoryCenter[];
  /** Removes a center, its codes, and revokes its agents. False if unknown. */
  removeCenter(code: string, atMs: number): boolean;

  addCode(code: Omit<EnrollCodeRecord, 'id'>): number;
  codes(center?: string): EnrollCodeRecord[];
  /**
   * In one transaction: takes one use of the live code with this hash and enrols (or re-enrols) the agent
   * `${center}/${name}` with the token hash. Re-enrolling a name replaces its token (the old one stops working).
   */
  enrol(
    codeHash: string,
    nowMs: number,
    agent: Pick<AgentRecord, 'name' | 'tokenHash' | 'platform' | 'version' | 'hostname'>,
  ): { ok: true; agent: AgentRecord; code: EnrollCodeRecord } | { ok: false; why: CodeRefusal };

  agent(id: string): AgentRecord | undefined;
  agentByTokenHash(tokenHash: string): AgentRecord | undefined;
  /** Agents by id; revoked ones too. */
  agents(filter?: { province?: string; center?: string }): AgentRecord[];
  /** Revokes the agent's token. False if unknown or already revoked. */
  revokeAgent(id: string, atMs: number): boolean;
  /** Records what the agent said of itself. */
  sighted(id: string, s: AgentSighting): void;
  /** Records a config revision the agent refused and why. */
  refused(id: string, revision: string, problems: readonly string[], atMs: number): void;
  setAgentVars(id: string, vars: Record<string, string>): boolean;
  setAgentProfile(id: string, profile: string | undefined): boolean;

  /** Adds a new revision of a profile; returns its number. */
  addProfile(name: string, body: string, by: string, atMs: number): number;
  /** The latest revision of a profile. */
  profile(name: string): ProfileRecord | undefined;
  /** The latest revision of every profile, by name. */
  profiles(): ProfileRecord[];

  /** Moves when another connection committed a change (SQLite `data_version`). */
  changeCounter(): number;
}
