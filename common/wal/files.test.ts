import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renameReplacing, syncDir, writeFileAtomic } from './files.js';

const held = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: operation not permitted, rename`), { code });

describe('renameReplacing', () => {
  it('on Windows retries a rename refused because the target is held open, then succeeds', () => {
    const calls: string[] = [];
    const sleeps: number[] = [];
    let failures = 3;
    renameReplacing('a.tmp', 'a', {
      platform: 'win32',
      rename: (from, to) => {
        calls.push(`${from}->${to}`);
        if (failures-- > 0) throw held(['EPERM', 'EACCES', 'EBUSY'][failures % 3]!);
      },
      sleep: (ms) => sleeps.push(ms),
    });
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([10, 20, 40]);
  });

  it('on Windows gives up after the bounded backoff and says that another process holds the file', () => {
    const sleeps: number[] = [];
    let attempts = 0;
    const run = (): void =>
      renameReplacing('a.tmp', 'C:\\ProgramData\\centerwatch\\wal\\cursors.slots', {
        platform: 'win32',
        rename: () => {
          attempts++;
          throw held('EPERM');
        },
        sleep: (ms) => sleeps.push(ms),
      });
    expect(run).toThrow('cannot replace C:\\ProgramData\\centerwatch\\wal\\cursors.slots: another process holds it open (EPERM, 6 attempts over 310 ms)');
    expect(attempts).toBe(6);
    expect(sleeps).toEqual([10, 20, 40, 80, 160]);
  });

  it('on Linux the first error is final, as before', () => {
    let attempts = 0;
    const err = held('EACCES');
    const run = (): void =>
      renameReplacing('a.tmp', 'a', {
        platform: 'linux',
        rename: () => {
          attempts++;
          throw err;
        },
        sleep: () => expect.unreachable('no sleep on Linux'),
      });
    expect(run).toThrow(err);
    expect(attempts).toBe(1);
  });

  it('does not retry other errors on Windows', () => {
    let attempts = 0;
    const run = (): void =>
      renameReplacing('a.tmp', 'a', {
        platform: 'win32',
        rename: () => {
          attempts++;
          throw held('ENOENT');
        },
        sleep: () => expect.unreachable('no sleep for ENOENT'),
      });
    expect(run).toThrow('ENOENT');
    expect(attempts).toBe(1);
  });
});

describe('files on disk', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writeFileAtomic replaces a file in a directory whose path has spaces', () => {
    dir = mkdtempSync(join(tmpdir(), 'cw wal files '));
    writeFileSync(join(dir, 'x'), 'old');
    writeFileAtomic(join(dir, 'x'), Buffer.from('new'));
    expect(readFileSync(join(dir, 'x'), 'utf8')).toBe('new');
    expect(existsSync(`${join(dir, 'x')}.tmp`)).toBe(false);
  });

  it('syncDir does nothing on Windows (a directory cannot be opened there) and syncs on Linux', () => {
    dir = mkdtempSync(join(tmpdir(), 'cw wal files '));
    expect(() => syncDir(join(dir, 'missing'), 'win32')).not.toThrow();
    expect(() => syncDir(dir, 'linux')).not.toThrow();
    expect(() => syncDir(join(dir, 'missing'), 'linux')).toThrow('ENOENT');
  });
});
