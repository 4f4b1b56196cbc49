import type { M3Document, Metadata } from '../document.js';
import type { M3EncoderV1, TokenizedText } from '../encoder/encoder-v1.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';

export interface ChunkingOptions {
  /** Tokens per chunk, `<s>` and `</s>` included (default 512, the reference passage length). */
  readonly maxTokens?: number;
  /** Tokens shared by consecutive chunks (default 64). */
  readonly overlap?: number;
}

/** A piece of a document, ready to encode: id `docId#n`, metadata pointing at its source. */
export interface Chunk {
  readonly id: string;
  readonly documentId: string;
  readonly index: number;
  readonly text: string;
  readonly metadata: Metadata;
  /** Content tokens, special tokens excluded. */
  readonly tokens: number;
}

const SPECIAL_TOKENS = 2;

export function resolveChunking(options: ChunkingOptions = {}): Required<ChunkingOptions> {
  const maxTokens = options.maxTokens ?? 512;
  const overlap = options.overlap ?? 64;
  if (!Number.isInteger(maxTokens) || maxTokens < SPECIAL_TOKENS + 1) {
    throw new InvalidInputError(`chunk maxTokens must be an integer > ${SPECIAL_TOKENS}`);
  }
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= maxTokens - SPECIAL_TOKENS) {
    throw new InvalidInputError(`chunk overlap must be an integer from 0 to ${maxTokens - SPECIAL_TOKENS - 1}`);
  }
  return { maxTokens, overlap };
}

/**
 * Splits documents into chunks with the model's own tokenizer, so each chunk fits the model
 * without truncation. Cuts fall on token boundaries, mapped back to the text by the tokenizer's
 * offsets; the same document always gives the same chunks and ids.
 */
export async function chunkDocuments(
  documents: readonly M3Document[],
  encoder: M3EncoderV1,
  options: Required<ChunkingOptions>,
): Promise<Chunk[][]> {
  const tokenized = await encoder.tokenize(
    documents.map((d) => d.text ?? ''),
    { addSpecialTokens: false },
  );
  return documents.map((document, i) => chunkOne(document, tokenized[i]!, options));
}

function chunkOne(document: M3Document, tokens: TokenizedText, options: Required<ChunkingOptions>): Chunk[] {
  const text = document.text ?? '';
  const perChunk = options.maxTokens - SPECIAL_TOKENS;
  const step = perChunk - options.overlap;
  const chunks: Chunk[] = [];
  const count = tokens.offsets.length;
  for (let start = 0, index = 0; start < count || index === 0; start += step, index++) {
    const end = Math.min(count, start + perChunk);
    const from = count === 0 ? 0 : tokens.offsets[start]![0];
    const to = count === 0 ? text.length : tokens.offsets[end - 1]![1];
    chunks.push({
      id: `${document.id}#${index}`,
      documentId: document.id,
      index,
      text: count === 0 ? text : text.slice(from, to),
      metadata: { ...document.metadata, source_id: document.id, chunk: index, chunk_start: from, chunk_end: to },
      tokens: end - start,
    });
    if (end >= count) break;
  }
  return chunks;
}
