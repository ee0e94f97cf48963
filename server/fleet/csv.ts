/**
 * CSV as spreadsheets write it (RFC 4180): fields separated by commas (or semicolons, as Excel writes
 * "CSV" under Vietnamese regional settings, where the comma is the decimal separator), a field in double
 * quotes may hold the separator, line breaks and `""` for a quote; rows end with CRLF, LF or CR; a UTF-8
 * byte order mark is skipped. Every cell keeps where it starts, so a problem can name its line and column.
 */

export interface CsvCell {
  /** The cell's text, quotes removed and `""` unescaped; otherwise as written (not trimmed). */
  value: string;
  /** 1-based line and column (UTF-16 units) where the cell starts. */
  line: number;
  column: number;
}

export interface CsvRow {
  /** The line the row starts on. */
  line: number;
  cells: CsvCell[];
}

export interface CsvSyntaxError {
  line: number;
  column: number;
  message: string;
}

export interface CsvParse {
  /** Rows, blank lines left out. */
  rows: CsvRow[];
  /** Malformed quoting, each where it is; the rows are still read as well as they can be. */
  errors: CsvSyntaxError[];
}

/** The separator a file uses: `;` when its first line has semicolons and no comma, else `,`. */
export function sniffSeparator(text: string): ',' | ';' {
  const first = /^[^\r\n]*/.exec(text)![0];
  return first.includes(';') && !first.includes(',') ? ';' : ',';
}

export function parseCsv(input: string, separator: ',' | ';' = ','): CsvParse {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const rows: CsvRow[] = [];
  const errors: CsvSyntaxError[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  let cells: CsvCell[] = [];
  let rowLine = 1;

  const newline = (at: number): number => {
    // CRLF is one break; a lone CR or LF is one too.
    const next = text[at] === '\r' && text[at + 1] === '\n' ? at + 2 : at + 1;
    line++;
    lineStart = next;
    return next;
  };
  let quoted = false;
  const endRow = (): void => {
    // An empty line is no row; `""` alone is a row of one empty field.
    const blank = cells.length === 1 && cells[0]!.value === '' && !quoted;
    if (!blank) rows.push({ line: rowLine, cells });
    cells = [];
  };

  while (i <= text.length) {
    if (cells.length === 0) {
      rowLine = line;
      quoted = false;
    }
    const cell: CsvCell = { value: '', line, column: i - lineStart + 1 };
    if (text[i] === '"') {
      quoted = true;
      const open = { line, column: i - lineStart + 1 };
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) {
          errors.push({ ...open, message: 'a quoted field is not closed (a " is missing)' });
          break;
        }
        const ch = text[i]!;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (ch === '\r' || ch === '\n') {
          const next = newline(i);
          value += text.slice(i, next);
          i = next;
          continue;
        }
        value += ch;
        i++;
      }
      // After the closing quote only a separator or the end of the row may follow.
      if (i < text.length && text[i] !== separator && text[i] !== '\r' && text[i] !== '\n') {
        errors.push({ line, column: i - lineStart + 1, message: `text after a closing quote: put the whole field in quotes and write a quote inside as ""` });
        while (i < text.length && text[i] !== separator && text[i] !== '\r' && text[i] !== '\n') value += text[i++];
      }
      cell.value = value;
    } else {
      let end = i;
      while (end < text.length && text[end] !== separator && text[end] !== '\r' && text[end] !== '\n') end++;
      cell.value = text.slice(i, end);
      const quote = cell.value.indexOf('"');
      if (quote >= 0)
        errors.push({
          line,
          column: i - lineStart + 1 + quote,
          message: 'a " inside an unquoted field: put the whole field in quotes and write the quote as ""',
        });
      i = end;
    }
    cells.push(cell);
    if (i >= text.length) {
      endRow();
      break;
    }
    if (text[i] === separator) {
      i++;
      // A separator at the very end of the text leaves one more (empty) cell in this row.
      if (i === text.length) {
        cells.push({ value: '', line, column: i - lineStart + 1 });
        endRow();
        break;
      }
      continue;
    }
    i = newline(i);
    endRow();
    if (i >= text.length) break;
  }
  return { rows, errors };
}
