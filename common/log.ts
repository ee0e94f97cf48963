/**
 * JSON lines on stderr through pino: one object per event with `time` (ISO 8601), `level` (its
 * name), `msg` and the fields. Callers pass ids and codes, but text from elsewhere reaches the fields
 * too (an upstream's error body, an exception message) and may repeat a credential: every line is
 * redacted on its way out (see `redactLine`).
 */
import pino, { type DestinationStream } from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const REDACTED = '[REDACTED]';

/** Shorter values are not registered: they would blank out ordinary words and numbers. */
const MIN_SECRET_LENGTH = 4;
// Secrets are the process's (config files, environment): one set for every logger of the process.
const secrets = new Set<string>();
let secretPattern: RegExp | undefined;

/**
 * Registers a secret (a token, a password, an API key from the config): from now on it is replaced by
 * `[REDACTED]` in every line of every logger. Config loading registers what it resolves; a remote_write
 * shipper registers its target's bearer token.
 */
export function registerSecret(value: string): void {
  if (value.length < MIN_SECRET_LENGTH) return;
  // A log line holds strings JSON-escaped: match the secret as it is written there.
  const escaped = JSON.stringify(value).slice(1, -1);
  if (secrets.has(escaped)) return;
  secrets.add(escaped);
  const alternatives = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  secretPattern = new RegExp(alternatives.join('|'), 'g');
}

// Credentials in text, wherever they come from: `Authorization: Bearer x`, `Basic x`, `token=x`,
// `"password":"x"` in an echoed JSON body (written escaped inside a log string: \"password\":\"x\").
const SCHEME = /\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi;
const KEY_VALUE =
  /\b([A-Za-z0-9_-]*(?:token|password|passwd|secret|api[_-]?key|apikey)[A-Za-z0-9_-]*)(\\?["']?\s*[=:]\s*\\?["']?)(?!\[REDACTED\])[^\s"'&,;\\]+/gi;
/** Fields whose value is a credential by name (never a token's id: `token` alone names one in logs). */
const SECRET_FIELD = /^(?:[a-z0-9]+[_-])*(?:password|passwd|secret|api_?key|apikey|authorization|bearer_token|access_token|refresh_token|secret_key)$/i;

/** The text of one JSON string (still escaped) with secrets and credential-looking values replaced. */
export function redactText(text: string): string {
  let out = secretPattern ? text.replace(secretPattern, REDACTED) : text;
  out = out.replace(SCHEME, `$1$2${REDACTED}`);
  return out.replace(KEY_VALUE, `$1$2${REDACTED}`);
}

const JSON_STRING = /"((?:[^"\\]|\\.)*)"(\s*:)?/g;

/**
 * Redacts one serialized JSON line: only inside its strings (the line stays valid JSON), and the whole
 * value of a field named like a credential (`password`, `api_key`, `authorization`, …).
 */
export function redactLine(line: string): string {
  let secretField = false;
  return line.replace(JSON_STRING, (whole, inner: string, colon: string | undefined) => {
    if (colon) {
      secretField = SECRET_FIELD.test(inner);
      return whole;
    }
    const out = secretField ? REDACTED : redactText(inner);
    secretField = false;
    return out === inner ? whole : `"${out}"`;
  });
}

// Synchronous: a line is on stderr when the call returns, so a crash or process.exit() right
// after loses nothing, and a test reading the child's stderr sees every line. One for the process.
let stderr: DestinationStream | undefined;
const toStderr = (): DestinationStream => (stderr ??= pino.destination({ fd: 2, sync: true }));

/**
 * A logger at `level` whose every line carries `base`. `write` receives each line (with its
 * newline) instead of stderr: tests capture lines with it.
 */
export function createLogger(level: Level = 'info', base: Record<string, unknown> = {}, write?: (line: string) => void): Logger {
  const p = pino(
    {
      level,
      messageKey: 'msg',
      // No pid/hostname: the agent and center ids say where a line comes from. `base` goes into
      // each call's object instead, so a field of the same name replaces it (one key, not two).
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: redactLine },
    },
    write ? { write } : toStderr(),
  );
  const at =
    (lvl: Level) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      p[lvl](fields ? { ...base, ...fields } : base, msg);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
