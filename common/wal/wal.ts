import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { ackCursor, isAcked, parseCursors, serializeCursors, skipTo, type Cursor } from './cursor.js';
import { encodeFrame, readFrame } from './frame.js';
import { takeLock, releaseLock } from './lock.js';

export interface WalOptions {
  /** Directory owned by this WAL (created if missing). */
  dir: string;
  /** Upper bound of all segment files together, in bytes; oldest segments dropped first. Default 256 MiB. */
  maxBytes?: number;
  /** Records whose newest sample is older than this are dropped. Default 72 h. */
  maxAgeMs?: number;
  /** Size at which a segment is closed and a new one started. Default min(8 MiB, maxBytes / 8). */
  segmentBytes?: number;
  /** 'always': fsync before append() resolves; 'interval': at most every fsyncIntervalMs; 'never'. Default 'interval'. */
  fsync?: 'always' | 'interval' | 'never';
  /** Default 1000. */
  fsyncIntervalMs?: number;
  /** Named consumers, each with its own durable cursor (e.g. one per push target). */
  consumers: string[];
  log: Logger;
  now?: () => number;
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
  droppedSamplesTotal: number;
  droppedRecordsTotal: number;
  corruptRecordsSkippedTotal: number;
  backlog: Record<string, { records: number; samples: number }>;
}

interface Entry extends WalRecordMeta {
  seq: number;
  offset: number;
  length: number;
}
interface Segment {
  firstSeq: number;
  file: string;
  bytes: number;
  entries: Entry[];
}

const SEGMENT_SUFFIX = '.seg';
const CURSORS_FILE = 'cursors.json';
const CURSOR_SAVE_MS = 1000;

/**
 * A durable, bounded write-ahead log of opaque records (snappy WriteRequest bodies) read by named
 * consumers, each with its own cursor. Survives kill -9 at any moment: a torn tail is cut at open, an
 * acked-by-the-WAL record (append resolved with fsync 'always') is never lost, and a few records may be
 * delivered twice after a crash (cursors are saved at most once a second).
 * Synchronous file I/O on small writes: it keeps the ordering obvious and costs microseconds.
 */
export class Wal {
  private segments: Segment[] = [];
  private fd = -1;
  private nextSeq = 1;
  private totalBytes = 0;
  private readonly cursors: Map<string, Cursor>;
  private readonly readFds = new Map<string, number>();
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
      segmentBytes: options.segmentBytes ?? Math.max(64 * 1024, Math.min(8 * 2 ** 20, Math.floor(maxBytes / 8))),
      fsync: options.fsync ?? 'interval',
      fsyncIntervalMs: options.fsyncIntervalMs ?? 1000,
      now: options.now ?? Date.now,
      dir: options.dir,
      consumers: options.consumers,
      log: options.log,
    };
    this.cursors = new Map();
  }

  static async open(options: WalOptions): Promise<Wal> {
    const wal = new Wal(options);
    wal.load();
    return wal;
  }

  private load(): void {
    mkdirSync(this.o.dir, { recursive: true });
    takeLock(this.o.dir);
    const names = readdirSync(this.o.dir)
      .filter((n) => n.endsWith(SEGMENT_SUFFIX))
      .sort();
    names.forEach((name, i) => this.scan(join(this.o.dir, name), i === names.length - 1));
    const last = this.segments.at(-1)?.entries.at(-1);
    this.nextSeq = last ? last.seq + 1 : this.nextSeqFromNames(names);
    let saved = new Map<string, Cursor>();
    try {
      saved = parseCursors(readFileSync(join(this.o.dir, CURSORS_FILE), 'utf8'));
    } catch {
      // no cursors yet: every record is pending
    }
    const first = this.firstSeq();
    for (const name of this.o.consumers) {
      const c = saved.get(name) ?? { low: first - 1, above: new Set<number>() };
      skipTo(c, first);
      this.cursors.set(name, c);
    }
    this.openActive();
    this.enforceBounds();
    this.cursorTimer = setInterval(() => this.saveCursors(), CURSOR_SAVE_MS);
    this.cursorTimer.unref();
  }

  /** Reads one segment's frames into the index; cuts a torn tail, skips past corruption. */
  private scan(file: string, isLast: boolean): void {
    const buf = readFileSync(file);
    const firstSeq = Number.parseInt(file.slice(file.lastIndexOf('/') + 1), 10);
    const seg: Segment = { firstSeq, file, bytes: buf.length, entries: [] };
    let offset = 0;
    for (;;) {
      const f = readFrame(buf, offset);
      if (f.kind === 'end') break;
      if (f.kind === 'corrupt') {
        this.corruptSkipped++;
        if (isLast) {
          this.o.log.warn('wal: cut a torn or corrupt tail (power cut or kill during a write)', { file, offset, why: f.why, bytes_cut: buf.length - offset });
          truncateSync(file, offset);
        } else {
          this.o.log.warn('wal: corrupt record in an old segment; the rest of that segment is skipped', { file, offset, why: f.why });
        }
        if (isLast) seg.bytes = offset;
        break;
      }
      const prev = seg.entries.at(-1) ?? this.segments.at(-1)?.entries.at(-1);
      if (prev && f.meta.seq <= prev.seq) {
        this.o.log.warn('wal: record out of sequence; the rest of that segment is skipped', { file, offset });
        this.corruptSkipped++;
        if (isLast) {
          truncateSync(file, offset);
          seg.bytes = offset;
        }
        break;
      }
      seg.entries.push({ ...f.meta, offset: f.payloadOffset, length: f.payloadLength });
      offset = f.next;
    }
    if (seg.entries.length === 0 && !isLast) {
      rmSync(file, { force: true });
      return;
    }
    this.segments.push(seg);
    this.totalBytes += seg.bytes;
  }

  private nextSeqFromNames(names: string[]): number {
    const last = names.at(-1);
    return last ? Math.max(1, Number.parseInt(last, 10)) : 1;
  }

  private firstSeq(): number {
    for (const s of this.segments) if (s.entries.length > 0) return s.entries[0]!.seq;
    return this.nextSeq;
  }

  private openActive(): void {
    const active = this.segments.at(-1);
    if (active && active.bytes < this.o.segmentBytes) {
      this.fd = openSync(active.file, 'a');
      return;
    }
    this.roll();
  }

  private roll(): void {
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
    const file = join(this.o.dir, `${String(this.nextSeq).padStart(16, '0')}${SEGMENT_SUFFIX}`);
    this.fd = openSync(file, 'a');
    this.segments.push({ firstSeq: this.nextSeq, file, bytes: 0, entries: [] });
    this.syncDir();
  }

  private syncDir(): void {
    const dfd = openSync(this.o.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  /** The seq the next append will get. */
  peekNextSeq(): number {
    return this.nextSeq;
  }

  /** Appends one record; resolves with its seq once written (and on disk, with fsync 'always'). */
  async append(payload: Uint8Array, meta: WalRecordMeta): Promise<number> {
    if (this.closed) throw new Error('wal is closed');
    let active = this.segments.at(-1)!;
    if (active.bytes > 0 && active.bytes + payload.byteLength > this.o.segmentBytes) {
      this.roll();
      active = this.segments.at(-1)!;
    }
    const seq = this.nextSeq++;
    const frame = encodeFrame({ seq, ...meta }, payload);
    writeSync(this.fd, frame, 0, frame.length, active.bytes);
    active.entries.push({ seq, ...meta, offset: active.bytes + frame.length - payload.byteLength, length: payload.byteLength });
    active.bytes += frame.length;
    this.totalBytes += frame.length;
    this.sync();
    this.enforceBounds();
    return seq;
  }

  private sync(): void {
    if (this.o.fsync === 'always') fsyncSync(this.fd);
    else if (this.o.fsync === 'interval' && !this.syncTimer) {
      const wait = Math.max(0, this.lastFsync + this.o.fsyncIntervalMs - this.o.now());
      this.syncTimer = setTimeout(() => {
        this.syncTimer = undefined;
        this.lastFsync = this.o.now();
        if (this.fd >= 0) fsyncSync(this.fd);
      }, wait);
      this.syncTimer.unref();
    }
  }

  /** Drops whole segments: fully acked ones, then the oldest while over the size or age bound. */
  private enforceBounds(): void {
    const cutoff = this.o.now() - this.o.maxAgeMs;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const fullyAcked = oldest.entries.every((e) => this.ackedByAll(e.seq));
      const tooOld = oldest.entries.every((e) => e.maxTimestampMs < cutoff);
      if (!fullyAcked && !tooOld && this.totalBytes <= this.o.maxBytes) break;
      this.dropOldest(fullyAcked ? undefined : tooOld ? 'age' : 'size');
    }
    // One segment over the bound alone: start a new one so the old can go next time.
    const only = this.segments[0];
    if (this.segments.length === 1 && only && only.bytes > this.o.maxBytes) this.roll();
    if (this.segments.length > 1 && this.totalBytes > this.o.maxBytes) this.enforceBounds();
  }

  private ackedByAll(seq: number): boolean {
    for (const c of this.cursors.values()) if (!isAcked(c, seq)) return false;
    return true;
  }

  private dropOldest(reason: 'age' | 'size' | undefined): void {
    const seg = this.segments.shift()!;
    if (reason) {
      const lost = seg.entries.filter((e) => !this.ackedByAll(e.seq));
      const samples = lost.reduce((n, e) => n + e.samples, 0);
      this.dropped.records += lost.length;
      this.dropped.samples += samples;
      if (lost.length > 0) this.o.log.warn('wal: bound reached, oldest unsent data dropped', { reason, records: lost.length, samples });
    }
    const rfd = this.readFds.get(seg.file);
    if (rfd !== undefined) closeSync(rfd);
    this.readFds.delete(seg.file);
    rmSync(seg.file, { force: true });
    this.totalBytes -= seg.bytes;
    const first = this.firstSeq();
    for (const c of this.cursors.values()) skipTo(c, first);
  }

  /** Up to `max` records `consumer` has not acked, oldest first. */
  async readOldest(consumer: string, max: number): Promise<WalRecord[]> {
    const cursor = this.cursorOf(consumer);
    const out: WalRecord[] = [];
    for (const seg of this.segments) {
      if (seg.entries.length === 0 || seg.entries.at(-1)!.seq <= cursor.low) continue;
      for (let i = firstAboveEntry(seg.entries, cursor.low); i < seg.entries.length && out.length < max; i++) {
        const e = seg.entries[i]!;
        if (cursor.above.has(e.seq)) continue;
        out.push({ seq: e.seq, samples: e.samples, minTimestampMs: e.minTimestampMs, maxTimestampMs: e.maxTimestampMs, payload: this.readPayload(seg, e) });
      }
      if (out.length >= max) break;
    }
    return out;
  }

  private readPayload(seg: Segment, e: Entry): Buffer {
    let fd = this.readFds.get(seg.file);
    if (fd === undefined) {
      fd = openSync(seg.file, 'r');
      this.readFds.set(seg.file, fd);
    }
    const buf = Buffer.allocUnsafe(e.length);
    readSync(fd, buf, 0, e.length, e.offset);
    return buf;
  }

  /** Marks one record delivered for `consumer`; acks may arrive out of order. */
  async ack(consumer: string, seq: number): Promise<void> {
    const cursor = this.cursorOf(consumer);
    ackCursor(cursor, seq, (s) => this.nextAfter(s));
    this.dirty = true;
    this.enforceBounds();
  }

  /** The seq of the record after `seq` still in the WAL, or undefined. */
  private nextAfter(seq: number): number | undefined {
    for (const seg of this.segments) {
      if (seg.entries.length === 0 || seg.entries.at(-1)!.seq <= seq) continue;
      return seg.entries[firstAboveEntry(seg.entries, seq)]!.seq;
    }
    return undefined;
  }

  private cursorOf(consumer: string): Cursor {
    const c = this.cursors.get(consumer);
    if (!c) throw new Error(`wal: unknown consumer ${consumer}`);
    return c;
  }

  stats(): WalStats {
    const backlog: WalStats['backlog'] = {};
    let oldest: number | undefined;
    for (const [name, c] of this.cursors) {
      let records = 0;
      let samples = 0;
      for (const seg of this.segments) {
        for (let i = firstAboveEntry(seg.entries, c.low); i < seg.entries.length; i++) {
          const e = seg.entries[i]!;
          if (c.above.has(e.seq)) continue;
          records++;
          samples += e.samples;
          if (oldest === undefined || e.minTimestampMs < oldest) oldest = e.minTimestampMs;
        }
      }
      backlog[name] = { records, samples };
    }
    return {
      bytes: this.totalBytes,
      segments: this.segments.length,
      oldestTimestampMs: oldest,
      droppedSamplesTotal: this.dropped.samples,
      droppedRecordsTotal: this.dropped.records,
      corruptRecordsSkippedTotal: this.corruptSkipped,
      backlog,
    };
  }

  private saveCursors(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const tmp = join(this.o.dir, `${CURSORS_FILE}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, serializeCursors(this.cursors));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.o.dir, CURSORS_FILE));
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
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
    releaseLock(this.o.dir);
  }
}

function firstAboveEntry(entries: readonly Entry[], low: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.seq <= low) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

