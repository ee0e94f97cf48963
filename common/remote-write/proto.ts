/**
 * Prometheus remote_write 1.0 `WriteRequest` protobuf, written by hand: only the fields remote_write 1.0
 * defines for samples (timeseries → labels, samples) are read and written; metadata, exemplars and native
 * histograms are skipped on decode. A generated codec would allocate a message object per label and
 * sample; this one reads straight into the shapes the receiver uses.
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 */

export interface Label {
  name: string;
  value: string;
}
export interface Sample {
  value: number;
  timestampMs: number;
}
export interface TimeSeries {
  labels: Label[];
  samples: Sample[];
}

/** Bounds checked while decoding, so a hostile body costs at most this much work. */
export interface DecodeLimits {
  maxSeries: number;
  maxLabelsPerSeries: number;
  maxSamplesPerSeries: number;
  maxLabelNameBytes: number;
  maxLabelValueBytes: number;
}

export type DecodeProblem = 'malformed' | 'too_many_series' | 'too_many_labels' | 'too_many_samples' | 'label_too_long' | 'invalid_label';

export type DecodeResult = { ok: true; series: TimeSeries[]; samples: number } | { ok: false; problem: DecodeProblem; detail: string };

class Malformed extends Error {
  constructor(
    readonly problem: DecodeProblem,
    detail: string,
  ) {
    super(detail);
  }
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

// ---------- encoding ----------

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** int64 as protobuf varint: negative values take ten bytes (two's complement). */
function int64Size(v: number): number {
  return v < 0 ? 10 : varintSize(v);
}

function labelSize(l: Label): number {
  const n = Buffer.byteLength(l.name);
  const v = Buffer.byteLength(l.value);
  return 1 + varintSize(n) + n + 1 + varintSize(v) + v;
}

function sampleSize(s: Sample): number {
  return 1 + 8 + 1 + int64Size(s.timestampMs);
}

function seriesSize(ts: TimeSeries): number {
  let size = 0;
  for (const l of ts.labels) {
    const ls = labelSize(l);
    size += 1 + varintSize(ls) + ls;
  }
  for (const s of ts.samples) {
    const ss = sampleSize(s);
    size += 1 + varintSize(ss) + ss;
  }
  return size;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  varint(v: number): void {
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  int64(v: number): void {
    if (v >= 0) return this.varint(v);
    let big = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    this.buf[this.pos++] = Number(big);
  }
  string(field: number, s: string): void {
    const n = Buffer.byteLength(s);
    this.byte((field << 3) | WIRE_LEN);
    this.varint(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}

/** Encodes series into a WriteRequest body (uncompressed). */
export function encodeWriteRequest(series: readonly TimeSeries[]): Buffer {
  const sizes = series.map(seriesSize);
  let total = 0;
  for (const size of sizes) total += 1 + varintSize(size) + size;
  const w = new Writer(Buffer.allocUnsafe(total));
  series.forEach((ts, i) => {
    w.byte((1 << 3) | WIRE_LEN);
    w.varint(sizes[i]!);
    for (const l of ts.labels) {
      w.byte((1 << 3) | WIRE_LEN);
      w.varint(labelSize(l));
      w.string(1, l.name);
      w.string(2, l.value);
    }
    for (const s of ts.samples) {
      w.byte((2 << 3) | WIRE_LEN);
      w.varint(sampleSize(s));
      w.byte((1 << 3) | WIRE_FIXED64);
      w.buf.writeDoubleLE(s.value, w.pos);
      w.pos += 8;
      w.byte((2 << 3) | WIRE_VARINT);
      w.int64(s.timestampMs);
    }
  });
  return w.buf;
}

// ---------- decoding ----------

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  varint(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new Malformed('malformed', 'truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 128) return result;
      mul *= 128;
    }
    return this.longVarint(start);
  }
  /** Past 56 bits (in practice: a negative int64, ten bytes) exact arithmetic needs BigInt. */
  private longVarint(start: number): number {
    this.pos = start;
    let result = 0n;
    for (let i = 0n; i < 10n; i++) {
      if (this.pos >= this.end) throw new Malformed('malformed', 'truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << (7n * i);
      if (b < 128) return Number(BigInt.asIntN(64, result));
    }
    throw new Malformed('malformed', 'varint longer than 10 bytes');
  }
  len(): number {
    const n = this.varint();
    if (n > this.end - this.pos) throw new Malformed('malformed', 'length past the end of the message');
    return n;
  }
  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.advance(8);
    else if (wire === WIRE_LEN) this.advance(this.len());
    else if (wire === WIRE_FIXED32) this.advance(4);
    else throw new Malformed('malformed', `unsupported wire type ${wire}`);
  }
  advance(n: number): void {
    if (n > this.end - this.pos) throw new Malformed('malformed', 'field past the end of the message');
    this.pos += n;
  }
}

function decodeLabel(r: Reader, end: number, limits: DecodeLimits): Label {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if ((field === 1 || field === 2) && wire === WIRE_LEN) {
      const n = r.len();
      if (n > (field === 1 ? limits.maxLabelNameBytes : limits.maxLabelValueBytes)) {
        throw new Malformed('label_too_long', `label ${field === 1 ? 'name' : 'value'} of ${n} bytes`);
      }
      const s = r.buf.toString('utf8', r.pos, r.pos + n);
      r.pos += n;
      if (field === 1) name = s;
      else value = s;
    } else r.skip(wire);
  }
  if (r.pos !== end) throw new Malformed('malformed', 'field crosses the end of its label');
  return { name, value };
}

function decodeSample(r: Reader, end: number): Sample {
  let value = 0;
  let timestampMs = 0;
  while (r.pos < end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1 && wire === WIRE_FIXED64) {
      r.advance(8);
      value = r.buf.readDoubleLE(r.pos - 8);
    } else if (field === 2 && wire === WIRE_VARINT) timestampMs = r.varint();
    else r.skip(wire);
  }
  if (r.pos !== end) throw new Malformed('malformed', 'field crosses the end of its sample');
  return { value, timestampMs };
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function decodeSeries(r: Reader, end: number, limits: DecodeLimits): TimeSeries {
  const labels: Label[] = [];
  const samples: Sample[] = [];
  while (r.pos < end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1 && wire === WIRE_LEN) {
      if (labels.length >= limits.maxLabelsPerSeries) throw new Malformed('too_many_labels', `more than ${limits.maxLabelsPerSeries} labels in a series`);
      const n = r.len();
      const label = decodeLabel(r, r.pos + n, limits);
      if (!LABEL_NAME.test(label.name)) throw new Malformed('invalid_label', `invalid label name ${JSON.stringify(label.name.slice(0, 64))}`);
      labels.push(label);
    } else if (field === 2 && wire === WIRE_LEN) {
      if (samples.length >= limits.maxSamplesPerSeries) throw new Malformed('too_many_samples', `more than ${limits.maxSamplesPerSeries} samples in a series`);
      const n = r.len();
      samples.push(decodeSample(r, r.pos + n));
    } else r.skip(wire);
  }
  if (r.pos !== end) throw new Malformed('malformed', 'field crosses the end of its series');
  return { labels, samples };
}

/** Decodes an uncompressed WriteRequest body. Never throws: a bad body is a problem with a short detail. */
export function decodeWriteRequest(body: Buffer, limits: DecodeLimits): DecodeResult {
  const r = new Reader(body, 0, body.length);
  const series: TimeSeries[] = [];
  let samples = 0;
  try {
    while (r.pos < r.end) {
      const key = r.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (field === 1 && wire === WIRE_LEN) {
        if (series.length >= limits.maxSeries) return { ok: false, problem: 'too_many_series', detail: `more than ${limits.maxSeries} series in one request` };
        const n = r.len();
        const ts = decodeSeries(r, r.pos + n, limits);
        samples += ts.samples.length;
        series.push(ts);
      } else if (field === 0) {
        return { ok: false, problem: 'malformed', detail: 'field number 0' };
      } else r.skip(wire);
    }
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, problem: err.problem, detail: err.message };
    throw err;
  }
  return { ok: true, series, samples };
}
