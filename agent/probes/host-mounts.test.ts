import { describe, expect, it } from 'vitest';
import { defaultMounts, fsUsage, parseMounts } from './host-mounts.js';

// /proc/self/mounts of a desktop with a data disk, a USB stick, snaps and a container runtime.
const MOUNTS = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=8115728k,nr_inodes=2028932,mode=755 0 0
devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1630420k,mode=755 0 0
/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0
securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0
/dev/loop0 /snap/core22/1380 squashfs ro,nodev,relatime,errors=continue 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077 0 0
/dev/sda1 /srv/h\\040s\\134dữ\\040liệu ext4 rw,relatime 0 0
/dev/sdb1 /media/cb/USB\\040KINGSTON vfat rw,nosuid,nodev,relatime 0 0
/dev/sr0 /media/cb/CDROM iso9660 ro,nosuid,nodev,relatime 0 0
/dev/nvme0n1p2 /var/snap/bind ext4 rw,relatime 0 0
overlay /var/lib/docker/overlay2/abc/merged overlay rw,relatime,lowerdir=x 0 0
nsfs /run/netns/cw1 nsfs rw 0 0
gvfsd-fuse /run/user/1000/gvfs fuse.gvfsd-fuse rw,nosuid,nodev,relatime,user_id=1000,group_id=1000 0 0
tank/home /home zfs rw,xattr,noacl 0 0
tank/data /data zfs rw,xattr,noacl 0 0
`;

describe('parseMounts', () => {
  it('reads device, mount point and type, decoding octal escapes', () => {
    const m = parseMounts(MOUNTS);
    expect(m).toHaveLength(20);
    expect(m[5]).toEqual({ device: '/dev/nvme0n1p2', mountPoint: '/', fsType: 'ext4' });
    expect(m[11]).toEqual({ device: '/dev/sda1', mountPoint: '/srv/h s\\dữ liệu', fsType: 'ext4' });
  });

  it('skips blank and short lines', () => {
    expect(parseMounts('\n/dev/sda1 /\n\n')).toEqual([]);
  });
});

describe('defaultMounts', () => {
  it('keeps real filesystems only, sorted by mount point', () => {
    expect(defaultMounts(parseMounts(MOUNTS)).map((e) => e.mountPoint)).toEqual([
      '/',
      '/boot/efi',
      '/data',
      '/home',
      '/media/cb/USB KINGSTON',
      '/srv/h s\\dữ liệu',
    ]);
  });

  it('reports a block device mounted twice once, at its shortest mount point', () => {
    const m = parseMounts('/dev/vda /run/netns ext4 rw 0 0\n/dev/vda / ext4 rw 0 0\n/dev/vda /etc/hosts ext4 rw 0 0\n');
    expect(defaultMounts(m)).toEqual([{ device: '/dev/vda', mountPoint: '/', fsType: 'ext4' }]);
  });

  it('keeps distinct filesystems that share a non-device source name', () => {
    const m = parseMounts('overlay / overlay rw 0 0\noverlay /mnt/other overlay rw 0 0\nserver:/export /mnt/nfs nfs4 rw 0 0\n');
    expect(defaultMounts(m).map((e) => e.mountPoint)).toEqual(['/', '/mnt/nfs', '/mnt/other']);
  });

  it('takes the last of several mounts on one mount point (the one visible there)', () => {
    const m = parseMounts('/dev/sda1 /data ext4 rw 0 0\ntmpfs /data tmpfs rw 0 0\n/dev/sdb1 /backup ext4 rw 0 0\n/dev/sdc1 /backup xfs rw 0 0\n');
    expect(defaultMounts(m)).toEqual([{ device: '/dev/sdc1', mountPoint: '/backup', fsType: 'xfs' }]);
  });
});

describe('fsUsage', () => {
  it('computes use as df does: used over used plus available, reserved blocks left out', () => {
    // 1000 blocks of 4 KiB, 400 free of which 50 reserved for root.
    expect(fsUsage({ bsize: 4096, blocks: 1000, bfree: 400, bavail: 350 })).toEqual({ usedRatio: 600 / 950, freeBytes: 350 * 4096 });
  });

  it('is 1 when only the reserved blocks are left, and 0 for an empty filesystem', () => {
    expect(fsUsage({ bsize: 4096, blocks: 1000, bfree: 50, bavail: 0 })).toEqual({ usedRatio: 1, freeBytes: 0 });
    expect(fsUsage({ bsize: 4096, blocks: 0, bfree: 0, bavail: 0 })).toEqual({ usedRatio: 0, freeBytes: 0 });
  });
});
