import { closeSync, constants, fdatasyncSync, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { expiredPrefix, segmentAckedByAll, unsentIn } from './bounds.js';
import { readCursorsFile, writeCursorsFile } from './cursor-file.js';
import { ackCursor, settle, skipTo, type Cursor } from './cursor.js';
import { SegmentReader, segmentName, syncDir, walIoError } from './files.js';
import { encodeFrame, HEADER_BYTES } from './frame.js';
import { releaseLock, takeLock } from './lock.js';
import { loadSegments } from './load.js';
import { SegmentIndex } from './segment-index.js';
import { backlogOf, locate, nextAfter, oldestPending } from './stats.js';
import type { WalOptions, WalRecord, WalRecordMeta, WalStats } from './types.js';

export type { WalOptions, WalRecord, WalRecordMeta, WalStats } from './types.js';

/** Cursors are saved at most this often, and after this many acks: a crash re-sends at most that much. */
const CURSOR_SAVE_MS = 1000;
const CURSOR_SAVE_ACKS = 256;

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
  private acksSinceSave = 0;
  private dirty = false;
  private lastFsync = 0;
  private cursorTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly dropped = { samples: 0, records: 0 };
  private corruptSkipped = 0;
  private readonly o: Required<Omit<WalOptions, 'log' | 'now'>> & Pick<WalOptions, 'log'> & { now: () => number };

  private constructor(options: WalOptions) {
    const maxBytes = options.maxBytes ?? 256 * 2 ** 20;
    this.o = {
      maxBytes,
      maxAgeMs: options.maxAgeMs ?? 72 * 3600_000,
      // The floor keeps a tiny bound from making one file per record.
      segmentBytes: options.segmentBytes ?? Math.max(64 * 1024, Math.min(8 * 2 ** 20, Math.floor(maxBytes / 8))),
      fsync: options.fsync ?? 'interval',
      fsyncIntervalMs: options.fsyncIntervalMs ?? 1000,
      now: options.now ?? Date.now,
      dir: options.dir,
      consumers: options.consumers,
      log: options.log,
    };
  }

  /** Opens (creating if needed) the WAL in `dir`. Throws only when the directory cannot be used. */
  static async open(options: WalOptions): Promise<Wal> {
    const wal = new Wal(options);
    try {
      mkdirSync(wal.o.dir, { recursive: true });
      takeLock(wal.o.dir);
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
    const saved = readCursorsFile(this.o.dir, this.o.log);
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
    this.cursorTimer = setInterval(() => this.saveCursors(), CURSOR_SAVE_MS);
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

  private roll(): void {
    if (this.fd >= 0) {
      fdatasyncSync(this.fd);
      closeSync(this.fd);
    }
    const file = join(this.o.dir, segmentName(this.nextSeq));
    this.fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    this.segments.push(new SegmentIndex(this.nextSeq, file));
    syncDir(this.o.dir);
  }

  /** The seq the next append will get. */
  peekNextSeq(): number {
    return this.nextSeq;
  }

  /** Appends one record; resolves with its seq once written (and on disk, with fsync 'always'). */
  async append(payload: Uint8Array, meta: WalRecordMeta): Promise<number> {
    if (this.closed) throw new Error('wal: append after close');
    let active = this.segments.at(-1)!;
    if (active.bytes > 0 && active.bytes + HEADER_BYTES + payload.byteLength > this.o.segmentBytes) {
      this.roll();
      active = this.segments.at(-1)!;
    }
    const seq = this.nextSeq;
    const frame = encodeFrame({ seq, ...meta }, payload);
    try {
      // Positional write: after a failed write (disk full) the next one overwrites the partial frame.
      writeSync(this.fd, frame, 0, frame.length, active.bytes);
    } catch (err) {
      try {
        ftruncateSync(this.fd, active.bytes);
      } catch {
        // the next open cuts the partial frame
      }
      throw walIoError('append to', active.file, err);
    }
    this.nextSeq++;
    active.pushRaw(seq, active.bytes + HEADER_BYTES, payload.byteLength, meta.samples, meta.minTimestampMs, meta.maxTimestampMs);
    active.bytes += frame.length;
    this.totalBytes += frame.length;
    this.sync();
    this.enforceBounds();
    return seq;
  }

  private sync(): void {
    if (this.o.fsync === 'always') fdatasyncSync(this.fd);
    else if (this.o.fsync === 'interval' && !this.syncTimer) {
      const wait = Math.max(0, this.lastFsync + this.o.fsyncIntervalMs - Date.now());
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined;
        this.lastFsync = Date.now();
        if (this.fd >= 0) fdatasyncSync(this.fd);
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
      this.dirty = true;
      this.countDropped('age', expired.records, expired.samples);
    }
    while (this.segments.length > 1) {
      const fullyAcked = segmentAckedByAll(this.segments[0]!, cursors);
      if (!fullyAcked && this.totalBytes <= this.o.maxBytes) break;
      this.dropOldest(!fullyAcked);
    }
    // The active segment alone over the bound (one huge record): roll it so it can go.
    if (this.segments.length === 1 && this.totalBytes > this.o.maxBytes) {
      this.roll();
      this.dropOldest(true);
    }
  }

  private countDropped(reason: 'age' | 'size', records: number, samples: number): void {
    if (records === 0) return;
    this.dropped.records += records;
    this.dropped.samples += samples;
    this.dirty = true;
    this.o.log.warn('wal: bound reached, oldest unsent data dropped', { reason, records, samples });
  }

  private dropOldest(counted: boolean): void {
    const seg = this.segments.shift()!;
    if (counted) {
      const lost = unsentIn(seg, [...this.cursors.values()]);
      this.countDropped('size', lost.records, lost.samples);
    }
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
        out.push({ seq: e.seq, samples: e.samples, minTimestampMs: e.minTimestampMs, maxTimestampMs: e.maxTimestampMs, payload: this.reader.read(seg.file, e.offset, e.length) });
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
    this.dirty = true;
    if (++this.acksSinceSave >= CURSOR_SAVE_ACKS) this.saveCursors();
    this.enforceBounds();
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
      droppedSamplesTotal: this.dropped.samples,
      droppedRecordsTotal: this.dropped.records,
      corruptRecordsSkippedTotal: this.corruptSkipped,
      backlog,
    };
  }

  private saveCursors(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.acksSinceSave = 0;
    try {
      writeCursorsFile(this.o.dir, this.cursors);
    } catch (err) {
      // Not fatal: the next save retries; meanwhile a crash would re-send, not lose.
      this.dirty = true;
      this.o.log.error('wal: saving cursors failed', { error: (err as Error).message });
    }
  }

  /** Flushes, fsyncs, saves cursors and releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.cursorTimer);
    clearTimeout(this.syncTimer);
    this.dirty = true;
    this.saveCursors();
    if (this.fd >= 0) {
      fdatasyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
    this.reader.closeAll();
    releaseLock(this.o.dir);
  }
}
