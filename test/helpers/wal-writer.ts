/**
 * Child process for the WAL crash test: appends records forever (fsync 'always') and prints each seq
 * once append() has resolved, i.e. once the WAL has acknowledged it. The test kill -9s it mid-write.
 */
import { Wal } from '../../common/wal/wal.js';
import { createLogger } from '../../common/log.js';

/** The payload of a seq: its size and bytes derive from the seq, so any record can be checked alone. */
export function crashPayload(seq: number): Buffer {
  return Buffer.alloc(1000 + ((seq * 7919) % 60_000), seq % 251);
}

if (process.argv[2]) {
  const wal = await Wal.open({ dir: process.argv[2], consumers: ['server'], fsync: 'always', segmentBytes: 512 * 1024, log: createLogger('warn') });
  for (;;) {
    const seq = await wal.append(crashPayload(wal.peekNextSeq()), { samples: 1, minTimestampMs: Date.now(), maxTimestampMs: Date.now() });
    process.stdout.write(`${seq}\n`);
  }
}

