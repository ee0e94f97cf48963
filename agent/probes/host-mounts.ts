/**
 * Which mounts to report, from `/proc/self/mounts`, and their use from `statfs(2)`.
 *
 * systeminformation's `fsSize()` spawns `df` (and `zfs list`) on every call, about 3.5 ms of CPU;
 * one `statfs` per mount costs microseconds.
 */

export interface MountEntry {
  device: string;
  mountPoint: string;
  fsType: string;
}

/**
 * Filesystems that hold no user data or are always full (a CD), so their use means nothing.
 * tmpfs is here too: it is memory, already counted by the memory metrics.
 */
export const PSEUDO_FS_TYPES: ReadonlySet<string> = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'fuse.gvfsd-fuse',
  'fuse.lxcfs',
  'fuse.portal',
  'hugetlbfs',
  'iso9660',
  'mqueue',
  'nsfs',
  'proc',
  'pstore',
  'ramfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
  'udf',
  'erofs',
]);

/** Kernel interfaces and container runtimes' private layers: never a disk someone fills. */
const PSEUDO_MOUNT_POINT = /^\/(proc|sys|dev|run\/credentials|run\/containerd|var\/lib\/docker|var\/lib\/containers|snap)(\/|$)/;

/** Parses a mounts table (`/proc/self/mounts` format), decoding the kernel's octal escapes. */
export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType] = line.split(' ');
    if (!device || !mountPoint || !fsType) continue;
    out.push({ device: unescapeMount(device), mountPoint: unescapeMount(mountPoint), fsType });
  }
  return out;
}

/** The kernel writes space, tab, newline and backslash in mount fields as `\040`, `\011`, `\012`, `\134`. */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * The mounts to report when the check names none: real filesystems only, each once.
 * A mount point mounted over keeps its last entry (what is visible there); a block device
 * mounted at several places (bind mounts) is reported once, at its shortest mount point,
 * since every place shows the same numbers.
 */
export function defaultMounts(entries: readonly MountEntry[]): MountEntry[] {
  const byPoint = new Map<string, MountEntry>();
  for (const e of entries) {
    byPoint.delete(e.mountPoint);
    byPoint.set(e.mountPoint, e);
  }
  const byDevice = new Map<string, MountEntry>();
  for (const e of byPoint.values()) {
    if (PSEUDO_FS_TYPES.has(e.fsType) || PSEUDO_MOUNT_POINT.test(e.mountPoint)) continue;
    // Only block devices identify a filesystem; "overlay", "none" or a ZFS dataset name may be shared by distinct ones.
    const key = e.device.startsWith('/') ? e.device : `${e.device}\0${e.mountPoint}`;
    const seen = byDevice.get(key);
    if (!seen || e.mountPoint.length < seen.mountPoint.length) byDevice.set(key, e);
  }
  return [...byDevice.values()].sort((a, b) => a.mountPoint.localeCompare(b.mountPoint));
}

/** The fields of `fs.statfs` the use is computed from (sizes in blocks of `bsize` bytes). */
export interface StatfsLike {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

export interface FsUsage {
  /** Used over what users can have (used + available), as `df` shows it; 0 for an empty filesystem. */
  usedRatio: number;
  /** Bytes an unprivileged user can still write (root's reserved blocks left out). */
  freeBytes: number;
}

/** Use of one filesystem, computed as `df` does so the numbers match what staff see there. */
export function fsUsage(s: StatfsLike): FsUsage {
  const used = Math.max(0, s.blocks - s.bfree);
  const usable = used + s.bavail;
  return { usedRatio: usable > 0 ? Math.min(1, used / usable) : 0, freeBytes: s.bavail * s.bsize };
}
