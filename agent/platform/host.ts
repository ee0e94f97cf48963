import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseCpuSample, type CpuSample } from '../probes/host-cpu.js';
import { defaultMounts, parseMounts } from '../probes/host-mounts.js';
import { HostPartError } from '../probes/host-parts.js';
import { parseDefaultRoute, type DefaultRoute } from '../probes/host-route.js';
import { forPlatform, type PlatformName } from './index.js';
import { kernel32Drives, listDrives, probeLetters } from './win32/drives.js';
import { readRoutePrint } from './win32/route.js';

/** Where the Linux host probe reads the machine's state (tests point these at files of their own). */
export interface HostFiles {
  routeFile: string;
  statFile: string;
  mountsFile: string;
}

/** Every mounted filesystem, those reported when the check names none, and what limited the list. */
export interface MountList {
  all: string[];
  defaults: string[];
  /** The list was made the slow way (the check degrades, saying why). */
  problem?: HostPartError;
}

/**
 * The OS-specific reads of the host probe (agent/probes/host.ts does the rest the same everywhere).
 * Each may throw or reject; the probe reports that part as unknown and the rest as read.
 */
export interface HostPlatform {
  /** Cumulative CPU time of all cores: Linux in ticks (USER_HZ), Windows in milliseconds. */
  cpuSample(f: HostFiles): CpuSample | undefined;
  /** Fewer units than this between two samples is too coarse a ratio (100 ms either way). */
  minCpuUnits: number;
  mountPoints(f: HostFiles): Promise<MountList>;
  defaultRoute(f: HostFiles, signal: AbortSignal): Promise<DefaultRoute | undefined>;
  /**
   * How long a default route read stays good (0: read every run). A change of `networkFingerprint`
   * reads it again at once, so a line that goes down is seen on the next run.
   */
  routeMaxAgeMs: number;
  networkFingerprint(): string;
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
    return Promise.resolve({ all: entries.map((e) => e.mountPoint), defaults: defaultMounts(entries).map((e) => e.mountPoint) });
  },
  defaultRoute: (f) => Promise.resolve(parseDefaultRoute(readProc(f.routeFile), os.endianness())),
  // /proc/net/route costs microseconds: read every run.
  routeMaxAgeMs: 0,
  networkFingerprint: () => '',
};

/**
 * route.exe costs a process per read (see test/integration/windows-host.test.ts for the figures), so a
 * read is kept this long unless the interfaces change; Windows withdraws a default route when its
 * interface loses its link or address, which changes the fingerprint.
 */
export const WIN32_ROUTE_MAX_AGE_MS = 30_000;

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
    if (!(total > 0)) throw new HostPartError('internal_error', 'os.cpus() gave no processor times');
    return { busy, total };
  },
  minCpuUnits: 100,
  async mountPoints() {
    try {
      return listDrives(kernel32Drives());
    } catch (err) {
      // Without koffi: letters that answer a stat in time, types unknown.
      const problem = err instanceof HostPartError ? err : new HostPartError('internal_error', 'drive types not read');
      return { ...(await probeLetters()), problem };
    }
  },
  // route.exe prints the table in the display language; parseRoutePrint reads its numbers only.
  defaultRoute: (_f, signal) => readRoutePrint(signal),
  routeMaxAgeMs: WIN32_ROUTE_MAX_AGE_MS,
  networkFingerprint: () => fingerprint(os.networkInterfaces()),
};

/** Names and IPv4 addresses of the interfaces that are up, in a stable order. */
export function fingerprint(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string {
  const parts: string[] = [];
  for (const [name, addrs] of Object.entries(ifaces)) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) parts.push(`${name}=${a.address}/${a.netmask}`);
  }
  return parts.sort().join(',');
}

export const HOST_PLATFORMS: Record<PlatformName, HostPlatform> = { linux, win32 };

export function hostPlatform(platform?: PlatformName): HostPlatform {
  return forPlatform(HOST_PLATFORMS, platform);
}
