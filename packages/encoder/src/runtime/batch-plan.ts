/** A batch of texts (by index into the window) padded to the longest one. */
export interface PlannedBatch {
  readonly indices: readonly number[];
  /** Tokens of the longest text: every row is padded to it. */
  readonly sequenceLength: number;
}

/**
 * Groups texts into batches by a budget of padded tokens (rows x longest row) rather than by a
 * count: texts sorted longest first (as FlagEmbedding sorts) so each batch holds similar lengths
 * and padding stays small, many short texts share a batch, and a long text gets a small one. A
 * text longer than the budget on its own forms a batch of one.
 */
export function planBatches(
  lengths: readonly number[],
  options: { readonly batchTokens: number; readonly maxBatchSize: number },
): PlannedBatch[] {
  const order = lengths.map((_, index) => index).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: PlannedBatch[] = [];
  let current: number[] = [];
  let longest = 0;
  for (const index of order) {
    const length = lengths[index]!;
    const rows = current.length + 1;
    if (current.length > 0 && (rows * longest > options.batchTokens || rows > options.maxBatchSize)) {
      batches.push({ indices: current, sequenceLength: longest });
      current = [];
    }
    if (current.length === 0) longest = length;
    current.push(index);
  }
  if (current.length > 0) batches.push({ indices: current, sequenceLength: longest });
  return batches;
}
