import { closeSync, constants, fdatasyncSync, ftruncateSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expiredPrefix, segmentAckedByAll, unsentIn } from './bounds.js';
import { CursorStore } from './cursor-file.js';
import { ackCursor, settle, skipTo, type Cursor } from './cursor.js';
import { diskBytes, isNoSpace, nodeIo, SegmentReader, segmentName, syncDir, walIoError, writeFully } from './files.js';
import { encodeFrame, HEADER_BYTES } from './frame.js';
import { releaseLock, takeLock } from './lock.js';
import { loadSegments } from './load.js';
import { SegmentIndex } from './segment-index.js';
import { backlogOf, locate, nextAfter, oldestPending } from './stats.js';
import { DROP_REASONS, type DropReason, type WalOptions, type WalRecord, type WalRecordMeta, type WalStats } from './types.js';

export { DROP_REASONS, type DropReason, type WalOptions, type WalRecord, type WalRecordMeta, type WalStats } from './types.js';

/** Cursors are written in place on every ack (a kill loses none) and fsynced this often (a power cut re-sends at most that). */
const CURSOR_SYNC_MS = 1000;

/**
 * A durable, bounded write-ahead log of opaque records (snappy WriteRequest bodies) read by named
 * consumers, each with its own cursor. Survives kill -9 at any moment: a torn tail is cut at open, a
 * record whose append resolved (with fsync 'always': also a power cut) is never lost, and a few records
 * may be delivered twice after a crash. Only a compact index is in memory; payloads are read from disk.
 * Synchronous file I/O on small writes: it keeps the ordering obvious and costs microseconds.
 */
export class Wal {
  private segments: SegmentIndex[] = [];
  private fd = -1;
  private nextSeq = 1;
  private totalBytes = 0;
  private readonly cursors = new Map<string, Cursor>();
  private readonly reader = new SegmentReader();
  private cursorStore!: CursorStore;
  private dirty = false;
  private lastFsync = 0;
  private cursorTimer: NodeJS.Timeout | undefined;
  private saveFailing = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, { samples: 0, records: 0 }])) as WalStats['dropped'];
  private corruptSkipped = 0;
  private readonly o: Required<Omit<WalOptions, 'log' | 'now'>> & Pick<WalOptions, 'log'> & { now: () => number };

  private constructor(options: WalOptions) {
    const maxBytes = options.maxBytes ?? 256 * 2 ** 20;
    // A bound larger than the disk: segments are sized by the disk, so that dropping the oldest one when
    // the disk fills frees an eighth of it, not the whole backlog at once.
    const fits = Math.min(maxBytes, diskBytes(options.dir) ?? maxBytes);
    this.o = {
      maxBytes,
      maxAgeMs: options.maxAgeMs ?? 72 * 3600_000,
      // The floor keeps a tiny bound from making one file per record.
      segmentBytes: options.segmentBytes ?? Math.max(64 * 1024, Math.min(8 * 2 ** 20, Math.floor(fits / 8))),
      fsync: options.fsync ?? 'interval',
      fsyncIntervalMs: options.fsyncIntervalMs ?? 1000,
      now: options.now ?? Date.now,
      dir: options.dir,
      consumers: options.consumers,
      log: options.log,
      io: options.io ?? nodeIo,
    };
  }

  /** Opens (creating if needed) the WAL in `dir`. Throws only when the directory cannot be used. */
  static async open(options: WalOptions): Promise<Wal> {
    try {
      mkdirSync(options.dir, { recursive: true });
    } catch (err) {
      throw walIoError('use directory', options.dir, err);
    }
    const wal = new Wal(options);
    try {
      takeLock(wal.o.dir, wal.o.io);
    } catch (err) {
      throw (err as Error).message.startsWith('wal:') ? err : walIoError('use directory', wal.o.dir, err);
    }
    try {
      wal.load();
    } catch (err) {
      releaseLock(wal.o.dir);
      throw (err as Error).message.startsWith('wal:') ? err : walIoError('open', wal.o.dir, err);
    }
    return wal;
  }

  private load(): void {
    const loaded = loadSegments(this.o.dir, this.o.log);
    this.segments = loaded.segments;
    this.corruptSkipped = loaded.corruptSkipped;
    this.totalBytes = this.segments.reduce((n, seg) => n + seg.bytes, 0);
    const { store, saved } = CursorStore.open(this.o.dir, this.o.io, this.o.log);
    this.cursorStore = store;
    // Seqs never repeat, even when records the cursors saw were lost to a power cut ('interval' fsync).
    let next = Math.max(1, loaded.lastNamedSeq ?? 1, (this.segments.at(-1)?.lastSeq() ?? 0) + 1);
    for (const c of saved.values()) for (const s of [c.low, ...c.above]) next = Math.max(next, s + 1);
    this.nextSeq = next;
    const first = this.firstSeq();
    // A consumer new to this WAL starts at the oldest record; one no longer configured is forgotten.
    for (const name of this.o.consumers) this.cursors.set(name, saved.get(name) ?? { low: first - 1, above: new Set<number>() });
    this.moveCursorsTo(first);
    this.openActive();
    this.enforceBounds();
    this.armCursorSync();
  }

  /** Cursors changed: saved and fsynced within CURSOR_SYNC_MS. */
  private markDirty(): void {
    this.dirty = true;
    this.armCursorSync();
  }

  /**
   * One timer while something is to save or fsync, none otherwise: an idle agent's WAL does not wake
   * the process every second for nothing.
   */
  private armCursorSync(): void {
    if (this.cursorTimer || this.closed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      this.syncCursors();
      // A save that failed is tried again (the cursors stay dirty).
      if (this.dirty) this.armCursorSync();
    }, CURSOR_SYNC_MS);
    this.cursorTimer.unref();
  }

  /** Nothing below `seq` is pending for anyone any more (dropped by a bound). */
  private moveCursorsTo(seq: number): void {
    for (const c of this.cursors.values()) {
      skipTo(c, seq);
      settle(c, (s) => nextAfter(this.segments, s));
    }
  }

  private firstSeq(): number {
    for (const s of this.segments) if (s.length > 0) return s.seqAt(0);
    return this.nextSeq;
  }

  private openActive(): void {
    const active = this.segments.at(-1);
    if (active && active.bytes < this.o.segmentBytes) this.fd = openSync(active.file, constants.O_WRONLY);
    else this.roll();
  }

  /** Starts a new segment. Throws when it cannot be created; the current one is then kept. */
  private roll(): void {
    const file = join(this.o.dir, segmentName(this.nextSeq));
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    if (this.fd >= 0) {
      this.fdatasync('segment');
      closeSync(this.fd);
    }
    this.fd = fd;
    this.segments.push(new SegmentIndex(this.nextSeq, file));
    try {
      syncDir(this.o.dir);
    } catch (err) {
      this.o.log.warn('wal: syncing the directory failed', { dir: this.o.dir, error: (err as Error).message });
    }
  }

  /** fsync that never throws: a failure is logged; the data stays in the page cache and the next sync retries. */
  private fdatasync(what: string): void {
    try {
      if (this.fd >= 0) fdatasyncSync(this.fd);
    } catch (err) {
      this.o.log.warn('wal: fsync failed', { what, error: (err as Error).message });
    }
  }

  /** The seq the next append will get. */
  peekNextSeq(): number {
    return this.nextSeq;
  }

  /**
   * Appends one record; resolves with its seq once written (and on disk, with fsync 'always'). When the
   * disk is full the oldest segments are dropped (counted, reason disk_full) until the record fits, so
   * the newest data keeps flowing. Rejects when the record cannot be written at all: it is then counted
   * as dropped (disk_full, or write_failed for any other I/O error) and nothing of it is kept.
   */
  async append(payload: Uint8Array, meta: WalRecordMeta): Promise<number> {
    if (this.closed) throw new Error('wal: append after close');
    for (;;) {
      try {
        return this.write(payload, meta);
      } catch (err) {
        if (isNoSpace(err) && this.makeRoom()) continue;
        this.countDropped(isNoSpace(err) ? 'disk_full' : 'write_failed', 1, meta.samples);
        throw walIoError('append to', this.segments.at(-1)!.file, err);
      }
    }
  }

  /** Writes one frame at the end of the active segment; on any failure the segment is cut back to its last good frame. */
  private write(payload: Uint8Array, meta: WalRecordMeta): number {
    let active = this.segments.at(-1)!;
    if (active.bytes > 0 && active.bytes + HEADER_BYTES + payload.byteLength > this.o.segmentBytes) {
      this.roll();
      active = this.segments.at(-1)!;
    }
    const seq = this.nextSeq;
    const frame = encodeFrame({ seq, ...meta }, payload);
    try {
      // Positional, and indexed only once every byte is written: a short write is never a record.
      writeFully(this.o.io, this.fd, frame, active.bytes);
    } catch (err) {
      this.cutBack(active);
      throw err;
    }
    this.nextSeq++;
    active.pushRaw(seq, active.bytes + HEADER_BYTES, payload.byteLength, meta.samples, meta.minTimestampMs, meta.maxTimestampMs);
    active.bytes += frame.length;
    this.totalBytes += frame.length;
    this.sync();
    this.enforceBounds();
    return seq;
  }

  /** Removes a partial frame after a failed write; if even that fails, a new segment starts after the good frames. */
  private cutBack(active: SegmentIndex): void {
    try {
      ftruncateSync(this.fd, active.bytes);
    } catch (err) {
      this.o.log.warn('wal: cannot cut a partial record; starting a new segment', { file: active.file, error: (err as Error).message });
      try {
        // The next open cuts the tail of an old segment as corrupt; its indexed records stay readable.
        if (active.length > 0) this.roll();
      } catch {
        // the next positional write overwrites the partial frame from its first byte
      }
    }
  }

  /**
   * Frees disk space for a write that hit a full disk: drops the oldest segment (rolling first when only
   * the active one holds records), counting what was unsent as disk_full. False when nothing is left to drop.
   */
  private makeRoom(): boolean {
    if (this.segments.length === 1) {
      if (this.segments[0]!.length === 0) return false;
      try {
        this.roll();
      } catch {
        return false;
      }
    }
    this.dropOldest('disk_full');
    this.o.log.warn('wal: disk full; dropped the oldest segment to keep the newest data', { dir: this.o.dir, bytes_left: this.totalBytes });
    return true;
  }

  private sync(): void {
    if (this.o.fsync === 'always') fdatasyncSync(this.fd);
    else if (this.o.fsync === 'interval' && !this.syncTimer) {
      const wait = Math.max(0, this.lastFsync + this.o.fsyncIntervalMs - Date.now());
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined;
        this.lastFsync = Date.now();
        this.fdatasync('segment');
      }, wait);
      this.syncTimer.unref();
    }
  }

  /** Drops expired records, then whole segments: fully acked ones, then the oldest while over the size bound. */
  private enforceBounds(): void {
    const cursors = [...this.cursors.values()];
    const expired = expiredPrefix(this.segments, cursors, this.o.now() - this.o.maxAgeMs);
    if (expired) {
      this.moveCursorsTo(expired.lastSeq + 1);
      this.markDirty();
      this.countDropped('age', expired.records, expired.samples);
    }
    while (this.segments.length > 1) {
      const fullyAcked = segmentAckedByAll(this.segments[0]!, cursors);
      if (!fullyAcked && this.totalBytes <= this.o.maxBytes) break;
      this.dropOldest('size');
    }
    // The active segment alone over the bound (one huge record): roll it so it can go.
    if (this.segments.length === 1 && this.totalBytes > this.o.maxBytes) {
      try {
        this.roll();
        this.dropOldest('size');
      } catch (err) {
        this.o.log.warn('wal: cannot start a new segment; retrying later', { dir: this.o.dir, error: (err as Error).message });
      }
    }
  }

  private countDropped(reason: DropReason, records: number, samples: number): void {
    if (records === 0) return;
    this.dropped[reason].records += records;
    this.dropped[reason].samples += samples;
    this.markDirty();
    this.o.log.warn('wal: unsent data dropped', { reason, records, samples });
  }

  /** Drops the oldest segment; what some consumer had not acked is counted under `reason`. */
  private dropOldest(reason: DropReason): void {
    const seg = this.segments.shift()!;
    const lost = unsentIn(seg, [...this.cursors.values()]);
    this.countDropped(reason, lost.records, lost.samples);
    this.reader.forget(seg.file);
    rmSync(seg.file, { force: true });
    this.totalBytes -= seg.bytes;
    this.moveCursorsTo(this.firstSeq());
  }

  /** Up to `max` records `consumer` has not acked, oldest first. */
  async readOldest(consumer: string, max: number): Promise<WalRecord[]> {
    const cursor = this.cursorOf(consumer);
    if (this.closed) return [];
    this.enforceBounds(); // the age bound holds even while nothing is appended
    const out: WalRecord[] = [];
    for (const seg of this.segments) {
      for (let i = seg.firstAbove(cursor.low); i < seg.length && out.length < max; i++) {
        if (cursor.above.has(seg.seqAt(i))) continue;
        const e = seg.entry(i);
        out.push({
          seq: e.seq,
          samples: e.samples,
          minTimestampMs: e.minTimestampMs,
          maxTimestampMs: e.maxTimestampMs,
          payload: this.reader.read(seg.file, e.offset, e.length),
        });
      }
      if (out.length >= max) break;
    }
    return out;
  }

  /** Marks one record delivered for `consumer`; acks may arrive out of order. Unknown seqs (dropped) are ignored. */
  async ack(consumer: string, seq: number): Promise<void> {
    const cursor = this.cursorOf(consumer);
    // After close (a shipper still finishing): not recorded, so re-sent next start; at-least-once.
    if (this.closed || !locate(this.segments, seq)) return;
    ackCursor(cursor, seq, (s) => nextAfter(this.segments, s));
    this.markDirty();
    this.enforceBounds();
    this.saveCursors();
  }

  private cursorOf(consumer: string): Cursor {
    const c = this.cursors.get(consumer);
    if (!c) throw new Error(`wal: unknown consumer ${consumer}`);
    return c;
  }

  stats(): WalStats {
    const backlog: WalStats['backlog'] = {};
    for (const [name, c] of this.cursors) backlog[name] = backlogOf(this.segments, c);
    return {
      bytes: this.totalBytes,
      segments: this.segments.length,
      oldestTimestampMs: oldestPending(this.segments, [...this.cursors.values()]),
      droppedSamplesTotal: DROP_REASONS.reduce((n, r) => n + this.dropped[r].samples, 0),
      droppedRecordsTotal: DROP_REASONS.reduce((n, r) => n + this.dropped[r].records, 0),
      dropped: structuredClone(this.dropped),
      corruptRecordsSkippedTotal: this.corruptSkipped,
      backlog,
    };
  }

  private saveCursors(): void {
    if (!this.dirty) return;
    try {
      this.cursorStore.save(this.cursors);
      this.dirty = false;
    } catch (err) {
      // Not fatal: the next ack or tick retries; meanwhile a crash would re-send, not lose.
      if (!this.saveFailing) this.o.log.error('wal: saving cursors failed', { error: (err as Error).message });
      this.saveFailing = true;
      return;
    }
    if (this.saveFailing) this.o.log.info('wal: cursors saved again');
    this.saveFailing = false;
  }

  private syncCursors(): void {
    this.saveCursors();
    try {
      this.cursorStore.sync();
    } catch (err) {
      this.o.log.warn('wal: fsync failed', { what: 'cursors', error: (err as Error).message });
    }
  }

  /** Flushes, fsyncs, saves cursors and releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.cursorTimer);
    clearTimeout(this.syncTimer);
    this.dirty = true;
    this.saveCursors();
    try {
      this.cursorStore.close();
    } catch (err) {
      this.o.log.warn('wal: fsync failed', { what: 'cursors', error: (err as Error).message });
    }
    if (this.fd >= 0) {
      this.fdatasync('segment');
      closeSync(this.fd);
      this.fd = -1;
    }
    this.reader.closeAll();
    releaseLock(this.o.dir);
  }
}
