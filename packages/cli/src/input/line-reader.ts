import type { Readable } from 'node:stream';

/** One line of a byte stream: its text, or why it could not be decoded. Lines are numbered from 1. */
export type Line =
  | { readonly number: number; readonly text: string }
  | { readonly number: number; readonly text?: undefined; readonly error: string };

/**
 * Splits a byte stream into lines and decodes each as strict UTF-8 (a line with invalid bytes is
 * reported, not silently patched with U+FFFD). Holds one line at a time, whatever the input size.
 */
export async function* readLines(
  stream: AsyncIterable<Buffer | string> | Readable,
): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let pending: Buffer[] = [];
  let number = 0;
  const finish = (bytes: Buffer): Line => {
    number++;
    const end =
      bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    try {
      let text = decoder.decode(bytes.subarray(0, end));
      if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      return { number, text };
    } catch {
      return { number, error: 'not valid UTF-8' };
    }
  };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    let buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let newline = buffer.indexOf(0x0a); newline >= 0; newline = buffer.indexOf(0x0a)) {
      pending.push(buffer.subarray(0, newline));
      yield finish(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
      pending = [];
      buffer = buffer.subarray(newline + 1);
    }
    if (buffer.length > 0) pending.push(buffer);
  }
  if (pending.length > 0) yield finish(Buffer.concat(pending));
}
