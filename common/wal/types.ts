import type { Logger } from '../log.js';
import type { WalIo } from './files.js';

/** Why unsent records left the WAL: its size or age bound, a full disk, or a write that failed otherwise. */
export const DROP_REASONS = ['size', 'age', 'disk_full', 'write_failed'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface WalOptions {
  /** Directory owned by this WAL (created if missing). */
  dir: string;
  /** Upper bound of all segment files together, in bytes; oldest segments dropped first. Default 256 MiB. */
  maxBytes?: number;
  /** Records whose newest sample is older than this are dropped. Default 72 h. */
  maxAgeMs?: number;
  /** Size at which a segment is closed and a new one started. Default min(8 MiB, maxBytes / 8), at least 64 KiB. */
  segmentBytes?: number;
  /** 'always': fsync before append() resolves; 'interval': at most every fsyncIntervalMs; 'never'. Default 'interval'. */
  fsync?: 'always' | 'interval' | 'never';
  /** Default 1000. */
  fsyncIntervalMs?: number;
  /** Named consumers, each with its own durable cursor (e.g. one per push target). */
  consumers: string[];
  log: Logger;
  /** Clock in ms, for tests. Default Date.now. */
  now?: () => number;
  /** The file-writing seam, for tests that cut writes short. Default: node:fs. */
  io?: WalIo;
}

export interface WalRecordMeta {
  samples: number;
  minTimestampMs: number;
  maxTimestampMs: number;
}
export interface WalRecord extends WalRecordMeta {
  seq: number;
  payload: Uint8Array;
}
export interface WalStats {
  bytes: number;
  segments: number;
  /** Oldest sample timestamp among records some consumer has not acked. */
  oldestTimestampMs: number | undefined;
  /** Dropped since open, unsent to at least one consumer: the sum over `dropped`. */
  droppedSamplesTotal: number;
  droppedRecordsTotal: number;
  /** The same by reason; a record that could not be written at all counts here too. */
  dropped: Record<DropReason, { records: number; samples: number }>;
  /** Torn or corrupt records found at open. */
  corruptRecordsSkippedTotal: number;
  /** Per consumer, unacked. */
  backlog: Record<string, { records: number; samples: number }>;
}
