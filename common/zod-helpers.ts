import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';

/** A duration string (`500ms`, `30s`, `5m`, `1h30m`) parsed to milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${text}" (use e.g. 500ms, 30s, 5m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

export { formatDuration };

/** Prometheus label name rules. */
export const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)');

/** Identifiers used as label values (check ids, line names, center ids): short, no spaces. */
export const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'must be lower-case letters, digits, ".", "_" or "-" (at most 63, starting with a letter or digit)');
