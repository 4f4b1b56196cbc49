/** A queued request as bucketing sees it: how many texts, and how long its longest one is. */
export interface BucketCandidate {
  readonly texts: number;
  /** Length of the request's longest text (characters: a proxy for tokens, known without tokenizing). */
  readonly length: number;
}

/**
 * Which queued requests share the next encoder call, by index into `queue` (oldest first). The
 * oldest always goes (no request starves); the others join nearest length first, while the call
 * stays within `maxTexts`. Rows of one padded batch all cost the longest row's length, so a call
 * of neighbours in length wastes little on padding. Only matters when more is queued than one
 * call takes: otherwise everything goes, and the encoder's own planner sorts the rows by tokens.
 */
export function pickBucket(queue: readonly BucketCandidate[], maxTexts: number): number[] {
  if (queue.length === 0) return [];
  const first = queue[0]!;
  const picked = [0];
  let texts = first.texts;
  const others = queue
    .map((candidate, index) => ({ candidate, index }))
    .slice(1)
    // Nearest in length first; among equals, the older request.
    .sort(
      (a, b) =>
        Math.abs(a.candidate.length - first.length) - Math.abs(b.candidate.length - first.length) ||
        a.index - b.index,
    );
  for (const { candidate, index } of others) {
    if (texts >= maxTexts) break;
    if (texts + candidate.texts > maxTexts) continue;
    picked.push(index);
    texts += candidate.texts;
  }
  return picked.sort((a, b) => a - b);
}
