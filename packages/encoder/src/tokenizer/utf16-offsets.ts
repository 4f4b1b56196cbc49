/**
 * The Rust tokenizer reports offsets in Unicode scalar values (code points); JavaScript strings
 * index UTF-16 code units. Returns a converter from code-point index to code-unit index: the
 * identity when the text has no astral characters (the common case), a lookup table otherwise.
 * Lone surrogates must already be replaced (they count one unit and one code point either way).
 */
export function codePointToUtf16(text: string): (codePointIndex: number) => number {
  if (!/[\uD800-\uDFFF]/.test(text)) return (index) => index;
  const table: number[] = [];
  let unit = 0;
  for (const char of text) {
    table.push(unit);
    unit += char.length;
  }
  table.push(unit);
  return (index) => table[Math.min(index, table.length - 1)]!;
}
