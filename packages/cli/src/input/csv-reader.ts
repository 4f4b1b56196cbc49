import type { Readable } from 'node:stream';

/** One CSV record with the line it starts on (records may span lines inside quotes). */
export interface CsvRow {
  readonly line: number;
  readonly fields: readonly string[];
}

/** A CSV file that cannot be read on: invalid UTF-8, or a quote never closed. */
export class CsvReadError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvReadError';
  }
}

/**
 * Streaming RFC 4180 reader: comma (or another) delimiter, double-quoted fields with "" escapes
 * and embedded newlines, CRLF or LF. Strict UTF-8: invalid bytes end the file with a CsvReadError
 * carrying the line. Memory holds one record.
 */
export async function* readCsv(stream: AsyncIterable<Buffer | string> | Readable, delimiter = ','): AsyncGenerator<CsvRow> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let rowLine = 1;
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let quoteSeen = false; // just read a quote inside a quoted field: either "" or the closing quote
  let fieldStarted = false;
  let first = true;
  const endField = (): void => {
    fields.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRow = (): CsvRow | undefined => {
    endField();
    const row = fields.length === 1 && fields[0] === '' ? undefined : { line: rowLine, fields };
    fields = [];
    rowLine = line;
    return row;
  };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    let text: string;
    try {
      text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    } catch {
      throw new CsvReadError('not valid UTF-8', line);
    }
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > 0) first = false;
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (inQuotes) {
        if (quoteSeen) {
          quoteSeen = false;
          if (char === '"') {
            field += '"';
            continue;
          }
          inQuotes = false; // that quote closed the field; handle this char as unquoted
        } else if (char === '"') {
          quoteSeen = true;
          continue;
        } else {
          if (char === '\n') line++;
          field += char;
          continue;
        }
      }
      if (char === '"' && !fieldStarted) {
        inQuotes = true;
        fieldStarted = true;
      } else if (char === delimiter) {
        endField();
      } else if (char === '\n') {
        line++;
        const row = endRow();
        if (row) yield row;
      } else if (char === '\r') {
        // CR of CRLF (or a lone CR): dropped outside quotes
      } else {
        field += char;
        fieldStarted = true;
      }
    }
  }
  try {
    decoder.decode();
  } catch {
    throw new CsvReadError('not valid UTF-8', line);
  }
  if (inQuotes && quoteSeen) inQuotes = false;
  if (inQuotes) throw new CsvReadError('a quoted field is never closed', rowLine);
  if (field !== '' || fields.length > 0 || fieldStarted) {
    const row = endRow();
    if (row) yield row;
  }
}
