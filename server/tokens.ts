import { createHash, randomBytes } from 'node:crypto';
import type { TokenConfig } from './config/schema.js';

/** Who a request speaks for, decided by its token alone. */
export interface Identity {
  tokenId: string;
  province: string;
  center: string;
  /** Set for a per-agent token; undefined for a per-center token. */
  agent: string | undefined;
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Tokens are looked up by their SHA-256: the server never holds a token, and comparing digests of the
 * presented value leaks nothing about a stored token through timing (the lookup key is a hash the
 * attacker cannot steer toward a stored one).
 */
export class TokenIndex {
  private readonly byHash = new Map<string, Identity>();

  constructor(tokens: readonly TokenConfig[]) {
    for (const t of tokens) this.byHash.set(t.sha256, { tokenId: t.id, province: t.province, center: t.center, agent: t.agent });
  }

  /** The identity for an `Authorization` header value, or undefined. */
  authenticate(header: string | undefined): Identity | undefined {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
    return m ? this.byHash.get(sha256Hex(m[1]!)) : undefined;
  }

  get size(): number {
    return this.byHash.size;
  }
}

/** A new random token and the config line that enrols it (the token is shown once, only its hash is stored). */
export function newToken(): { token: string; sha256: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, sha256: sha256Hex(token) };
}
