/**
 * E-mail over SMTP (nodemailer): subject = headline, a plain-text part and an HTML part in which
 * every piece of user text is escaped. `send` honours its signal for real: the SMTP socket is ours
 * (`getSocket`), so an abort destroys it instead of leaving a session open until some idle timeout.
 * Credentials stay in the transport; a result carries only a reason and an SMTP reply code.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { z } from 'zod';
import type { AlertEvent, Lang } from './event.js';
import type { NotifierDefinition, RouteContext, SendResult } from './notifier.js';
import { escapeMarkup, messageParts, plainText } from './text.js';

const options = z
  .object({
    /** SMTP server host name (checked against its certificate when TLS is used). */
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** Implicit TLS (port 465). */
    secure: z.boolean().default(false),
    /** `required` fails rather than send in clear text; `opportunistic` upgrades whenever the server offers it. Ignored when `secure`. */
    starttls: z.enum(['required', 'opportunistic']).default('opportunistic'),
    /** SMTP AUTH user; no AUTH when absent. */
    user: z.string().optional(),
    /** SMTP AUTH password (a secret: `password_file` or `${ENV}`). */
    password: z.string().optional(),
    /** Sender, e.g. `"Centerwatch" <canhbao@example.gov.vn>`. */
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    /** PEM CA bundle to trust (a private CA). */
    ca_file: z.string().optional(),
  })
  .strict();

export interface EmailOptions {
  /** SMTP server host name (checked against its certificate when TLS is used). */
  host: string;
  port: number;
  /** Implicit TLS from the first byte (usually port 465). Default false. */
  secure?: boolean;
  /**
   * STARTTLS on a plain connection: `'required'` fails rather than send in clear text;
   * `'opportunistic'` (default) upgrades whenever the server offers it. Ignored when `secure`.
   */
  starttls?: 'required' | 'opportunistic';
  /** SMTP AUTH user; no AUTH when absent. */
  user?: string;
  /** SMTP AUTH password (a secret: read it from a file or the environment). */
  pass?: string;
  /** Sender, e.g. `"Centerwatch" <canhbao@example.gov.vn>`. */
  from: string;
  to: string[];
  /** PEM text of a private CA that signed the server's certificate. Default: the system's CAs. */
  ca?: string;
  /** Limit for connecting, the greeting and each reply, in ms. Default 30 000. */
  timeoutMs?: number;
}

export interface EmailPayload {
  subject: string;
  text: string;
  html: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** For text and attribute values alike: quotes matter inside `href="…"`. */
const escapeHtml = (s: string): string => escapeMarkup(s).replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export function emailHtml(e: AlertEvent, lang: Lang): string {
  const p = messageParts(e, lang);
  const lines = [`<!doctype html>`, `<html lang="${lang}"><body>`, `<p><strong>${escapeHtml(p.headline)}</strong></p>`];
  if (p.runbook) lines.push(`<p>${escapeHtml(p.runbook)}</p>`);
  lines.push(`<p><a href="${escapeHtml(p.url)}">${escapeHtml(p.linkLabel)}</a></p>`, `</body></html>`);
  return lines.join('\n');
}

/** Without a reply code the error says what failed locally; these will fail the same way next time. */
const FINAL_CODES = new Set(['EAUTH', 'EENVELOPE', 'EMESSAGE', 'EREQUIRETLS']);

/**
 * SMTP replies are reported as `reason: 'http_status'` with `status` = the SMTP reply code: the
 * closed set of reasons has no SMTP member, and the rule is the same as for HTTP (4xx transient and
 * worth a retry, 5xx permanent, e.g. 550 mailbox unavailable, 535 authentication failed).
 * Branches on nodemailer's `code` and `responseCode` fields, never on error text.
 */
export function classifySmtpError(err: unknown): Extract<SendResult, { ok: false }> {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown };
  if (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 600) {
    return { ok: false, retryable: e.responseCode < 500, status: e.responseCode, reason: 'http_status' };
  }
  if (e.code === 'ETIMEDOUT') return { ok: false, retryable: true, reason: 'timeout' };
  if (typeof e.code === 'string' && FINAL_CODES.has(e.code)) return { ok: false, retryable: false, reason: 'network' };
  // Refused, reset, DNS, TLS handshake (a bad certificate looks like this too), connection closed.
  return { ok: false, retryable: true, reason: 'network' };
}

const TIMEOUT: SendResult = { ok: false, retryable: true, reason: 'timeout' };

function readCa(file: string, ctx: RouteContext): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${ctx.path}.ca_file: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
}

export const email: NotifierDefinition<typeof options, EmailOptions, EmailPayload> = {
  channel: 'email',
  options,
  secretKeys: ['password'],
  pathKeys: ['ca_file'],
  toOptions: (o, ctx) => ({
    host: o.host,
    port: o.port,
    secure: o.secure,
    starttls: o.starttls,
    from: o.from,
    to: o.to,
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.password !== undefined ? { pass: o.password } : {}),
    ...(o.ca_file ? { ca: readCa(o.ca_file, ctx) } : {}),
  }),
  format: (e, _o, lang) => ({ subject: messageParts(e, lang).headline, text: plainText(e, lang), html: emailHtml(e, lang) }),
  send: (payload, o, signal) =>
    new Promise<SendResult>((resolve) => {
      if (signal.aborted) return resolve(TIMEOUT);
      const sockets = new Set<Socket>();
      const timeout = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const options: SMTPTransport.Options = {
        host: o.host,
        port: o.port,
        secure: o.secure ?? false,
        requireTLS: !o.secure && o.starttls === 'required',
        auth: o.user !== undefined ? { user: o.user, pass: o.pass ?? '' } : undefined,
        tls: o.ca ? { ca: o.ca } : undefined,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        logger: false,
        // The payload is ours, but nothing in a message should make the server read files or fetch URLs.
        disableFileAccess: true,
        disableUrlAccess: true,
        // Our own socket, so an abort can destroy it (TLS, implicit or STARTTLS, is layered on top).
        getSocket: (_opts, done) => {
          const sock = connect({ host: o.host, port: o.port });
          sockets.add(sock);
          let settled = false;
          const settle = (err: Error | null) => {
            if (settled) return;
            settled = true;
            done(err, err ? undefined : { connection: sock });
          };
          sock.once('error', settle);
          // Destroyed by an abort before connecting: settle nodemailer's callback so nothing dangles.
          sock.once('close', () => settle(Object.assign(new Error('aborted'), { code: 'ETIMEDOUT' })));
          sock.once('connect', () => settle(null));
        },
      };
      const transport = createTransport(options);
      const onAbort = () => {
        for (const s of sockets) s.destroy();
        transport.close();
        resolve(TIMEOUT);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      transport
        .sendMail({ from: o.from, to: o.to, subject: payload.subject, text: payload.text, html: payload.html })
        .then(
          () => resolve({ ok: true }),
          (err: unknown) => resolve(signal.aborted ? TIMEOUT : classifySmtpError(err)),
        )
        .finally(() => {
          signal.removeEventListener('abort', onAbort);
          transport.close();
        });
    }),
};
