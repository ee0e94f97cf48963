import { describe, expect, it } from 'vitest';
import { encodeGetPrinterAttributes, IppParseError, parseIppResponse, printerAttr, TAG } from './ipp-codec.js';

/** One attribute in wire form: value tag, name, value. */
function a(tag: number, name: string, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  const n = Buffer.from(name);
  const b = Buffer.alloc(5 + n.length + v.length);
  b[0] = tag;
  b.writeUInt16BE(n.length, 1);
  n.copy(b, 3);
  b.writeUInt16BE(v.length, 3 + n.length);
  v.copy(b, 5 + n.length);
  return b;
}
const int = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const header = (status: number, id: number): Buffer => {
  const b = Buffer.alloc(8);
  b[0] = 1;
  b[1] = 1;
  b.writeUInt16BE(status, 2);
  b.writeInt32BE(id, 4);
  return b;
};

describe('encodeGetPrinterAttributes', () => {
  it('writes the RFC 8010 header, the operation attributes in order and a 1setOf keyword', () => {
    const req = encodeGetPrinterAttributes({ printerUri: 'ipp://p:631/ipp/print', requestId: 7, requested: ['printer-state', 'marker-levels'] });
    const expected = Buffer.concat([
      Buffer.from([1, 1, 0x00, 0x0b, 0, 0, 0, 7, TAG.operation]),
      a(0x47, 'attributes-charset', 'utf-8'),
      a(0x48, 'attributes-natural-language', 'en'),
      a(0x45, 'printer-uri', 'ipp://p:631/ipp/print'),
      a(0x44, 'requested-attributes', 'printer-state'),
      a(0x44, '', 'marker-levels'),
      Buffer.from([TAG.end]),
    ]);
    expect(req.equals(expected)).toBe(true);
  });

  it('round-trips through the parser', () => {
    const req = encodeGetPrinterAttributes({ printerUri: 'ipp://p/x', requestId: 42, requested: ['a', 'b', 'c'], user: 'centerwatch' });
    const parsed = parseIppResponse(req);
    expect(parsed.requestId).toBe(42);
    expect(parsed.statusCode).toBe(0x000b); // the operation id sits where a response has its status
    expect(parsed.groups[0]!.attributes.get('requested-attributes')).toEqual(['a', 'b', 'c']);
    expect(parsed.groups[0]!.attributes.get('requesting-user-name')).toEqual(['centerwatch']);
  });
});

describe('parseIppResponse', () => {
  const body = Buffer.concat([
    header(0x0000, 9),
    Buffer.from([TAG.operation]),
    a(0x47, 'attributes-charset', 'utf-8'),
    Buffer.from([TAG.printer]),
    a(0x23, 'printer-state', int(5)),
    a(0x44, 'printer-state-reasons', 'media-empty-error'),
    a(0x44, '', 'toner-low-report'),
    a(0x22, 'printer-is-accepting-jobs', Buffer.from([0])),
    a(0x36, 'marker-names', Buffer.concat([Buffer.from([0, 2]), Buffer.from('vi'), Buffer.from([0, 5]), Buffer.from('Black')])),
    a(0x21, 'marker-levels', int(-2)),
    a(0x34, 'media-col-default', ''),
    a(0x4a, '', 'media-size'),
    a(0x34, '', ''),
    a(0x4a, '', 'x-dimension'),
    a(0x21, '', int(21000)),
    a(0x37, '', ''),
    a(0x37, '', ''),
    a(0x13, 'printer-alert', ''),
    a(0x21, 'queued-job-count', int(3)),
    Buffer.from([TAG.end]),
  ]);

  it('decodes integers, enums, booleans, keywords, 1setOf and name-with-language; skips collections', () => {
    const res = parseIppResponse(body);
    expect(res).toMatchObject({ version: '1.1', statusCode: 0, requestId: 9 });
    expect(res.groups.map((g) => g.tag)).toEqual([TAG.operation, TAG.printer]);
    expect(printerAttr(res, 'printer-state')).toEqual([5]);
    expect(printerAttr(res, 'printer-state-reasons')).toEqual(['media-empty-error', 'toner-low-report']);
    expect(printerAttr(res, 'printer-is-accepting-jobs')).toEqual([false]);
    expect(printerAttr(res, 'marker-levels')).toEqual([-2]);
    expect(printerAttr(res, 'media-col-default')).toEqual([null]);
    expect(printerAttr(res, 'printer-alert')).toEqual([null]);
    expect(printerAttr(res, 'queued-job-count')).toEqual([3]);
    expect(printerAttr(res, 'x-dimension')).toBeUndefined();
  });

  it('decodes the UTF-8 text of a nameWithLanguage value', () => {
    const text = Buffer.from('Mực đen');
    const v = Buffer.concat([Buffer.from([0, 2]), Buffer.from('vi'), Buffer.from([0, text.length]), text]);
    const res = parseIppResponse(Buffer.concat([header(0, 1), Buffer.from([TAG.printer]), a(0x36, 'marker-names', v), Buffer.from([TAG.end])]));
    expect(printerAttr(res, 'marker-names')).toEqual(['Mực đen']);
  });

  it('throws IppParseError on every truncation instead of reading past the end', () => {
    for (let n = 0; n < body.length; n++) {
      expect(() => parseIppResponse(body.subarray(0, n)), `cut at ${n}`).toThrow(IppParseError);
    }
  });

  it('rejects a value of the wrong size and an additional value with nothing before it', () => {
    expect(() => parseIppResponse(Buffer.concat([header(0, 1), Buffer.from([TAG.printer]), a(0x21, 'x', Buffer.from([1, 2])), Buffer.from([3])]))).toThrow(
      IppParseError,
    );
    expect(() => parseIppResponse(Buffer.concat([header(0, 1), Buffer.from([TAG.printer]), a(0x44, '', 'x'), Buffer.from([3])]))).toThrow(IppParseError);
    expect(() => parseIppResponse(Buffer.concat([header(0, 1), a(0x44, 'x', 'y'), Buffer.from([3])]))).toThrow(IppParseError);
  });
});
