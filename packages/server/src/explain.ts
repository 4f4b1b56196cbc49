import {
  colbertScore,
  denseScore,
  dot,
  lexicalMatchingScore,
  type EncodedText,
  type M3EncoderV1,
  type Signal,
  type StoredRecord,
  type TokenizedText,
} from '@m3kit/core';

export interface ExplainInput {
  readonly encoder: M3EncoderV1;
  readonly queryText: string;
  readonly query: EncodedText;
  readonly record: StoredRecord;
  readonly topTokens: number;
  readonly maxLength?: number;
  /** The token limit the record's text was encoded with (ingest's chunk size, default 512). */
  readonly documentMaxLength?: number;
}

export interface LexicalMatch {
  readonly token_id: number;
  readonly token: string;
  readonly query_weight: number;
  readonly document_weight: number;
  readonly product: number;
}

export interface ColbertMatch {
  readonly query_row: number;
  readonly query_token: string;
  readonly document_row: number;
  readonly document_token: string;
  readonly similarity: number;
}

export interface Explanation {
  readonly id: string;
  readonly text?: string;
  readonly scores: Partial<Record<Signal, number>>;
  /** Shared token ids, largest contribution first: their products sum to the sparse score. */
  readonly lexical: readonly LexicalMatch[];
  /** Per query row, the document row it matched best: their mean is the ColBERT score. */
  readonly colbert: readonly ColbertMatch[];
}

const SPECIAL: Readonly<Record<number, string>> = { 0: '<s>', 1: '<pad>', 2: '</s>', 3: '<unk>' };

/**
 * Why a record scored as it did against a query, in FlagEmbedding's own terms: the lexical score
 * is the sum of w_q * w_d over shared token ids, the ColBERT score the mean over query rows of the
 * best dot product with a document row. Token strings come from the tokenizer's offsets, so the
 * page can show the words, not ids. ColBERT row r is token r + 1 (`<s>` is dropped).
 */
export async function explainMatch(input: ExplainInput): Promise<Explanation> {
  const { query, record } = input;
  const documentEmbedding = record.embedding ?? {};
  const [queryTokens] = await input.encoder.tokenize([input.queryText], {
    maxLength: input.maxLength ?? input.encoder.maxLength,
  });
  const [documentTokens] = await input.encoder.tokenize([record.text ?? ''], {
    maxLength: input.documentMaxLength ?? 512,
  });
  const scores: Partial<Record<Signal, number>> = {};
  if (query.dense && documentEmbedding.dense)
    scores.dense = denseScore(query.dense, documentEmbedding.dense);
  const lexical: LexicalMatch[] = [];
  if (query.lexical && documentEmbedding.lexical) {
    scores.sparse = lexicalMatchingScore(query.lexical, documentEmbedding.lexical);
    const surface = tokenSurfaces(input.queryText, queryTokens!);
    const { indices: qi, values: qv } = query.lexical;
    const { indices: di, values: dv } = documentEmbedding.lexical;
    for (let a = 0, b = 0; a < qi.length && b < di.length; ) {
      if (qi[a]! < di[b]!) a++;
      else if (qi[a]! > di[b]!) b++;
      else {
        const id = qi[a]!;
        lexical.push({
          token_id: id,
          token: surface.get(id) ?? `#${id}`,
          query_weight: qv[a]!,
          document_weight: dv[b]!,
          product: qv[a]! * dv[b]!,
        });
        a++;
        b++;
      }
    }
    lexical.sort((x, y) => y.product - x.product);
  }
  const colbert: ColbertMatch[] = [];
  if (query.colbert && documentEmbedding.colbert) {
    scores.colbert = colbertScore(query.colbert, documentEmbedding.colbert);
    const q = query.colbert;
    const d = documentEmbedding.colbert;
    for (let r = 0; r < q.rows; r++) {
      let best = -Infinity;
      let bestRow = 0;
      for (let s = 0; s < d.rows; s++) {
        const similarity = dot(q.data, r * q.dim, d.data, s * d.dim, q.dim);
        if (similarity > best) {
          best = similarity;
          bestRow = s;
        }
      }
      colbert.push({
        query_row: r,
        query_token: tokenAt(input.queryText, queryTokens!, r + 1),
        document_row: bestRow,
        document_token:
          documentTokens!.ids.length === d.rows + 1
            ? tokenAt(record.text ?? '', documentTokens!, bestRow + 1)
            : `row ${bestRow}`,
        similarity: best,
      });
    }
  }
  return {
    id: record.id,
    ...(record.text !== undefined ? { text: record.text } : {}),
    scores,
    lexical: lexical.slice(0, input.topTokens),
    colbert,
  };
}

/** The first surface string of each token id in a text. */
function tokenSurfaces(text: string, tokens: TokenizedText): Map<number, string> {
  const surfaces = new Map<number, string>();
  tokens.ids.forEach((id, position) => {
    if (!surfaces.has(id)) surfaces.set(id, tokenAt(text, tokens, position));
  });
  return surfaces;
}

function tokenAt(text: string, tokens: TokenizedText, position: number): string {
  const id = tokens.ids[position];
  if (id === undefined) return '?';
  if (SPECIAL[id] !== undefined) return SPECIAL[id]!;
  const [start, end] = tokens.offsets[position] ?? [0, 0];
  const piece = text.slice(start, end).trim();
  // XLM-R's bare word-start piece (id 4 in BGE-M3) covers only whitespace: show it as SentencePiece writes it.
  return piece === '' ? '▁' : piece;
}
