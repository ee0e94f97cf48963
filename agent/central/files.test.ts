import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OWNER_ONLY, stageFile, writableDirProblem, writeFileAtomic } from './files.js';

const posix = process.platform !== 'win32';
const isRoot = process.getuid?.() === 0;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-files-'));
});
afterEach(() => {
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

describe('agent files: atomic and owner-only', () => {
  it.runIf(posix)('a written file is 0600 whatever the umask, and replaces the old one whole', () => {
    const file = join(dir, 'agent.token');
    writeFileSync(file, 'old\n', { mode: 0o644 });
    const umask = process.umask(0);
    try {
      writeFileAtomic(file, 'new-token\n');
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(file, 'utf8')).toBe('new-token\n');
    expect(statSync(file).mode & 0o777).toBe(OWNER_ONLY);
    expect(readdirSync(dir)).toEqual(['agent.token']);
  });

  it('a staged file sits beside its destination until committed; discarded, it leaves nothing and the old file stays', () => {
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'old: 1\n');
    const staged = stageFile(file, 'new: 2\n');
    expect(staged.path.startsWith(join(dir, '.agent.yaml.'))).toBe(true);
    expect(readFileSync(staged.path, 'utf8')).toBe('new: 2\n');
    expect(readFileSync(file, 'utf8')).toBe('old: 1\n');
    staged.discard();
    expect(readdirSync(dir)).toEqual(['agent.yaml']);
    expect(readFileSync(file, 'utf8')).toBe('old: 1\n');
    const again = stageFile(file, 'new: 3\n');
    again.commit();
    expect(readFileSync(file, 'utf8')).toBe('new: 3\n');
    expect(readdirSync(dir)).toEqual(['agent.yaml']);
  });

  it('a write that fails half-way (the file cannot be given to its owner) leaves the old file and no temp file', () => {
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'old: 1\n');
    expect(() => writeFileAtomic(file, 'new: 2\n', { owner: { uid: -2, gid: -2 } })).toThrow();
    expect(readFileSync(file, 'utf8')).toBe('old: 1\n');
    expect(readdirSync(dir)).toEqual(['agent.yaml']);
  });

  it('writableDirProblem: none for a writable folder (and no probe file left); says a missing folder', () => {
    expect(writableDirProblem(dir)).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
    expect(writableDirProblem(join(dir, 'nope'))).toBe(`the folder ${join(dir, 'nope')} does not exist`);
    writeFileSync(join(dir, 'f'), '');
    expect(writableDirProblem(join(dir, 'f'))).toBe(`${join(dir, 'f')} is not a folder`);
  });

  it.runIf(posix)('writableDirProblem says a folder this user cannot write, and how to fix it', () => {
    chmodSync(dir, 0o555);
    if (!isRoot) {
      expect(writableDirProblem(dir)).toBe(`cannot write in ${dir} (permission denied: run as root / an administrator)`);
      return;
    }
    // Root writes anywhere: the check runs as nobody, as a service user without rights there would.
    const script = `import(${JSON.stringify(new URL('./files.ts', import.meta.url).href)}).then((m) => process.stdout.write(m.writableDirProblem(process.argv[1]) ?? ''))`;
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '-e', script, dir], {
      encoding: 'utf8',
      env: { ...process.env, HOME: tmpdir() },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`cannot write in ${dir} (permission denied: run as root / an administrator)`);
  });

  it.runIf(posix && isRoot)("as root, a file in a service user's folder is given to that user (the service reads and replaces it)", () => {
    const sub = join(dir, 'state');
    // nobody:nogroup stands in for the centerwatch user.
    mkdirSync(sub);
    chownSync(sub, 65534, 65534);
    writeFileAtomic(join(sub, 'agent.token'), 't\n');
    const st = statSync(join(sub, 'agent.token'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([65534, 65534, OWNER_ONLY]);
  });
});
