/**
 * Native add-ons embedded in the packaged single-file agent (packaging/package.mjs puts each target's
 * `.node` files into the executable as SEA assets). A shared library can only be loaded from a file,
 * so each is written once to a per-user cache directory under a name holding its content hash: two
 * versions of the agent never clash, and a file already there is used only when its bytes hash to
 * its name. A directory that is read-only, not ours or writable by others is skipped for the next.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * Where extracted add-ons may go, best first: `CENTERWATCH_NATIVE_DIR`; systemd's `CACHE_DIRECTORY`
 * and `STATE_DIRECTORY` (writable even under ProtectSystem=strict); `%LOCALAPPDATA%` on Windows;
 * `$XDG_CACHE_HOME` or `~/.cache`; last the temp directory, in a subdirectory named for the user.
 */
export function nativeCacheDirs(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const dirs: string[] = [];
  const add = (base: string | undefined, ...rest: string[]): void => {
    if (base) dirs.push(join(base, ...rest));
  };
  add(env.CENTERWATCH_NATIVE_DIR);
  for (const d of (env.CACHE_DIRECTORY ?? '').split(':')) add(d, 'native');
  for (const d of (env.STATE_DIRECTORY ?? '').split(':')) add(d, 'native');
  if (platform === 'win32') add(env.LOCALAPPDATA, 'centerwatch', 'native');
  else {
    add(env.XDG_CACHE_HOME, 'centerwatch', 'native');
    let home: string | undefined;
    try {
      home = homedir();
    } catch {
      // no home directory for this user
    }
    add(home, '.cache', 'centerwatch', 'native');
  }
  let user = 'user';
  try {
    user = platform === 'win32' ? userInfo().username : String(userInfo().uid);
  } catch {
    // keep the generic name
  }
  add(tmpdir(), `centerwatch-native-${user}`);
  return [...new Set(dirs)];
}

/** A directory we may trust with code: ours (on POSIX) and writable by nobody else. */
function usableDir(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) return false;
  if (process.platform === 'win32') return true;
  return st.uid === process.getuid!() && (st.mode & 0o022) === 0;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The path of a file holding `bytes` as `<name>-<sha256 prefix>.node` in the first usable directory
 * of `dirs`, written there (atomically, by rename) unless a file with the same content already is.
 * Throws when no directory can hold it, naming each and why.
 */
export function extractAddon(name: string, bytes: Uint8Array, dirs: readonly string[] = nativeCacheDirs()): string {
  const hash = sha256(bytes);
  const file = `${name}-${hash.slice(0, 16)}.node`;
  const problems: string[] = [];
  for (const dir of dirs) {
    const path = join(dir, file);
    try {
      if (!usableDir(dir)) {
        problems.push(`${dir}: not owned by this user or writable by others`);
        continue;
      }
      try {
        if (sha256(readFileSync(path)) === hash) return path;
      } catch {
        // not there yet
      }
      const tmp = join(dir, `.${file}.${process.pid}.tmp`);
      const fd = openSync(tmp, 'w', 0o500);
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      try {
        renameSync(tmp, path);
      } catch (err) {
        unlinkSync(tmp);
        // Windows refuses to replace a file another agent has loaded; its content is what we need.
        if (sha256(readFileSync(path)) !== hash) throw err;
      }
      return path;
    } catch (err) {
      problems.push(`${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  throw new Error(`cannot write the native add-on ${name} to any directory (${problems.join('; ')}); set CENTERWATCH_NATIVE_DIR to a writable one`);
}

/** Loads an extracted add-on file and returns its exports. */
export function dlopenFile(path: string): unknown {
  const module = { exports: {} as unknown };
  process.dlopen(module, path);
  return module.exports;
}
