import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCK = 'LOCK';

/** One process owns a WAL directory; a lock left by a killed process (its pid gone) is taken over. */
export function takeLock(dir: string): void {
  const file = join(dir, LOCK);
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return;
  } catch {
    // exists: see whether its owner is alive
  }
  const owner = Number(readFileSync(file, 'utf8').trim());
  if (owner && owner !== process.pid && alive(owner)) {
    throw new Error(`wal: ${dir} is in use by process ${owner}`);
  }
  writeFileSync(file, String(process.pid));
}

export function releaseLock(dir: string): void {
  rmSync(join(dir, LOCK), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
