import { lexicalFromPairs } from '@m3kit/core';
import type { LexicalWeights, MultiVector } from '@m3kit/core';
import type { BatchOutputs } from './model-runner.js';

/** Row `row`'s dense vector, copied out of the batch. */
export function denseOf(outputs: BatchOutputs, row: number, dimension: number): Float32Array {
  return outputs.dense!.slice(row * dimension, (row + 1) * dimension);
}

/**
 * FlagEmbedding's `_process_token_weights`: over the text's tokens (padding excluded), skip the
 * special ids (cls, eos, pad, unk), keep weights > 0, the maximum per token id.
 */
export function lexicalOf(
  outputs: BatchOutputs,
  row: number,
  ids: Int32Array,
  specialIds: ReadonlySet<number>,
): LexicalWeights {
  const weights = outputs.sparse!;
  const base = row * outputs.sequenceLength;
  function* pairs(): Generator<[number, number]> {
    for (let position = 0; position < ids.length; position++) {
      const id = ids[position]!;
      if (!specialIds.has(id)) yield [id, weights[base + position]!];
    }
  }
  return lexicalFromPairs(pairs());
}

/**
 * FlagEmbedding's `_process_colbert_vecs`: the first `tokens - 1` rows of the head's output, i.e.
 * every token but `<s>`, `</s>` included, padding excluded.
 */
export function colbertOf(
  outputs: BatchOutputs,
  row: number,
  tokenCount: number,
  dimension: number,
): MultiVector {
  const rows = Math.max(0, tokenCount - 1);
  const start = (row * outputs.colbertRows + outputs.colbertFirstRow) * dimension;
  return { data: outputs.colbert!.slice(start, start + rows * dimension), rows, dim: dimension };
}
