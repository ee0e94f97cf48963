import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseCpuSample, type CpuSample } from '../probes/host-cpu.js';
import { defaultMounts, parseMounts } from '../probes/host-mounts.js';
import { parseDefaultRoute, type DefaultRoute } from '../probes/host-route.js';
import { forPlatform, type PlatformName } from './index.js';
import { parseRoutePrint } from './win32/route.js';

/** Where the Linux host probe reads the machine's state (tests point these at files of their own). */
export interface HostFiles {
  routeFile: string;
  statFile: string;
  mountsFile: string;
}

/** The OS-specific reads of the host probe (agent/probes/host.ts does the rest the same everywhere). */
export interface HostPlatform {
  /** Cumulative CPU time of all cores: Linux in ticks (USER_HZ), Windows in milliseconds. */
  cpuSample(f: HostFiles): CpuSample | undefined;
  /** Fewer units than this between two samples is too coarse a ratio (100 ms either way). */
  minCpuUnits: number;
  /** Every mounted filesystem, and those reported when the check names none. */
  mountPoints(f: HostFiles): { all: string[]; defaults: string[] };
  defaultRoute(f: HostFiles, signal: AbortSignal): Promise<DefaultRoute | undefined>;
}

/**
 * Reads a /proc file synchronously: the kernel generates it from memory and never blocks, and
 * a synchronous read costs ~0.03 ms of CPU where `fs.promises.readFile` costs ~0.28 ms.
 */
function readProc(path: string): string {
  return readFileSync(path, 'utf8');
}

const linux: HostPlatform = {
  cpuSample: (f) => parseCpuSample(readProc(f.statFile)),
  minCpuUnits: 10,
  mountPoints(f) {
    const entries = parseMounts(readProc(f.mountsFile));
    return { all: entries.map((e) => e.mountPoint), defaults: defaultMounts(entries).map((e) => e.mountPoint) };
  },
  defaultRoute: (f) => Promise.resolve(parseDefaultRoute(readProc(f.routeFile), os.endianness())),
};

/** Drive letters a filesystem can be on: A: and B: are floppies, never worth a statfs. */
const DRIVE_LETTERS = 'CDEFGHIJKLMNOPQRSTUVWXYZ'.split('');

const win32: HostPlatform = {
  // os.cpus() reads the kernel's per-processor times (NtQuerySystemInformation): no process spawned.
  cpuSample() {
    let busy = 0;
    let total = 0;
    for (const { times } of os.cpus()) {
      const b = times.user + times.nice + times.sys + times.irq;
      busy += b;
      total += b + times.idle;
    }
    return total > 0 ? { busy, total } : undefined;
  },
  minCpuUnits: 100,
  mountPoints() {
    // Every drive letter that answers; a check that wants only its fixed disks lists them in `mounts`.
    const drives = DRIVE_LETTERS.map((l) => `${l}:\\`).filter((d) => existsSync(d));
    return { all: drives, defaults: drives };
  },
  defaultRoute(_f, signal) {
    // route.exe prints the table in the display language; parseRoutePrint reads its numbers only.
    const routeExe = join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'route.exe');
    return new Promise((resolve, reject) => {
      execFile(routeExe, ['print', '-4'], { signal, windowsHide: true, timeout: 5000, maxBuffer: 1 << 20 }, (err: Error | null, stdout: string) => {
        if (err) return reject(err);
        const names = new Map<string, string>();
        for (const [name, addrs] of Object.entries(os.networkInterfaces())) for (const a of addrs ?? []) names.set(a.address, name);
        resolve(parseRoutePrint(stdout, (a) => names.get(a)));
      });
    });
  },
};

export const HOST_PLATFORMS: Record<PlatformName, HostPlatform> = { linux, win32 };

export function hostPlatform(platform?: PlatformName): HostPlatform {
  return forPlatform(HOST_PLATFORMS, platform);
}
