import type { M3Document } from '../document.js';
import type { M3EncoderV1 } from '../encoder/encoder-v1.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';

export interface ChunkingOptions {
  /** Tokens per chunk, `<s>` and `</s>` included (default 512, the reference passage length). */
  readonly maxTokens?: number;
  /** Tokens shared by consecutive chunks (default 64). */
  readonly overlap?: number;
}

/**
 * A piece of a document, ready to encode. `start`/`end` are its span in UTF-16 code units of the
 * document text: the spans of a document's chunks together cover every character of it (the
 * first starts at 0, the last ends at the text's length, each starts where the previous one's
 * tokens end or earlier). `text` is the span, less the trailing whitespace of the last chunk
 * (which would only add a `▁` token).
 */
export interface Chunk {
  readonly documentId: string;
  readonly index: number;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Content tokens, special tokens excluded. */
  readonly tokens: number;
}

const SPECIAL_TOKENS = 2;
/** Characters handed to the tokenizer per call, per token it may return: windows stay small. */
const CHARS_PER_WINDOW_TOKEN = 3;
/** Tokens given up at a window's cut when no word starts near it (they may differ from the whole text's). */
const TAIL_TOKENS = 16;

export function resolveChunking(options: ChunkingOptions = {}): Required<ChunkingOptions> {
  const maxTokens = options.maxTokens ?? 512;
  const overlap = options.overlap ?? 64;
  if (!Number.isInteger(maxTokens) || maxTokens < SPECIAL_TOKENS + 1) {
    throw new InvalidInputError(`chunk maxTokens must be an integer > ${SPECIAL_TOKENS}`);
  }
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= maxTokens - SPECIAL_TOKENS) {
    throw new InvalidInputError(
      `chunk overlap must be an integer from 0 to ${maxTokens - SPECIAL_TOKENS - 1}`,
    );
  }
  return { maxTokens, overlap };
}

/**
 * Splits documents into chunks with the model's own tokenizer, so each chunk fits the model
 * without truncation. Cuts fall on token boundaries, mapped back to the text by the tokenizer's
 * offsets; the same document always gives the same chunks. Documents of any length are covered
 * whole: the tokenizer sees at most `encoder.maxLength` tokens at a time (an encoder may cut
 * there), so long texts are tokenised window by window, each window restarting at a word start.
 */
export async function chunkDocuments(
  documents: readonly M3Document[],
  encoder: M3EncoderV1,
  options: Required<ChunkingOptions>,
): Promise<Chunk[][]> {
  const result: Chunk[][] = [];
  for (const document of documents) {
    const text = document.text ?? '';
    const tokens = await tokenSpans(text, encoder);
    result.push(chunkSpans(document.id, text, tokens, options));
  }
  return result;
}

/** Token [start, end) offsets of a whole text, in two flat arrays. */
export interface TokenSpans {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

/** Tokenises `text` whole, in windows the encoder accepts without truncating. */
export async function tokenSpans(text: string, encoder: M3EncoderV1): Promise<TokenSpans> {
  const starts: number[] = [];
  const ends: number[] = [];
  const windowChars = Math.max(1024, encoder.maxLength * CHARS_PER_WINDOW_TOKEN);
  for (let position = 0; position < text.length; ) {
    const end = cutAt(text, Math.min(text.length, position + windowChars));
    const slice = text.slice(position, end);
    const [tokenized] = await encoder.tokenize([slice], {
      addSpecialTokens: false,
      maxLength: encoder.maxLength,
    });
    const offsets = tokenized!.offsets;
    const whole = end === text.length && !tokenized!.truncated;
    const keep = whole ? offsets.length : keptTokens(slice, offsets);
    for (let i = 0; i < keep; i++) {
      starts.push(position + offsets[i]![0]);
      ends.push(position + offsets[i]![1]);
    }
    if (whole) break;
    const next = keep < offsets.length ? position + offsets[keep]![0] : end;
    position = next > position ? next : end;
  }
  return { starts, ends };
}

/**
 * How many of a window's tokens to keep: those before the last word start in its second half
 * (the tokens of whole words do not depend on what follows the space after them), else all but
 * a few, else all (a window of a handful of giant tokens).
 */
function keptTokens(slice: string, offsets: readonly (readonly [number, number])[]): number {
  const count = offsets.length;
  for (let i = count - 1; i > count / 2; i--) {
    const start = offsets[i]![0];
    if (start > 0 && (isSpace(slice.charCodeAt(start)) || isSpace(slice.charCodeAt(start - 1))))
      return i;
  }
  return count > TAIL_TOKENS * 2 ? count - TAIL_TOKENS : count;
}

function isSpace(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x0a ||
    code === 0x0d ||
    code === 0x09 ||
    code === 0x3000 ||
    code === 0xa0
  );
}

/** `end`, moved back one unit if it would split a surrogate pair. */
function cutAt(text: string, end: number): number {
  if (end >= text.length || end <= 0) return end;
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/** Groups token spans into chunks of `maxTokens - 2` tokens with `overlap`, spans covering the text. */
export function chunkSpans(
  documentId: string,
  text: string,
  tokens: TokenSpans,
  options: Required<ChunkingOptions>,
): Chunk[] {
  const perChunk = options.maxTokens - SPECIAL_TOKENS;
  const step = perChunk - options.overlap;
  const count = tokens.starts.length;
  if (count === 0) return [{ documentId, index: 0, text, start: 0, end: text.length, tokens: 0 }];
  const chunks: Chunk[] = [];
  for (let start = 0, index = 0; ; start += step, index++) {
    const end = Math.min(count, start + perChunk);
    const last = end >= count;
    const from = start === 0 ? 0 : Math.min(tokens.ends[start - 1]!, tokens.starts[start]!);
    const contentEnd = Math.max(tokens.ends[end - 1]!, from);
    chunks.push({
      documentId,
      index,
      text: text.slice(from, contentEnd),
      start: from,
      end: last ? text.length : contentEnd,
      tokens: end - start,
    });
    if (last) return chunks;
  }
}
