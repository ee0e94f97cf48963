import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isNoSpace, nodeIo, writeFully, type WalIo } from './files.js';

const LOCK = 'LOCK';
/** Directories this process holds: a second open here would interleave two writers in one file. */
const held = new Set<string>();

/**
 * One process owns a WAL directory. The lock file holds "pid starttime" (Linux: the process start time
 * from /proc, so a pid reused after a reboot or a kill by an unrelated process is not mistaken for the
 * owner). A lock whose owner is gone is taken over. Throws only when a live owner holds it.
 */
export function takeLock(dir: string, io: WalIo = nodeIo): void {
  if (held.has(resolve(dir))) throw new Error(`wal: ${dir} is already open in this process`);
  const file = join(dir, LOCK);
  const mine = `${process.pid} ${startTime(process.pid) ?? ''}`.trim();
  try {
    writeLock(file, mine, 'wx', io);
    held.add(resolve(dir));
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let owner = '';
  try {
    owner = readFileSync(file, 'utf8');
  } catch {
    // unreadable or vanished: treat as stale
  }
  const [pidText, started] = owner.trim().split(/\s+/);
  const pid = Number(pidText);
  // Our own pid in a lock we do not hold: left by an earlier process that had the same pid (a container's pid 1).
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && ownerAlive(pid, started)) {
    throw new Error(`wal: ${dir} is in use by process ${pid} (lock file ${file})`);
  }
  writeLock(file, mine, 'w', io);
  held.add(resolve(dir));
}

/**
 * Creates the lock file and writes the owner into it. On a full disk the file stays empty rather than
 * keeping the WAL (whose first job is then to free space) from opening; an empty lock reads as stale.
 */
function writeLock(file: string, owner: string, flag: 'wx' | 'w', io: WalIo): void {
  const fd = openSync(file, flag, 0o644);
  try {
    writeFully(io, fd, Buffer.from(owner), 0);
  } catch (err) {
    if (!isNoSpace(err)) throw err;
  } finally {
    closeSync(fd);
  }
}

export function releaseLock(dir: string): void {
  held.delete(resolve(dir));
  rmSync(join(dir, LOCK), { force: true });
}

function ownerAlive(pid: number, started: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Alive: the same process only if it started when the lock says (when both are known).
  const now = startTime(pid);
  return started === undefined || now === undefined || now === started;
}

/**
 * Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined.
 * Windows has no /proc (a path `/proc/…` would name a folder on the current drive): there the lock
 * holds the pid alone and liveness is `process.kill(pid, 0)`, which Node answers with OpenProcess.
 */
function startTime(pid: number): string | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
