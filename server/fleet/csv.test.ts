import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv, sniffSeparator } from './csv.js';
import { parseInventory } from './inventory.js';

/** RFC 4180 quoting, as a spreadsheet writes it: a field with the separator, a quote or a line break is quoted. */
function writeCsv(rows: string[][], separator: ',' | ';', eol: string): string {
  const field = (v: string) => (v.includes(separator) || /["\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((r) => r.map(field).join(separator)).join(eol) + eol;
}

const values = (rows: ReturnType<typeof parseCsv>['rows']) => rows.map((r) => r.cells.map((c) => c.value));

describe('CSV', () => {
  it('round-trips any text through quoting: separators, quotes, CR, LF, CRLF and Vietnamese inside fields', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Ư', 'ờ', ' ', ',', ';', '"', '\r', '\n', '\r\n', 'x', '0'), maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(fc.array(text, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom<',' | ';'>(',', ';'),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (rows, separator, eol, bom) => {
          const parsed = parseCsv(`${bom ? '\uFEFF' : ''}${writeCsv(rows, separator, eol)}`, separator);
          expect(parsed.errors).toEqual([]);
          expect(values(parsed.rows)).toEqual(rows);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips names and addresses through an inventory CSV, NFC-normalized and trimmed', () => {
    const text = fc.string({ unit: fc.constantFrom('Ư', 'ơ\u0300', 'ờ', 'Đ', ' ', ',', ';', '"', '\n', '\r\n', 'a'), minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(
        text.filter((t) => t.trim() !== ''),
        text,
        (name, address) => {
          const file = writeCsv(
            [
              ['code', 'name', 'province', 'type', 'address'],
              ['21025', name, '51', 'phường', address],
            ],
            ',',
            '\r\n',
          );
          const r = parseInventory(file, 'c.csv');
          expect(r.ok && r.centers.map((c) => [c.name, c.address])).toEqual([[name.normalize('NFC').trim(), address.normalize('NFC').trim()]]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps where each cell starts, a quoted line break moving the next cells down', () => {
    const { rows } = parseCsv('a,"b\nc",d\r\ne,f');
    expect(rows.map((r) => [r.line, r.cells.map((c) => [c.value, c.line, c.column])])).toEqual([
      [
        1,
        [
          ['a', 1, 1],
          ['b\nc', 1, 3],
          ['d', 2, 4],
        ],
      ],
      [
        3,
        [
          ['e', 3, 1],
          ['f', 3, 3],
        ],
      ],
    ]);
  });

  it('skips blank lines and reads a missing last line break, a trailing separator and a lone CR', () => {
    expect(values(parseCsv('a,b\n\n\nc,\r\rd').rows)).toEqual([['a', 'b'], ['c', ''], ['d']]);
    expect(parseCsv('').rows).toEqual([]);
  });

  it('tells a semicolon-separated file by its first line', () => {
    expect(sniffSeparator('code;name\n1;"a,b"')).toBe(';');
    expect(sniffSeparator('code,name;x\n')).toBe(',');
    expect(sniffSeparator('code\n')).toBe(',');
  });
});
