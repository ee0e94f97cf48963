import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { runNodeExe, winPath } from '../helpers/wine.js';
import { commandExists } from '../helpers/servers.js';

// The WAL under Node's win-x64 node.exe (wine): a folder whose path has spaces, a reopen, and a file
// held open by another process (cmd.exe's `<` redirection, which shares no delete access). Wine
// refuses a rename over such a file with EPERM as Windows does: measured here, the rename is retried
// for about 0.3 s, then fails naming the holder, and succeeds once the holder is gone.
const missing = commandExists('wine') ? undefined : 'wine is not installed (Debian packages wine, wine64)';
if (missing && process.env.CI !== 'true') console.warn(`windows-wal: skipped, ${missing}`);

describe.skipIf(missing !== undefined && process.env.CI !== 'true')('the WAL on Windows (node.exe under wine)', () => {
  const work = mkdtempSync(join(tmpdir(), 'cw windows wal '));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('opens, appends, reopens and reads back in a path with spaces, and retries then reports a rename over a held file', async () => {
    expect(missing).toBeUndefined();
    const script = join(work, 'wal script.cjs');
    await build({
      entryPoints: ['test/integration/windows-wal-script.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: script,
      logLevel: 'warning',
    });
    const dir = join(work, 'Dữ liệu', 'wal dir');
    mkdirSync(dir, { recursive: true });
    const run = runNodeExe(script, [winPath(dir)]);
    expect(await run.exited, run.stderr()).toBe(0);
    const out = JSON.parse(run.stdout()) as Record<string, unknown>;
    expect(out).toMatchObject({
      platform: 'win32',
      lockAfterClose: false,
      // Record 0 was acked before the close: the cursor survived the reopen.
      reopened: ['record 1', 'record 2'],
      lockText: expect.stringMatching(/^\d+$/) as unknown,
      holderAliveAtRename: true,
      whileHeldCode: 'EPERM',
      tmpLeft: false,
      afterRelease: 'newer',
      warnings: [],
    });
    expect(out.whileHeld).toBe(`cannot replace ${winPath(dir)}\\held.bin: another process holds it open (EPERM, 6 attempts over 310 ms)`);
    expect(out.whileHeldMs).toBeGreaterThanOrEqual(300);
    expect(out.whileHeldMs).toBeLessThan(2000);
  }, 240_000);
});
