/**
 * How an enrolled agent writes its files: owner-only (0600 on Linux; on Windows the folder's ACL, set by
 * `service install`, admits the service and administrators only) and atomically, a temp file in the same
 * folder renamed over the old one, so a crash or a full disk leaves the old file whole.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchownSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Mode of every file the agent writes for itself: it holds a token, or names one. */
export const OWNER_ONLY = 0o600;

/** Options for a written file. */
export interface WriteOptions {
  /**
   * Give the file to this owner (uid, gid). Default: when running as root, the owner of the folder, so
   * `sudo centerwatch-agent enroll` leaves files the `centerwatch` service user can read and replace.
   */
  owner?: { uid: number; gid: number };
}

/** A written temp file beside its destination, not yet in place. */
export interface StagedFile {
  /** The temp file's path (same folder as the destination: relative paths in it resolve alike). */
  readonly path: string;
  /** Renames it over the destination. */
  commit(): void;
  /** Removes it. */
  discard(): void;
}

/** Writes `text` to a new owner-only temp file beside `file`, flushed to disk. */
export function stageFile(file: string, text: string, options: WriteOptions = {}): StagedFile {
  const dir = dirname(file);
  const path = join(dir, `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  // O_EXCL: never follow or reuse a file someone placed there.
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, OWNER_ONLY);
  let written = false;
  try {
    const owner = options.owner ?? rootOwnerOf(dir);
    if (owner) fchownSync(fd, owner.uid, owner.gid);
    writeSync(fd, text);
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) rmSync(path, { force: true });
  }
  return {
    path,
    commit() {
      renameSync(path, file);
      syncDir(dir);
    },
    discard() {
      rmSync(path, { force: true });
    },
  };
}

/** Writes `file` atomically, owner-only. */
export function writeFileAtomic(file: string, text: string, options: WriteOptions = {}): void {
  stageFile(file, text, options).commit();
}

/** The folder's owner when this process is root (a file root writes for a service user), else undefined. */
function rootOwnerOf(dir: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const st = statSync(dir);
  return st.uid === 0 && st.gid === 0 ? undefined : { uid: st.uid, gid: st.gid };
}

/** Makes a rename durable (the folder's entry); Windows cannot open a folder for that, nor needs to. */
function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a folder; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Whether this process can create files in `dir`: said before enrolling, since a code is spent once and
 * a token that cannot be written is lost. Undefined when it can, else why not.
 */
export function writableDirProblem(dir: string): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
  } catch {
    return `the folder ${dir} does not exist`;
  }
  try {
    stageFile(join(dir, 'probe'), '').discard();
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `cannot write in ${dir}${code === 'EACCES' || code === 'EPERM' ? ' (permission denied: run as root / an administrator)' : code ? ` (${code})` : ''}`;
  }
}
