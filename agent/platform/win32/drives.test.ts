import { describe, expect, it } from 'vitest';
import { DRIVE_TYPE, listDrives, probeLetters, type DriveApi } from './drives.js';

const api = (types: Record<string, number>, extraMask = 0): DriveApi => ({
  logicalDrives: () => Object.keys(types).reduce((m, root) => m | (1 << (root.charCodeAt(0) - 65)), extraMask),
  driveType: (root) => types[root] ?? DRIVE_TYPE.noRootDir,
});

describe('listDrives', () => {
  it('reports fixed drives by default, knows every other letter in use, skips floppies', () => {
    const d = listDrives(
      api({
        'A:\\': DRIVE_TYPE.removable,
        'C:\\': DRIVE_TYPE.fixed,
        'D:\\': DRIVE_TYPE.cdrom,
        'E:\\': DRIVE_TYPE.removable,
        'F:\\': DRIVE_TYPE.fixed,
        'R:\\': DRIVE_TYPE.ramdisk,
        'Z:\\': DRIVE_TYPE.remote,
      }),
    );
    expect(d).toEqual({ all: ['C:\\', 'D:\\', 'E:\\', 'F:\\', 'R:\\', 'Z:\\'], defaults: ['C:\\', 'F:\\'] });
  });

  it('drops a letter whose root went away after GetLogicalDrives (a stick pulled out) or whose type is unknown', () => {
    // G: is in the mask but GetDriveTypeW says DRIVE_NO_ROOT_DIR; H: answers DRIVE_UNKNOWN.
    const d = listDrives(api({ 'C:\\': DRIVE_TYPE.fixed, 'H:\\': DRIVE_TYPE.unknown }, 1 << 6));
    expect(d).toEqual({ all: ['C:\\'], defaults: ['C:\\'] });
  });
});

describe('probeLetters (without koffi)', () => {
  it('keeps the letters that answer in time and never waits on one that hangs', async () => {
    const started = performance.now();
    const d = await probeLetters((root) => (root === 'C:\\' ? Promise.resolve(true) : root === 'Z:\\' ? new Promise(() => {}) : Promise.resolve(false)), 100);
    expect(performance.now() - started).toBeLessThan(600);
    expect(d).toEqual({ all: ['C:\\'], defaults: ['C:\\'] });
  });
});
