import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvReadError, readCsv, type CsvRow } from './csv-reader.js';

async function rows(bytes: Buffer, chunkSize = 3): Promise<CsvRow[]> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) pieces.push(bytes.subarray(i, i + chunkSize));
  const out: CsvRow[] = [];
  for await (const row of readCsv(Readable.from(pieces))) out.push(row);
  return out;
}

describe('readCsv', () => {
  it('skips only the record with invalid UTF-8, naming its own line, and reads on', async () => {
    const bytes = Buffer.concat([
      Buffer.from('id,text\na,"first\nspans two lines"\nb,ok\nc,bad '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' bytes\nd,"quoted ""é"" text"\r\ne,last'),
    ]);
    for (const size of [1, 3, 7, 1000]) {
      expect(await rows(bytes, size)).toEqual([
        { line: 1, fields: ['id', 'text'] },
        { line: 2, fields: ['a', 'first\nspans two lines'] },
        { line: 4, fields: ['b', 'ok'] },
        { line: 5, error: 'not valid UTF-8 (field 2)' },
        { line: 6, fields: ['d', 'quoted "é" text'] },
        { line: 7, fields: ['e', 'last'] },
      ]);
    }
  });

  it('keeps a multi-byte character split across stream chunks, drops a BOM, and reports a quote never closed', async () => {
    expect(await rows(Buffer.from('\ufeffid,text\n1,日本語\n'), 1)).toEqual([
      { line: 1, fields: ['id', 'text'] },
      { line: 2, fields: ['1', '日本語'] },
    ]);
    await expect(rows(Buffer.from('id,text\n1,"open\n2,x\n'))).rejects.toBeInstanceOf(CsvReadError);
  });
});
