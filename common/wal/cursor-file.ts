import { closeSync, constants, fdatasyncSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../log.js';
import { parseCursors, serializeCursors, type Cursor } from './cursor.js';
import { writeFileAtomic, writeFully, type WalIo } from './files.js';

const SLOTS_FILE = 'cursors.slots';
/** Written by earlier versions (temp file and rename on every save); read once, then replaced. */
const LEGACY_FILE = 'cursors.json';
/** u32 length of the JSON | u32 crc32 of the rest | u48 generation | 2 spare bytes | JSON. */
const HEADER = 16;
const MIN_SLOT = 16 * 1024;

/**
 * The cursors on disk in two fixed slots of one preallocated file, written in place and in turn.
 * Overwriting bytes the file already holds needs no new disk space, so a full disk never stops a save
 * (a temp file and a rename did: a restart then sent again everything delivered since). A write torn by
 * a crash fails its checksum and the other slot, one save older, is read instead.
 */
export class CursorStore {
  private fd = -1;
  private slotBytes = MIN_SLOT;
  private generation = 0;
  private unsynced = false;

  private constructor(
    private readonly dir: string,
    private readonly io: WalIo,
  ) {}

  /** The saved cursors (none on a first start) and the store to save them in. Throws only when `dir` cannot be read. */
  static open(dir: string, io: WalIo, log: Logger): { store: CursorStore; saved: Map<string, Cursor> } {
    const store = new CursorStore(dir, io);
    const slots = store.readSlots();
    if (slots instanceof Map) return { store, saved: slots };
    // Losing the cursors re-sends what is held (at-least-once); it never loses a record.
    if (slots === 'damaged') log.warn('wal: cursors file unreadable; every record held will be sent again', { file: store.file });
    const saved = slots === 'damaged' ? new Map<string, Cursor>() : readLegacy(dir, log);
    // Makes the slots file now when there is room, else at the first save (which retries until it can).
    try {
      store.create(serializeCursors(saved));
      rmSync(join(dir, LEGACY_FILE), { force: true });
    } catch (err) {
      log.warn('wal: cannot create the cursors file yet; retrying at the next save', { error: (err as Error).message });
    }
    return { store, saved };
  }

  get file(): string {
    return join(this.dir, SLOTS_FILE);
  }

  /** The newest valid slot's cursors, or why there are none. */
  private readSlots(): Map<string, Cursor> | 'missing' | 'damaged' {
    let buf: Buffer;
    try {
      buf = readFileSync(this.file);
    } catch {
      return 'missing';
    }
    const slotBytes = Math.floor(buf.length / 2);
    let best: { gen: number; text: string } | undefined;
    for (const at of [0, slotBytes]) {
      const slot = readSlot(buf.subarray(at, at + slotBytes));
      if (slot && (!best || slot.gen > best.gen)) best = slot;
    }
    if (!best || slotBytes < MIN_SLOT) return 'damaged';
    this.slotBytes = slotBytes;
    this.generation = best.gen;
    this.fd = openSync(this.file, constants.O_RDWR);
    return parseCursors(best.text);
  }

  /** A new file (via temp file and rename) with `text` in slot 0, sized for it. */
  private create(text: string): void {
    const json = Buffer.from(text);
    let slotBytes = MIN_SLOT;
    while (slotBytes < 2 * (HEADER + json.length)) slotBytes *= 2;
    const buf = Buffer.alloc(2 * slotBytes);
    encodeSlot(this.generation + 1, json).copy(buf, 0);
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    writeFileAtomic(this.file, buf, this.io);
    this.fd = openSync(this.file, constants.O_RDWR);
    this.slotBytes = slotBytes;
    this.generation++;
  }

  /** Saves `cursors` (durable at the next sync()). Throws when the write fails; the slot last saved stays good. */
  save(cursors: Map<string, Cursor>): void {
    const text = serializeCursors(cursors);
    const json = Buffer.from(text);
    if (this.fd < 0 || HEADER + json.length > this.slotBytes) {
      this.create(text);
      return;
    }
    // The slot not holding the newest save; after a failed write the same one again, never the good one.
    const slot = (this.generation + 1) % 2;
    writeFully(this.io, this.fd, encodeSlot(this.generation + 1, json), slot * this.slotBytes);
    this.generation++;
    this.unsynced = true;
  }

  sync(): void {
    if (!this.unsynced || this.fd < 0) return;
    fdatasyncSync(this.fd);
    this.unsynced = false;
  }

  close(): void {
    try {
      this.sync();
    } finally {
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
    }
  }
}

function encodeSlot(gen: number, json: Buffer): Buffer {
  const buf = Buffer.alloc(HEADER + json.length);
  buf.writeUInt32LE(json.length, 0);
  buf.writeUIntLE(gen, 8, 6);
  json.copy(buf, HEADER);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

function readSlot(slot: Buffer): { gen: number; text: string } | undefined {
  if (slot.length < HEADER) return undefined;
  const length = slot.readUInt32LE(0);
  if (length === 0 || HEADER + length > slot.length) return undefined;
  const body = slot.subarray(8, HEADER + length);
  if (crc32(body) !== slot.readUInt32LE(4)) return undefined;
  return { gen: slot.readUIntLE(8, 6), text: slot.subarray(HEADER, HEADER + length).toString('utf8') };
}

/** Cursors of the file earlier versions wrote; none when missing, none (with a warn line) when damaged. */
function readLegacy(dir: string, log: Logger): Map<string, Cursor> {
  const file = join(dir, LEGACY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Map(); // first start: every record is pending
  }
  const saved = parseCursors(text);
  // Losing the cursors re-sends what is held (at-least-once); it never loses a record.
  if (saved.size === 0) log.warn('wal: cursors file unreadable; every record held will be sent again', { file });
  return saved;
}
