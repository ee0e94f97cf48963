/**
 * Optional login for the readiness page and the API's reads (`web.login`): HTTP Basic over HTTPS, users
 * with scrypt password hashes (`centerwatch-server password` makes one). Read-only: writes keep their
 * bearer tokens. A verified header is remembered for a few minutes, so scrypt (tens of ms of CPU, on
 * purpose) runs once per user, not per request.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const KEY_LENGTH = 32;
const REMEMBER_MS = 5 * 60_000;
const REMEMBERED_MAX = 1000;

/** `scrypt$<salt base64>$<key base64>` of a password (N=16384, r=8, p=1: Node's defaults). */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, KEY_LENGTH).toString('base64')}`;
}

export function verifyPassword(password: string, hash: string): boolean {
  const [scheme, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64');
  if (want.length !== KEY_LENGTH) return false;
  return timingSafeEqual(scryptSync(password, Buffer.from(salt, 'base64'), KEY_LENGTH), want);
}

export interface LoginConfig {
  realm: string;
  users: ReadonlyArray<{ name: string; password_hash: string }>;
}

/** Paths never behind the login: agents (bearer tokens), Prometheus and health checks. */
const OPEN = new Set(['/api/v1/write', '/metrics', '/healthz']);

export function loginMiddleware(cfg: LoginConfig, now: () => number = Date.now): (req: Request, res: Response, next: NextFunction) => void {
  const remembered = new Map<string, number>();
  return (req, res, next) => {
    if (OPEN.has(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const header = req.get('authorization') ?? '';
    const digest = createHash('sha256').update(header).digest('hex');
    const until = remembered.get(digest);
    if (until !== undefined && until > now()) return next();
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    if (m) {
      const text = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      const user = cfg.users.find((u) => u.name === text.slice(0, colon));
      if (colon > 0 && user && verifyPassword(text.slice(colon + 1), user.password_hash)) {
        if (remembered.size >= REMEMBERED_MAX) remembered.clear();
        remembered.set(digest, now() + REMEMBER_MS);
        return next();
      }
    }
    res.status(401).set('www-authenticate', `Basic realm="${cfg.realm.replace(/"/g, '')}", charset="UTF-8"`).type('text/plain').send('login required\n');
  };
}
