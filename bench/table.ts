/** A table rendered twice: aligned plain text for the terminal, GitHub markdown for bench/results.md. */
export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns aligned right (numbers); the others left. */
  readonly right?: readonly number[];
}

export const textTable = ({ headers, rows, right = [] }: Table): string => {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

export const markdownTable = ({ headers, rows, right = [] }: Table): string => {
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `| ${headers.map(escapeCell).join(' | ')} |`,
    `|${headers.map((_, i) => (right.includes(i) ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ].join('\n');
};

export const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} KB`;
export const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '–');
export const usd = (value: number): string =>
  `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;
export const int = (value: number): string => Math.round(value).toLocaleString('en-US');
export const pass = (ok: boolean): string => (ok ? 'met' : 'MISSED');
