import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Koffi from 'koffi';
import { loadNative } from '../../../common/native.js';
import { HostPartError } from '../../probes/host-parts.js';

/*
 * Which drive letters to measure, asked of kernel32 through koffi: GetLogicalDrives (a bit mask of
 * the letters in use) and GetDriveTypeW per letter. Neither touches the drive itself, so a mapped
 * network drive whose server is gone, or a card reader with no card, cannot block the run (testing a
 * letter with fs.existsSync blocks the event loop until the network redirector gives up, tens of
 * seconds). Only fixed drives are reported by default: a USB stick (removable) comes and goes, a
 * network drive is another machine's disk, a CD is always full.
 */

/** GetDriveTypeW's answers. */
export const DRIVE_TYPE = { unknown: 0, noRootDir: 1, removable: 2, fixed: 3, remote: 4, cdrom: 5, ramdisk: 6 } as const;

/** The two kernel32 calls the drive list needs. */
export interface DriveApi {
  /** Bit 0 is A:, bit 25 is Z:. */
  logicalDrives(): number;
  /** A DRIVE_TYPE value for a root such as `C:\`. */
  driveType(root: string): number;
}

/** Drive roots in use, and the fixed ones among them (reported when the check names no drive). */
export interface DriveList {
  all: string[];
  defaults: string[];
}

/** A: and B: are floppies, never worth a statfs. */
const FIRST_LETTER = 2;

/** The drive list from kernel32's answers. */
export function listDrives(api: DriveApi): DriveList {
  const mask = api.logicalDrives();
  const all: string[] = [];
  const defaults: string[] = [];
  for (let i = FIRST_LETTER; i < 26; i++) {
    if (!(mask & (1 << i))) continue;
    const root = `${String.fromCharCode(65 + i)}:\\`;
    const type = api.driveType(root);
    // A letter whose root is gone (unplugged since GetLogicalDrives) or unknown is not a drive now.
    if (type === DRIVE_TYPE.noRootDir || type === DRIVE_TYPE.unknown) continue;
    all.push(root);
    if (type === DRIVE_TYPE.fixed) defaults.push(root);
  }
  return { all, defaults };
}

let bound: DriveApi | undefined;

/** kernel32's drive calls, bound once per process (koffi loaded only here, only on Windows). */
export function kernel32Drives(): DriveApi {
  if (bound) return bound;
  try {
    const mod = loadNative<typeof Koffi & { default?: typeof Koffi }>('koffi');
    const koffi = mod.default ?? mod;
    const kernel32 = koffi.load('kernel32.dll');
    const getLogicalDrives = kernel32.func('__stdcall', 'GetLogicalDrives', 'uint32_t', []);
    const getDriveType = kernel32.func('__stdcall', 'GetDriveTypeW', 'uint32_t', ['const char16_t *']);
    bound = { logicalDrives: () => getLogicalDrives() as number, driveType: (root) => getDriveType(root) as number };
    return bound;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new HostPartError('internal_error', `kernel32 not reachable through koffi${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** How long the fallback waits for a letter to answer. */
export const PROBE_LETTER_MS = 200;

/**
 * Without koffi: every letter C: to Z: that answers a stat within `waitMs`, all reported (their types
 * are unknown). The stat runs on libuv's thread pool, so a letter that hangs never blocks the event
 * loop; it is left behind, counted as absent.
 */
export async function probeLetters(exists: (root: string) => Promise<boolean> = answers, waitMs = PROBE_LETTER_MS): Promise<DriveList> {
  const letters = Array.from({ length: 26 - FIRST_LETTER }, (_, i) => `${String.fromCharCode(65 + FIRST_LETTER + i)}:\\`);
  const late = new AbortController();
  const timer = sleep(waitMs, false, { signal: late.signal }).catch(() => false);
  try {
    const found = await Promise.all(letters.map((root) => Promise.race([exists(root).catch(() => false), timer])));
    const all = letters.filter((_, i) => found[i]);
    return { all, defaults: all };
  } finally {
    late.abort();
  }
}

function answers(root: string): Promise<boolean> {
  return stat(root).then(
    () => true,
    () => false,
  );
}
