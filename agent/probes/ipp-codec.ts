/**
 * IPP/1.1 message encoding (RFC 8010) for the one request the printer probe sends,
 * Get-Printer-Attributes (RFC 8011 §4.2.5), and a bounded parser for its response.
 * Pure: no I/O, so it is unit-tested byte by byte.
 */

/** Delimiter tags (RFC 8010 §3.5.1). */
export const TAG = {
  operation: 0x01,
  job: 0x02,
  end: 0x03,
  printer: 0x04,
  unsupported: 0x05,
} as const;

/** Value tags used here (RFC 8010 §3.5.2). */
/** Value tags (RFC 8010 §3.5.2). */
export const V = {
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  nameWithoutLanguage: 0x42,
  keyword: 0x44,
  uri: 0x45,
  charset: 0x47,
  naturalLanguage: 0x48,
  memberAttrName: 0x4a,
  extension: 0x7f,
} as const;

export const OP_GET_PRINTER_ATTRIBUTES = 0x000b;

/** An attribute value as the probe needs it; out-of-band values (unknown, no-value) are null. */
export type IppValue = number | boolean | string | null;

export interface IppGroup {
  tag: number;
  attributes: Map<string, IppValue[]>;
}

export interface IppResponse {
  version: string;
  statusCode: number;
  requestId: number;
  groups: IppGroup[];
}

/** A malformed IPP message; `code` makes errors.ts map it to `protocol`. */
export class IppParseError extends Error {
  readonly code = 'EIPPPARSE';
}

/** One attribute: value tag, name, value (RFC 8010 §3.1.4). */
export function attr(tag: number, name: string, value: Buffer): Buffer {
  const n = Buffer.from(name, 'utf8');
  const head = Buffer.alloc(3);
  head[0] = tag;
  head.writeUInt16BE(n.length, 1);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(value.length, 0);
  return Buffer.concat([head, n, len, value]);
}

/**
 * A Get-Printer-Attributes request. `requested` goes as a 1setOf keyword: the first value
 * carries the name, the others an empty name (RFC 8010 §3.1.5).
 */
export function encodeGetPrinterAttributes(req: { printerUri: string; requestId: number; requested: readonly string[]; user?: string }): Buffer {
  const parts = requestStart(OP_GET_PRINTER_ATTRIBUTES, req);
  req.requested.forEach((kw, i) => parts.push(attr(V.keyword, i === 0 ? 'requested-attributes' : '', Buffer.from(kw, 'ascii'))));
  parts.push(Buffer.from([TAG.end]));
  return Buffer.concat(parts);
}

/** An operation's header and the attributes every request opens with; the caller appends its own and the end tag. */
export function requestStart(operation: number, req: { printerUri: string; requestId: number; user?: string }): Buffer[] {
  const header = Buffer.alloc(8);
  header[0] = 1;
  header[1] = 1;
  header.writeUInt16BE(operation, 2);
  header.writeInt32BE(req.requestId, 4);
  const parts: Buffer[] = [header, Buffer.from([TAG.operation])];
  // The order of these three is fixed by RFC 8011 §4.1.4 and §4.1.5.
  parts.push(attr(V.charset, 'attributes-charset', Buffer.from('utf-8')));
  parts.push(attr(V.naturalLanguage, 'attributes-natural-language', Buffer.from('en')));
  parts.push(attr(V.uri, 'printer-uri', Buffer.from(req.printerUri, 'utf8')));
  if (req.user) parts.push(attr(V.nameWithoutLanguage, 'requesting-user-name', Buffer.from(req.user, 'utf8')));
  return parts;
}

function decodeValue(tag: number, v: Buffer): IppValue {
  if (tag >= 0x10 && tag <= 0x1f) return null; // out-of-band: unsupported, unknown, no-value
  switch (tag) {
    case V.integer:
    case V.enum:
      if (v.length !== 4) throw new IppParseError(`integer of ${v.length} bytes`);
      return v.readInt32BE(0);
    case V.boolean:
      if (v.length !== 1) throw new IppParseError(`boolean of ${v.length} bytes`);
      return v[0] !== 0;
    case V.textWithLanguage:
    case V.nameWithLanguage: {
      // language length + language + text length + text
      if (v.length < 4) throw new IppParseError('short text-with-language');
      const ll = v.readUInt16BE(0);
      if (2 + ll + 2 > v.length) throw new IppParseError('bad text-with-language');
      const tl = v.readUInt16BE(2 + ll);
      if (4 + ll + tl > v.length) throw new IppParseError('bad text-with-language');
      return v.subarray(4 + ll, 4 + ll + tl).toString('utf8');
    }
    case V.dateTime:
    case V.resolution:
    case V.rangeOfInteger:
      return null; // not used by the probe
    default:
      // octetString and the character-string types (text, name, keyword, uri, …).
      return v.toString('utf8');
  }
}

/**
 * Parses an IPP response. Collections are skipped (the probe reads no collection attribute);
 * every length is bounds-checked so a truncated or hostile message throws IppParseError.
 */
export function parseIppResponse(buf: Buffer): IppResponse {
  if (buf.length < 9) throw new IppParseError('message shorter than its header');
  const res: IppResponse = {
    version: `${buf[0]}.${buf[1]}`,
    statusCode: buf.readUInt16BE(2),
    requestId: buf.readInt32BE(4),
    groups: [],
  };
  let pos = 8;
  let group: IppGroup | undefined;
  let last: IppValue[] | undefined;
  let depth = 0;
  const need = (n: number): void => {
    if (pos + n > buf.length) throw new IppParseError('message truncated');
  };
  for (;;) {
    need(1);
    const tag = buf[pos]!;
    if (tag < 0x10 && depth === 0) {
      pos += 1;
      if (tag === TAG.end) return res;
      group = { tag, attributes: new Map() };
      res.groups.push(group);
      last = undefined;
      continue;
    }
    need(3);
    let valueTag = tag;
    pos += 1;
    if (tag === V.extension) {
      // RFC 8010 §3.5.2: the real tag follows as four bytes; treat it as opaque.
      valueTag = V.octetString;
    }
    const nameLen = buf.readUInt16BE(pos);
    pos += 2;
    need(nameLen + 2);
    const name = buf.subarray(pos, pos + nameLen).toString('utf8');
    pos += nameLen;
    const valueLen = buf.readUInt16BE(pos);
    pos += 2;
    need(valueLen);
    const value = buf.subarray(pos, pos + valueLen);
    pos += valueLen;
    if (valueTag === V.begCollection) {
      if (depth === 0) pushValue(name, null);
      depth += 1;
      continue;
    }
    if (valueTag === V.endCollection) {
      if (depth === 0) throw new IppParseError('endCollection outside a collection');
      depth -= 1;
      continue;
    }
    if (depth > 0) continue;
    pushValue(name, decodeValue(valueTag, value));
  }

  function pushValue(name: string, v: IppValue): void {
    if (!group) throw new IppParseError('attribute before any group');
    if (name === '') {
      if (!last) throw new IppParseError('additional value without an attribute');
      last.push(v);
      return;
    }
    last = [v];
    group.attributes.set(name, last);
  }
}

/** The first printer-attributes group's values of `name`, or undefined. */
export function printerAttr(res: IppResponse, name: string): IppValue[] | undefined {
  return res.groups.find((g) => g.tag === TAG.printer)?.attributes.get(name);
}
