/**
 * Security headers on every response of the server (page, API, metrics, errors): nothing it serves may
 * be framed, sniffed or leak its URL to other sites, and the page runs only its own inline script and
 * style, named by their sha256 hashes (they are constants, so the hashes are computed once).
 */
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { CLIENT_SCRIPT, STYLE } from './assets.js';

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page's policy: its one script and its one style element, by hash (not the JSON data island, which
 * is not run); `connect-src 'self'` for the live updates (server-sent events) and the center page's
 * refetch; nothing else may load. The same header on every response: it allows nothing a JSON or text
 * answer could use, so one policy for all is as tight as one per kind.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(CLIENT_SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** A year of HTTPS only, once the browser has seen it over HTTPS (RFC 6797: ignored over plain HTTP). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

/** @param https whether the server speaks TLS itself: then browsers are told to use nothing else. */
export function securityHeaders(https = false): (req: Request, res: Response, next: NextFunction) => void {
  return (_req, res, next) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (https) res.setHeader('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
    next();
  };
}
