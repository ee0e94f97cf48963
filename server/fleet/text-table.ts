/** A plain text table for the command line, columns padded to their widest cell; "(none)" under an empty one. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `${cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  return [line(head), ...rows.map(line)].join('') + (rows.length === 0 ? '(none)\n' : '');
}
