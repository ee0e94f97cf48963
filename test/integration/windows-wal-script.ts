// Bundled with esbuild and run by Node's win-x64 node.exe under wine (windows-wal.test.ts).
// Prints one JSON line of what it saw.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/wal/files.js';
import { Wal } from '../../common/wal/wal.js';
import type { Logger } from '../../common/log.js';

const dir = process.argv[2]!;
const warnings: string[] = [];
const log = {
  debug() {},
  info() {},
  error() {},
  warn: (msg: string, f?: Record<string, unknown>) => warnings.push(`${msg} ${JSON.stringify(f ?? {})}`),
} as unknown as Logger;
const meta = (n: number) => ({ samples: 1, minTimestampMs: Date.now() - n, maxTimestampMs: Date.now() - n });

async function main(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { platform: process.platform, dir };
  let wal = await Wal.open({ dir, consumers: ['province'], log, fsync: 'always' });
  for (let i = 0; i < 3; i++) await wal.append(Buffer.from(`record ${i}`), meta(i));
  const first = await wal.readOldest('province', 10);
  await wal.ack('province', first[0]!.seq);
  await wal.close();
  out.lockAfterClose = existsSync(join(dir, 'LOCK'));

  wal = await Wal.open({ dir, consumers: ['province'], log, fsync: 'always' });
  out.reopened = (await wal.readOldest('province', 10)).map((r) => Buffer.from(r.payload).toString());
  // A second open in the same process is refused; the lock names the pid alone on Windows.
  out.lockText = readFileSync(join(dir, 'LOCK'), 'utf8');
  await wal.close();

  // Another process holds a file open the way cmd.exe's redirection does (no FILE_SHARE_DELETE).
  const target = join(dir, 'held.bin');
  writeFileSync(target, 'old');
  // Verbatim: cmd.exe does not read the C runtime's \" escapes; /s keeps the outer quotes as given.
  const holder = spawn('cmd.exe', ['/d', '/s', '/c', `"ping -n 6 127.0.0.1 > nul < "${target}""`], {
    stdio: 'ignore',
    windowsHide: true,
    windowsVerbatimArguments: true,
  });
  let holderDone = false;
  const holderExit = new Promise((r) => holder.once('exit', r)).then(() => (holderDone = true));
  await new Promise((r) => setTimeout(r, 1500));
  out.holderAliveAtRename = !holderDone;
  const t0 = Date.now();
  try {
    writeFileAtomic(target, Buffer.from('new'));
    out.whileHeld = 'replaced';
  } catch (err) {
    out.whileHeld = (err as Error).message;
    out.whileHeldCode = (err as NodeJS.ErrnoException).code;
  }
  out.whileHeldMs = Date.now() - t0;
  out.tmpLeft = existsSync(`${target}.tmp`);
  await holderExit;
  writeFileAtomic(target, Buffer.from('newer'));
  out.afterRelease = readFileSync(target, 'utf8');
  out.warnings = warnings;
  return out;
}

main().then(
  (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
  (err: unknown) => {
    process.stdout.write(`${JSON.stringify({ error: (err as Error).stack })}\n`);
    process.exitCode = 1;
  },
);
