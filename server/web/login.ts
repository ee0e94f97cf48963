/**
 * Optional login for the readiness page and the API's reads (`web.login`): HTTP Basic over HTTPS, users
 * with scrypt password hashes (`centerwatch-server password` makes one). Read-only: writes keep their
 * bearer tokens. A verified header is remembered for a few minutes, so scrypt (tens of ms of CPU, on
 * purpose) runs once per user, not per request.
 *
 * Wrong passwords must not hurt the agents or give anything away: scrypt runs on libuv's threadpool (never
 * on the event loop that answers the agents), on at most half the cores; an unknown user name is checked
 * against a dummy hash, so it costs the same as a known one; and after 5 failures in a minute from one
 * client address or for one user name, the next tries get 429 without any scrypt until the minute is over.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { NextFunction, Request, Response } from 'express';

const KEY_LENGTH = 32;
const REMEMBER_MS = 5 * 60_000;
const REMEMBERED_MAX = 1000;
/** Failures allowed per client address and per user name within a window; the next get 429. */
const FAILURES_ALLOWED = 5;
const FAILURE_WINDOW_MS = 60_000;
/** Keys (addresses, names) whose failures are counted at most: bounded memory under a spread attack. */
const FAILURE_KEYS_MAX = 10_000;
/**
 * scrypt runs at once at most: half the cores (the other half answers the agents), and no more than 2 of
 * the threadpool's 4 threads (files use them too). More wait in line.
 */
const VERIFYING_MAX = Math.max(1, Math.min(2, Math.floor(availableParallelism() / 2)));
const WAITING_MAX = 64;

/** The key derivation: Node's scrypt (N=16384, r=8, p=1) on the threadpool. Injectable to count the work. */
export type Kdf = (password: string, salt: Buffer, keyLength: number) => Promise<Buffer>;

export const scryptKdf: Kdf = (password, salt, keyLength) =>
  new Promise((resolve, reject) => scrypt(password, salt, keyLength, (err, key) => (err ? reject(err) : resolve(key))));

/** `scrypt$<salt base64>$<key base64>` of a password (N=16384, r=8, p=1: Node's defaults). Synchronous: for the CLI. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, KEY_LENGTH).toString('base64')}`;
}

/** The hash of a random password nobody knows: unknown user names are checked against it. */
const DUMMY_HASH = 'scrypt$i+DCSFgakQaOtfNdpXqfnw==$Gn30HB13yVwIDPnLfoOODMcMRpzlcotccbeqTcQTy+8=';

function parseHash(hash: string): { salt: Buffer; key: Buffer } | undefined {
  const [scheme, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return undefined;
  const want = Buffer.from(key, 'base64');
  return want.length === KEY_LENGTH ? { salt: Buffer.from(salt, 'base64'), key: want } : undefined;
}

/** Whether `password` matches `hash`. A malformed hash fails, after the same work as a well-formed one. */
export async function verifyPassword(password: string, hash: string, kdf: Kdf = scryptKdf): Promise<boolean> {
  const parsed = parseHash(hash);
  const { salt, key } = parsed ?? parseHash(DUMMY_HASH)!;
  const derived = await kdf(password, salt, KEY_LENGTH);
  return parsed !== undefined && timingSafeEqual(derived, key);
}

/**
 * Failures per key in fixed windows that start at a key's first failure. Windows all have the same
 * length, so the Map's insertion order is also the order they end in: the expired ones are at its front.
 */
export class FailureCounter {
  private readonly entries = new Map<string, { count: number; endsMs: number }>();

  constructor(
    private readonly allowed = FAILURES_ALLOWED,
    private readonly windowMs = FAILURE_WINDOW_MS,
    private readonly maxKeys = FAILURE_KEYS_MAX,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Milliseconds until `key` may try again; 0: it may now. */
  waitMs(key: string, nowMs: number): number {
    const e = this.entries.get(key);
    return e && e.endsMs > nowMs && e.count >= this.allowed ? e.endsMs - nowMs : 0;
  }

  /** Counts a failure (or an attempt still being checked) for `key`. */
  add(key: string, nowMs: number): void {
    let e = this.entries.get(key);
    if (!e || e.endsMs <= nowMs) {
      this.entries.delete(key);
      this.makeRoom(nowMs);
      e = { count: 0, endsMs: nowMs + this.windowMs };
      this.entries.set(key, e);
    }
    e.count++;
  }

  /** Takes back one counted attempt that turned out to be a success. */
  forgive(key: string): void {
    const e = this.entries.get(key);
    if (e && --e.count <= 0) this.entries.delete(key);
  }

  private makeRoom(nowMs: number): void {
    for (const [key, e] of this.entries) {
      // Full of live windows: the oldest is dropped (its key gets a fresh window): memory stays bounded.
      if (this.entries.size < this.maxKeys && e.endsMs > nowMs) return;
      this.entries.delete(key);
    }
  }
}

/** At most `max` tasks at once, `maxWaiting` in line; `undefined` when the line is full. */
function gate(max: number, maxWaiting: number): <T>(task: () => Promise<T>) => Promise<T | undefined> {
  let running = 0;
  const line: Array<() => void> = [];
  return async (task) => {
    if (running >= max) {
      if (line.length >= maxWaiting) return undefined;
      await new Promise<void>((r) => line.push(r));
    } else running++;
    try {
      return await task();
    } finally {
      const nextInLine = line.shift();
      if (nextInLine) nextInLine();
      else running--;
    }
  };
}

export interface LoginConfig {
  realm: string;
  users: ReadonlyArray<{ name: string; password_hash: string }>;
}

export interface LoginOptions {
  /** Clock in ms; default `Date.now`. */
  now?: () => number;
  /** Key derivation; default `scryptKdf`. */
  kdf?: Kdf;
}

/** Paths never behind the login: agents (bearer tokens), Prometheus and health checks. */
const OPEN = new Set(['/api/v1/write', '/metrics', '/healthz']);

/** User name and password of a `Basic` header; undefined for anything else. */
export function basicCredentials(header: string): { user: string; password: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 ? { user: text.slice(0, colon), password: text.slice(colon + 1) } : undefined;
}

export function loginMiddleware(cfg: LoginConfig, opts: LoginOptions = {}): (req: Request, res: Response, next: NextFunction) => void {
  const now = opts.now ?? Date.now;
  const kdf = opts.kdf ?? scryptKdf;
  const remembered = new Map<string, number>();
  const failures = new FailureCounter();
  const verifying = gate(VERIFYING_MAX, WAITING_MAX);
  const users = new Map(cfg.users.map((u) => [u.name, u.password_hash]));
  const deny = (res: Response): void =>
    void res
      .status(401)
      .set('www-authenticate', `Basic realm="${cfg.realm.replace(/"/g, '')}", charset="UTF-8"`)
      .type('text/plain')
      .send('login required\n');
  const later = (res: Response, waitMs: number, text: string): void =>
    void res
      .status(429)
      .set('retry-after', String(Math.ceil(waitMs / 1000)))
      .type('text/plain')
      .send(text);

  return (req, res, next) => {
    if (OPEN.has(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const header = req.get('authorization') ?? '';
    const digest = createHash('sha256').update(header).digest('hex');
    const until = remembered.get(digest);
    if (until !== undefined && until > now()) return next();
    const creds = basicCredentials(header);
    if (!creds) return deny(res);
    const keys = [`addr:${req.socket.remoteAddress ?? ''}`, `user:${creds.user}`];
    const waitMs = Math.max(...keys.map((k) => failures.waitMs(k, now())));
    if (waitMs > 0) return later(res, waitMs, 'too many failed logins, try again later\n');
    // Counted before the check, so parallel tries cannot run more scrypt than the limit allows.
    for (const k of keys) failures.add(k, now());
    const hash = users.get(creds.user);
    verifying(() => verifyPassword(creds.password, hash ?? DUMMY_HASH, kdf)).then((ok) => {
      if (ok === undefined) return later(res, 1000, 'too many logins being checked, try again\n');
      if (!ok || hash === undefined) return deny(res);
      for (const k of keys) failures.forgive(k);
      if (remembered.size >= REMEMBERED_MAX) remembered.clear();
      remembered.set(digest, now() + REMEMBER_MS);
      next();
    }, next);
  };
}
