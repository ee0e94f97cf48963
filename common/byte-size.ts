import { z } from 'zod';

const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 };

/** Parses "64MiB", "1.5GB", "4096" into bytes; undefined when unreadable. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2] ?? ''];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** A size in bytes: a number, or a string with a unit (B, KB, MB, GB, KiB, MiB, GiB). */
export const byteSize = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseByteSize(v);
  if (n === undefined || n <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a size such as 64MiB or a number of bytes' });
    return z.NEVER;
  }
  return n;
});
