import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { parseCursors, serializeCursors, type Cursor } from './cursor.js';
import { writeFileAtomic } from './files.js';

const CURSORS_FILE = 'cursors.json';

/** The cursors saved in `dir`; none on a first start, none (with a warn line) if the file is damaged. */
export function readCursorsFile(dir: string, log: Logger): Map<string, Cursor> {
  const file = join(dir, CURSORS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Map(); // first start: every record is pending
  }
  const saved = parseCursors(text);
  // Losing the cursors re-sends what is held (at-least-once); it never loses a record.
  if (saved.size === 0) log.warn('wal: cursors file unreadable; every record held will be sent again', { file });
  return saved;
}

/** Saves the cursors atomically (temp file, fsync, rename): a crash leaves the old or the new ones. */
export function writeCursorsFile(dir: string, cursors: Map<string, Cursor>): void {
  writeFileAtomic(join(dir, CURSORS_FILE), serializeCursors(cursors));
}
