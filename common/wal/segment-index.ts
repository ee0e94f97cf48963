/** What the index holds of one record (everything but its payload, which stays on disk). */
export interface IndexEntry {
  seq: number;
  /** Byte offset of the payload in the segment file. */
  offset: number;
  length: number;
  samples: number;
  minTimestampMs: number;
  maxTimestampMs: number;
}

const INITIAL_CAPACITY = 256;

/**
 * The in-memory index of one segment file, kept in typed columns (44 bytes a record, no object per
 * record): a full 256 MiB WAL of 1 kB records is ~260k records, ~11 MiB of index. Seqs rise strictly
 * within a segment, so lookups are binary searches. Segments are bounded in size, so offsets fit a u32.
 */
export class SegmentIndex {
  length = 0;
  /** Bytes of the file that hold valid records (the file size, once a torn tail is cut). */
  bytes = 0;
  /** Smallest minTimestampMs and largest maxTimestampMs of the segment. */
  minTimestampMs = Infinity;
  maxTimestampMs = -Infinity;
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private offsets = new Uint32Array(INITIAL_CAPACITY);
  private lengths = new Uint32Array(INITIAL_CAPACITY);
  private samples = new Uint32Array(INITIAL_CAPACITY);
  private minTs = new Float64Array(INITIAL_CAPACITY);
  private maxTs = new Float64Array(INITIAL_CAPACITY);
  /** cumSamples[i] = samples of records 0..i-1 (one longer than the records). */
  private cumSamples = new Float64Array(INITIAL_CAPACITY + 1);

  constructor(
    readonly firstSeq: number,
    readonly file: string,
  ) {}

  /** Adds a record (seqs must rise); fields passed flat, as the scan at open calls this for every record. */
  pushRaw(seq: number, offset: number, length: number, samples: number, minTimestampMs: number, maxTimestampMs: number): void {
    if (this.length === this.seqs.length) this.grow();
    const i = this.length++;
    this.seqs[i] = seq;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.samples[i] = samples;
    this.minTs[i] = minTimestampMs;
    this.maxTs[i] = maxTimestampMs;
    this.cumSamples[i + 1] = this.cumSamples[i]! + samples;
    if (minTimestampMs < this.minTimestampMs) this.minTimestampMs = minTimestampMs;
    if (maxTimestampMs > this.maxTimestampMs) this.maxTimestampMs = maxTimestampMs;
  }

  private grow(): void {
    const n = this.seqs.length * 2;
    const re = <T extends Float64Array | Uint32Array>(a: T, size = n): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.seqs = re(this.seqs);
    this.offsets = re(this.offsets);
    this.lengths = re(this.lengths);
    this.samples = re(this.samples);
    this.minTs = re(this.minTs);
    this.maxTs = re(this.maxTs);
    this.cumSamples = re(this.cumSamples, n + 1);
  }

  seqAt(i: number): number {
    return this.seqs[i]!;
  }

  lastSeq(): number | undefined {
    return this.length > 0 ? this.seqs[this.length - 1] : undefined;
  }

  samplesAt(i: number): number {
    return this.samples[i]!;
  }

  maxTimestampAt(i: number): number {
    return this.maxTs[i]!;
  }

  minTimestampAt(i: number): number {
    return this.minTs[i]!;
  }

  entry(i: number): IndexEntry {
    return {
      seq: this.seqs[i]!,
      offset: this.offsets[i]!,
      length: this.lengths[i]!,
      samples: this.samples[i]!,
      minTimestampMs: this.minTs[i]!,
      maxTimestampMs: this.maxTs[i]!,
    };
  }

  /** Samples of records i..end. */
  samplesFrom(i: number): number {
    return this.cumSamples[this.length]! - this.cumSamples[i]!;
  }

  /** Position of the first record whose seq is above `seq` (length if none). */
  firstAbove(seq: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of the record `seq`, or -1. */
  indexOf(seq: number): number {
    const i = this.firstAbove(seq - 1);
    return i < this.length && this.seqs[i] === seq ? i : -1;
  }
}
