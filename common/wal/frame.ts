import { crc32 } from 'node:zlib';

/**
 * One WAL record on disk:
 *   u32 payload length | u32 crc32 of everything after it | u48 seq | u32 samples | f64 min ts ms | f64 max ts ms | payload
 * The checksum covers the header fields too, so a torn header is caught like a torn payload.
 */
export const HEADER_BYTES = 34;
/** A record larger than this is not a record: it is a corrupt length field. */
export const MAX_PAYLOAD_BYTES = 64 * 2 ** 20;

export interface FrameMeta {
  seq: number;
  samples: number;
  minTimestampMs: number;
  maxTimestampMs: number;
}

export function encodeFrame(meta: FrameMeta, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
  buf.writeUInt32LE(payload.byteLength, 0);
  buf.writeUIntLE(meta.seq, 8, 6);
  buf.writeUInt32LE(meta.samples, 14);
  buf.writeDoubleLE(meta.minTimestampMs, 18);
  buf.writeDoubleLE(meta.maxTimestampMs, 26);
  buf.set(payload, HEADER_BYTES);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

export type FrameRead =
  { kind: 'record'; meta: FrameMeta; payloadOffset: number; payloadLength: number; next: number } | { kind: 'end' } | { kind: 'corrupt'; why: string };

/**
 * Checks the frame at `offset` without allocating (the scan at open runs it on every record): the offset
 * of the next frame, -1 at the end of the bytes, or why the frame is torn or corrupt. Never throws.
 */
export function checkFrame(buf: Buffer, offset: number): number | string {
  if (offset === buf.length) return -1;
  if (buf.length - offset < HEADER_BYTES) return 'torn header';
  const length = buf.readUInt32LE(offset);
  if (length > MAX_PAYLOAD_BYTES) return 'impossible length';
  const next = offset + HEADER_BYTES + length;
  if (next > buf.length) return 'torn payload';
  if (crc32(buf.subarray(offset + 8, next)) !== buf.readUInt32LE(offset + 4)) return 'checksum mismatch';
  return next;
}

/** The header fields of a frame that passed checkFrame. */
export function frameMeta(buf: Buffer, offset: number): FrameMeta {
  return {
    seq: frameSeq(buf, offset),
    samples: buf.readUInt32LE(offset + 14),
    minTimestampMs: buf.readDoubleLE(offset + 18),
    maxTimestampMs: buf.readDoubleLE(offset + 26),
  };
}

export function frameSeq(buf: Buffer, offset: number): number {
  return buf.readUIntLE(offset + 8, 6);
}

/** Reads the frame at `offset` of a segment's bytes; never throws. */
export function readFrame(buf: Buffer, offset: number): FrameRead {
  const next = checkFrame(buf, offset);
  if (typeof next === 'string') return { kind: 'corrupt', why: next };
  if (next === -1) return { kind: 'end' };
  return { kind: 'record', meta: frameMeta(buf, offset), payloadOffset: offset + HEADER_BYTES, payloadLength: next - offset - HEADER_BYTES, next };
}
