import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { LexicalWeights } from './types.js';

/**
 * Builds lexical weights from (id, weight) pairs in any order, keeping the maximum weight per id
 * and dropping non-positive weights — the same rule FlagEmbedding applies per token.
 */
export function lexicalFromPairs(pairs: Iterable<readonly [number, number]>): LexicalWeights {
  const best = new Map<number, number>();
  for (const [id, weight] of pairs) {
    if (!(weight > 0)) continue;
    const previous = best.get(id);
    if (previous === undefined || weight > previous) best.set(id, weight);
  }
  const indices = Uint32Array.from([...best.keys()].sort((a, b) => a - b));
  const values = new Float32Array(indices.length);
  indices.forEach((id, i) => {
    values[i] = best.get(id) ?? 0;
  });
  return { indices, values };
}

/** Reads FlagEmbedding's `lexical_weights` form: `{"<token id>": weight}`. */
export function lexicalFromRecord(record: Readonly<Record<string, number>>): LexicalWeights {
  const pairs: Array<[number, number]> = [];
  for (const [key, weight] of Object.entries(record)) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new InvalidInputError(`lexical weight key "${key}" is not a token id`);
    }
    if (typeof weight !== 'number') {
      throw new InvalidInputError(`lexical weight for token ${key} is not a number`);
    }
    pairs.push([id, weight]);
  }
  return lexicalFromPairs(pairs);
}

/** Writes FlagEmbedding's `lexical_weights` form. */
export function lexicalToRecord(weights: LexicalWeights): Record<string, number> {
  const record: Record<string, number> = {};
  weights.indices.forEach((id, i) => {
    record[String(id)] = weights.values[i] ?? 0;
  });
  return record;
}
