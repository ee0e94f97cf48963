import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { droppable, dropStartupPages, parseSmaps } from './startup-pages.js';

const SMAPS = `00400000-00b6f000 r--p 00000000 fe:00 260689                             /usr/bin/node
Size:               7612 kB
Rss:                5948 kB
Anonymous:             0 kB
0563a000-0563e000 r--p 05239000 fe:00 260689                             /usr/bin/node
Size:                 16 kB
Rss:                  16 kB
Anonymous:            16 kB
0563e000-0565d000 rw-p 0523d000 fe:00 260689                             /usr/bin/node
Rss:                 124 kB
Anonymous:           100 kB
7f0000000000-7f0000100000 rw-p 00000000 00:00 0
Rss:                1024 kB
Anonymous:          1024 kB
7f0000200000-7f0000300000 r-xp 00000000 fe:00 12                         /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1372 kB
Anonymous:             0 kB
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
Rss:                   8 kB
Anonymous:             0 kB
7f0000400000-7f0000500000 r--p 00000000 fe:00 13                         /tmp/gone.node (deleted)
Rss:                  40 kB
Anonymous:             0 kB
`;

describe('start-up pages', () => {
  it('reads smaps and keeps only read-only file mappings without private copies', () => {
    const maps = parseSmaps(SMAPS);
    expect(maps).toHaveLength(7);
    expect(maps[0]).toEqual({ start: 0x400000n, end: 0xb6f000n, perms: 'r--p', path: '/usr/bin/node', rssKib: 5948, anonymousKib: 0 });
    // The executable's text and libc's code: yes. Relocated read-only data (private copies), writable
    // data, anonymous memory, the vdso and a deleted file: no.
    expect(maps.filter(droppable).map((m) => `${m.path} ${m.perms}`)).toEqual(['/usr/bin/node r--p', '/usr/lib/x86_64-linux-gnu/libc.so.6 r-xp']);
  });

  it.runIf(process.platform === 'linux')('gives back resident pages of this process, which keeps working', () => {
    const rss = (): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
    const before = rss();
    const dropped = dropStartupPages();
    const after = rss();
    expect(dropped!.kib).toBeGreaterThan(1024);
    expect(after).toBeLessThan(before - 1024);
    // Code and data of the executable come back on use.
    expect(createHash('sha256').update('abc').digest('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new Intl.NumberFormat('vi-VN').format(1234.5)).toBe('1.234,5');
  });
});
