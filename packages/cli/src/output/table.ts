import type { QueryResult, Signal } from '@m3kit/core';

/** Columns a character takes in a terminal: 2 for East Asian wide and full-width forms, 0 for marks. */
function charWidth(codePoint: number): number {
  if (codePoint === 0x200b || codePoint === 0x200c || codePoint === 0x200d || codePoint === 0xfe0f)
    return 0;
  if (
    (codePoint >= 0x0300 && codePoint <= 0x036f) ||
    (codePoint >= 0x0e31 && codePoint <= 0x0e3a && codePoint !== 0x0e32 && codePoint !== 0x0e33) ||
    (codePoint >= 0x0e47 && codePoint <= 0x0e4e)
  )
    return 0;
  if (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char.codePointAt(0)!);
  return width;
}

/** The text on one line (whitespace and control characters collapsed), cut to `width` columns with an ellipsis. */
export function snippet(text: string, width: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: collapsing control characters is the point.
  const flat = text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  if (displayWidth(flat) <= width) return flat;
  let result = '';
  let used = 0;
  for (const char of flat) {
    const w = charWidth(char.codePointAt(0)!);
    if (used + w > width - 1) break;
    result += char;
    used += w;
  }
  return `${result}…`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'left' ? text + fill : fill + text;
}

function score(value: number | undefined): string {
  return value === undefined ? '-' : value.toFixed(4);
}

/**
 * The hits as an aligned table: rank, fused score, each signal's score, id and a snippet of the
 * text filling the rest of the terminal's width; then where the query ran.
 */
export function renderQueryTable(
  result: QueryResult,
  signals: readonly Signal[],
  columns: number,
): string[] {
  const header = ['rank', 'score', ...signals, 'id'];
  const rows = result.hits.map((hit, i) => [
    String(i + 1),
    score(hit.score),
    ...signals.map((signal) => score(hit.signalScores[signal])),
    snippet(hit.id, 40),
  ]);
  const widths = header.map((title, c) =>
    Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[c]!))),
  );
  const used = widths.reduce((sum, w) => sum + w + 2, 0);
  const textWidth = Math.max(20, columns - used - 1);
  const line = (cells: string[], text: string): string =>
    [
      ...cells.map((cell, c) => pad(cell, widths[c]!, c === cells.length - 1 ? 'left' : 'right')),
      text,
    ]
      .join('  ')
      .trimEnd();
  const lines = [line(header, 'text')];
  result.hits.forEach((hit, i) => {
    lines.push(line(rows[i]!, hit.text === undefined ? '' : snippet(hit.text, textWidth)));
  });
  if (result.hits.length === 0) lines.push('(no hits)');
  return lines;
}
