import { readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { listSegments, walIoError } from './files.js';
import { scanSegment } from './scan.js';
import type { SegmentIndex } from './segment-index.js';

export interface Loaded {
  segments: SegmentIndex[];
  /** First seq named by the newest segment file (it may be empty). */
  lastNamedSeq: number | undefined;
  corruptSkipped: number;
}

/**
 * Indexes every segment of `dir`, oldest first. A torn or corrupt record in the last segment is a write
 * cut short (kill, power cut): the file is cut there. In an older segment it is damage: the rest of that
 * segment is skipped and the next segment read. One warn line names file and offset either way. Empty
 * old segments are deleted. Throws only when a file cannot be read or cut.
 */
export function loadSegments(dir: string, log: Logger): Loaded {
  const names = listSegments(dir);
  const segments: SegmentIndex[] = [];
  let corruptSkipped = 0;
  names.forEach(({ name, firstSeq }, n) => {
    const isLast = n === names.length - 1;
    const file = join(dir, name);
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (err) {
      throw walIoError('read segment', file, err);
    }
    const { index, problem } = scanSegment(buf, firstSeq, file, segments.at(-1)?.lastSeq() ?? 0);
    if (problem) {
      corruptSkipped++;
      const fields = { file, offset: problem.offset, why: problem.why, bytes_after: buf.length - problem.offset };
      if (isLast) {
        log.warn('wal: cut a torn or corrupt tail (power cut or kill during a write)', fields);
        try {
          truncateSync(file, problem.offset);
        } catch (err) {
          throw walIoError('cut the torn tail of', file, err);
        }
      } else {
        log.warn('wal: corrupt record in an old segment; the rest of that segment is skipped', fields);
      }
    }
    // An old segment keeps its skipped bytes on disk until it is dropped: count them against the bound.
    if (!isLast) index.bytes = buf.length;
    if (index.length === 0 && !isLast) {
      rmSync(file, { force: true });
      return;
    }
    segments.push(index);
  });
  return { segments, lastNamedSeq: names.at(-1)?.firstSeq, corruptSkipped };
}
