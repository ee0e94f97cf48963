import { closeSync, fsyncSync, openSync, readdirSync, readSync, renameSync, rmSync, statfsSync, writeSync } from 'node:fs';

/**
 * The one call through which the WAL writes bytes (segments, cursors, lock): a positional write that
 * may write fewer bytes than asked (a filling disk does that). Tests replace it to cut writes short.
 */
export interface WalIo {
  writeAt(fd: number, buf: Uint8Array, position: number): number;
}

export const nodeIo: WalIo = { writeAt: (fd, buf, position) => writeSync(fd, buf, 0, buf.byteLength, position) };

/**
 * Writes all of `buf` at `position`, retrying the rest after a short write; a write that makes no
 * progress fails with code ENOSPC (a regular file only comes up short when the disk is full).
 */
export function writeFully(io: WalIo, fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.byteLength) {
    const n = io.writeAt(fd, buf.subarray(done), position + done);
    if (n <= 0) throw Object.assign(new Error(`short write: ${done} of ${buf.byteLength} bytes`), { code: 'ENOSPC' });
    done += n;
  }
}

/** Whether an I/O error means the disk (or the user's quota) is full: room can be made by dropping data. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Size of the filesystem holding `dir` in bytes, or undefined when it cannot be read. */
export function diskBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bsize * s.blocks;
  } catch {
    return undefined;
  }
}

const SEGMENT_NAME = /^(\d{16})\.seg$/;

/** A segment file is named by the seq of its first record, zero-padded so names sort by seq. */
export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}.seg`;
}

/** The segment files of a directory, oldest first; other files (cursors, lock, strays) are ignored. */
export function listSegments(dir: string): { name: string; firstSeq: number }[] {
  return readdirSync(dir)
    .map((name) => ({ name, m: SEGMENT_NAME.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ name: x.name, firstSeq: Number(x.m[1]) }))
    .sort((a, b) => a.firstSeq - b.firstSeq);
}

/**
 * Makes a file creation, deletion or rename in `dir` durable. Windows cannot open a directory as a
 * file (openSync fails with EISDIR/EPERM) and has no directory fsync: NTFS journals its metadata
 * itself, so there is nothing to do there.
 */
export function syncDir(dir: string, platform: NodeJS.Platform = process.platform): void {
  if (platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces a file so that a crash leaves either the old or the new content: temp file, fsync, rename.
 * A failed or short write removes the temp file (it would hold space on a full disk) and throws.
 */
export function writeFileAtomic(file: string, data: Uint8Array, io: WalIo = nodeIo): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFully(io, fd, data, 0);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameReplacing(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Error codes with which Windows refuses to replace a file that another process holds open. */
const HELD_OPEN = new Set(['EPERM', 'EACCES', 'EBUSY']);

/** How `renameReplacing` retries; tests pass their own rename and sleep. */
export interface RenameRetry {
  rename?: (from: string, to: string) => void;
  sleep?: (ms: number) => void;
  /** Waits between attempts in ms; one attempt more than waits. Default 10, 20, 40, 80, 160 (≈ 0.3 s in all). */
  backoffMs?: readonly number[];
  platform?: NodeJS.Platform;
}

const BACKOFF_MS = [10, 20, 40, 80, 160] as const;

/**
 * Renames `from` over `to`. On Windows a rename over a file that another process (an antivirus scan,
 * a backup, an editor, `type`) holds open without FILE_SHARE_DELETE fails with EPERM, EACCES or
 * EBUSY until that handle closes; such holders are brief, so the rename is retried with a short
 * bounded backoff, then fails saying so (with the last error as cause). Linux replaces the name
 * whoever holds the old file: there the first error is final, as before.
 */
export function renameReplacing(from: string, to: string, retry: RenameRetry = {}): void {
  const rename = retry.rename ?? renameSync;
  const waits = (retry.platform ?? process.platform) === 'win32' ? (retry.backoffMs ?? BACKOFF_MS) : [];
  for (let attempt = 0; ; attempt++) {
    try {
      rename(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!HELD_OPEN.has(code)) throw err;
      const wait = waits[attempt];
      if (wait === undefined) {
        if (waits.length === 0) throw err;
        throw Object.assign(new Error(`cannot replace ${to}: another process holds it open (${code}, ${attempt + 1} attempts over ${sum(waits)} ms)`), {
          code,
          cause: err,
        });
      }
      (retry.sleep ?? sleepSync)(wait);
    }
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Blocks the thread for `ms`: the WAL's writes are synchronous, and the waits are a few ms each. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** An I/O failure the WAL cannot work around, with what it was doing and where. */
export function walIoError(what: string, path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return new Error(`wal: cannot ${what} ${path}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '), { cause: err });
}

/** Read handles of segment files, opened on first read and kept until the segment is dropped. */
export class SegmentReader {
  private readonly fds = new Map<string, number>();

  read(file: string, offset: number, length: number): Buffer {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      fd = openSync(file, 'r');
      this.fds.set(file, fd);
    }
    const buf = Buffer.allocUnsafe(length);
    const got = readSync(fd, buf, 0, length, offset);
    if (got !== length) throw new Error(`wal: ${file} is shorter than its index (${got} of ${length} bytes at ${offset})`);
    return buf;
  }

  forget(file: string): void {
    const fd = this.fds.get(file);
    if (fd !== undefined) closeSync(fd);
    this.fds.delete(file);
  }

  closeAll(): void {
    for (const file of [...this.fds.keys()]) this.forget(file);
  }
}
