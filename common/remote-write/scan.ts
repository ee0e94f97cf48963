/**
 * A second, cheaper reading of a WriteRequest for the receiver's steady state: it walks the message
 * without creating a string per label, and gives each series its label bytes as one latin1 string (a
 * key that is the same for the same label set sent the same way) and its newest sample. A series the
 * server has seen before needs nothing more; an unknown one sends the request to the full decoder.
 */
import type { DecodeLimits } from './proto.js';

export interface ScannedSeries {
  /** The series' label fields, byte for byte (latin1: one char per byte). */
  key: string;
  samples: number;
  newestValue: number;
  newestTimestampMs: number;
}

export interface ScannedRequest {
  series: ScannedSeries[];
  samples: number;
  /** The oldest and newest timestamps of the whole request (Infinity and -Infinity without samples): the receiver's time bounds. */
  oldestTimestampMs: number;
  newestTimestampMs: number;
}

/** undefined: the body needs the full decoder (malformed, over a limit, or laid out unusually). */
export function scanWriteRequest(body: Buffer, limits: DecodeLimits): ScannedRequest | undefined {
  const series: ScannedSeries[] = [];
  let samples = 0;
  let oldest = Infinity;
  let newest = -Infinity;
  let pos = 0;
  const end = body.length;
  // Varints here are lengths and keys: small. Anything unusual goes to the full decoder.
  const varint = (): number => {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= end) return -1;
      const b = body[pos++]!;
      result += (b & 0x7f) * shift;
      if (b < 128) return result;
      shift *= 128;
    }
    return -1;
  };
  while (pos < end) {
    if (body[pos] !== 0x0a) return undefined; // only timeseries fields (1, length-delimited)
    pos++;
    const len = varint();
    if (len < 0 || len > end - pos) return undefined;
    if (series.length >= limits.maxSeries) return undefined;
    const tsEnd = pos + len;
    const labelsStart = pos;
    let labels = 0;
    // Labels first (field 1), as every remote_write sender writes them.
    while (pos < tsEnd && body[pos] === 0x0a) {
      pos++;
      const n = varint();
      if (n < 0 || n > tsEnd - pos || ++labels > limits.maxLabelsPerSeries) return undefined;
      pos += n;
    }
    const labelsEnd = pos;
    let count = 0;
    let newestValue = 0;
    let newestTs = -Infinity;
    // Then samples (field 2): { double value = 1; int64 timestamp = 2 } in that order.
    while (pos < tsEnd && body[pos] === 0x12) {
      pos++;
      const n = varint();
      if (n < 0 || n > tsEnd - pos || ++count > limits.maxSamplesPerSeries) return undefined;
      const sEnd = pos + n;
      if (body[pos] !== 0x09 || n < 11 || body[pos + 9] !== 0x10) return undefined;
      const value = body.readDoubleLE(pos + 1);
      pos += 10;
      const ts = varint();
      if (ts < 0 || pos !== sEnd) return undefined;
      if (ts > newestTs) {
        newestTs = ts;
        newestValue = value;
      }
      if (ts < oldest) oldest = ts;
    }
    if (pos !== tsEnd || labels === 0) return undefined;
    samples += count;
    if (newestTs > newest) newest = newestTs;
    series.push({ key: body.toString('latin1', labelsStart, labelsEnd), samples: count, newestValue, newestTimestampMs: newestTs });
  }
  return { series, samples, oldestTimestampMs: oldest, newestTimestampMs: newest };
}
