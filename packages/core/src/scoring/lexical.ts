import type { LexicalWeights } from '../embedding/types.js';

/**
 * FlagEmbedding's `compute_lexical_matching_score`: the sum over token ids present in both of
 * query weight times passage weight. Both sides are sorted, so one merge pass does it.
 */
export function lexicalMatchingScore(query: LexicalWeights, passage: LexicalWeights): number {
  let score = 0;
  let i = 0;
  let j = 0;
  const qi = query.indices;
  const pi = passage.indices;
  while (i < qi.length && j < pi.length) {
    const a = qi[i]!;
    const b = pi[j]!;
    if (a === b) {
      score += query.values[i]! * passage.values[j]!;
      i++;
      j++;
    } else if (a < b) {
      i++;
    } else {
      j++;
    }
  }
  return score;
}
