/**
 * JSON lines on stderr through pino: one object per event with `time` (ISO 8601), `level` (its
 * name), `msg` and the fields. Fields never include secrets (callers pass ids and codes only).
 */
import pino, { type DestinationStream } from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
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
