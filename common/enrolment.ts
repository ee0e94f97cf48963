/**
 * The enrolment and central-configuration protocol between an agent and its province server: paths,
 * headers and bodies, shared by both sides so they cannot drift apart. JSON bodies; the agent's token is
 * a bearer token (RFC 6750) once enrolled.
 *
 *   POST /api/v1/enroll         {code, name, platform, version, hostname} → 201 EnrolResponse
 *                               (a name already enrolled at that center is enrolled again: its old token stops)
 *                               400 bad body or name · 401 unknown/used/expired code · 429 throttled
 *                               403 plain HTTP from a non-loopback address
 *   GET  /api/v1/agent/config   bearer token; If-None-Match: "<revision>" → 304, or 200 YAML with ETag
 *                               and the AGENT_HEADERS below (fetch interval); 401 revoked/unknown
 *   POST /api/v1/agent/report   bearer token; ConfigReport → 204 (a config the agent refused, and why)
 *
 * Every agent request carries the REPORT_HEADERS (what it runs), which the fleet view shows.
 */

export const ENROLL_PATH = '/api/v1/enroll';
export const AGENT_CONFIG_PATH = '/api/v1/agent/config';
export const AGENT_REPORT_PATH = '/api/v1/agent/report';

/** Headers the agent sends with every fetch and report (and push), describing what it runs. */
export const REPORT_HEADERS = {
  version: 'x-centerwatch-agent-version',
  platform: 'x-centerwatch-agent-platform',
  /** The revision of the config the agent runs now ('' before its first central config). */
  revision: 'x-centerwatch-config-revision',
  /** Samples waiting in the agent's WAL. */
  backlog: 'x-centerwatch-wal-backlog',
} as const;

/** Headers of a config answer. */
export const AGENT_HEADERS = {
  /** Milliseconds between the agent's config fetches, set by the province (`fleet.fetch_interval`). */
  fetchInterval: 'x-centerwatch-fetch-interval-ms',
} as const;

export const PLATFORMS = ['linux', 'win32'] as const;
export type AgentPlatform = (typeof PLATFORMS)[number];

export interface EnrolRequest {
  /** The one-time code as the person typed it (case, dashes and spaces do not matter). */
  code: string;
  /** The machine's name within its center (`counter-3`); the `agent` label. */
  name: string;
  platform: AgentPlatform;
  version: string;
  hostname?: string;
}

export interface EnrolResponse {
  /** The agent's own bearer token; the server keeps only its SHA-256. Shown once. */
  token: string;
  /** Identity the server gives the agent: every series it pushes carries these labels. */
  province: string;
  center: string;
  centerName: string;
  agent: string;
  /** `center/agent`: how IT staff name this agent (`centerwatch-server agents revoke 21478/counter-3`). */
  id: string;
}

export interface ConfigReport {
  /** The revision the agent was sent and refused. */
  revision: string;
  /** The loader's problems, one line each (file:line:column: field: message); never a secret's value. */
  problems: string[];
}

/**
 * One-time codes: 9 characters of Crockford's base32 (no I, L, O, U) shown as `ABC-DEFG-HJ`. 45 random
 * bits; with guesses throttled per address, finding a live code by guessing takes longer than it lives.
 */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The canonical form of a typed code: upper case, separators dropped, look-alikes read as Crockford does. */
export function normalizeCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** Whether a normalized code has the shape of one (9 alphabet characters). */
export function isCodeShape(normalized: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{9}$/.test(normalized);
}

/** Formats 9 random bytes' worth of choices as `ABC-DEFG-HJ`. */
export function formatCode(randomBytes: Uint8Array): string {
  if (randomBytes.length < 9) throw new RangeError('9 random bytes needed');
  const chars = Array.from(randomBytes.subarray(0, 9), (b) => CODE_ALPHABET[b % 32]!);
  return `${chars.slice(0, 3).join('')}-${chars.slice(3, 7).join('')}-${chars.slice(7).join('')}`;
}

/** A machine name as an `agent` label: lower case, letters, digits, '.', '_' and '-', at most 63. */
export function agentNameProblem(name: string): string | undefined {
  return /^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)
    ? undefined
    : `agent name "${name}" must be lower-case letters, digits, ".", "_" or "-" (at most 63, starting with a letter or digit)`;
}

/** A host name made into a default agent name (`KHOA-PC03.local` → `khoa-pc03`). */
export function agentNameFromHost(hostname: string): string {
  const base = hostname
    .split('.')[0]!
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '');
  return base.slice(0, 63) || 'agent';
}
