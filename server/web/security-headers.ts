/**
 * Security headers on every response of the server (page, API, metrics): the page is served with a
 * Content-Security-Policy, and nothing it serves may be framed, sniffed or leak its URL to other sites.
 */
import type { NextFunction, Request, Response } from 'express';

export function securityHeaders(): (req: Request, res: Response, next: NextFunction) => void {
  return (_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
}
