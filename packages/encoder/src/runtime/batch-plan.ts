/** A batch of texts (by index into the window) padded to the longest one. */
export interface PlannedBatch {
  readonly indices: readonly number[];
  /** Tokens of the longest text: every row is padded to it. */
  readonly sequenceLength: number;
}

export interface BatchPlanOptions {
  /** Most padded tokens (rows x longest row) in one batch: bounds memory. */
  readonly batchTokens: number;
  readonly maxBatchSize: number;
  /**
   * What running one more batch costs, in tokens of work: the weights are read from memory once
   * per run, whatever its size (~16 tokens' compute for BGE-M3 on a CPU).
   */
  readonly batchOverheadTokens?: number;
  /** Attention's share of a token's work per token of context: 1 / (6 x hidden size). */
  readonly attentionWeight?: number;
  /**
   * Most rows x longest^2 in one batch: the attention scores the graph holds per head. The
   * default, 8192^2, is one text at BGE-M3's full length (16 heads x 8192^2 floats = 4.3 GB per
   * layer's scores): two such texts never share a batch.
   */
  readonly attentionBudget?: number;
}

export const DEFAULT_BATCH_OVERHEAD_TOKENS = 16;
export const DEFAULT_ATTENTION_WEIGHT = 1 / (6 * 1024);
export const DEFAULT_ATTENTION_BUDGET = 8192 * 8192;

/**
 * Groups texts into batches, longest first (as FlagEmbedding sorts), so that padding costs less
 * than it saves. A row of length L padded to Lmax costs Lmax + w * Lmax^2 (linear layers plus
 * attention, in tokens of work) instead of L + w * L^2 on its own batch, which would also pay the
 * batch overhead once more. A text joins the current batch while the extra work of padding it is
 * at most that overhead, the padded batch stays within `batchTokens`, `attentionBudget` and
 * `maxBatchSize`. Short
 * queries of similar length share batches; a 400-token passage is never padded to 2,000. A text
 * longer than the budget on its own forms a batch of one.
 */
export function planBatches(lengths: readonly number[], options: BatchPlanOptions): PlannedBatch[] {
  const overhead = options.batchOverheadTokens ?? DEFAULT_BATCH_OVERHEAD_TOKENS;
  const attention = options.attentionWeight ?? DEFAULT_ATTENTION_WEIGHT;
  const attentionBudget = options.attentionBudget ?? DEFAULT_ATTENTION_BUDGET;
  const work = (length: number) => length + attention * length * length;
  const order = lengths.map((_, index) => index).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: PlannedBatch[] = [];
  let current: number[] = [];
  let longest = 0;
  for (const index of order) {
    const length = lengths[index]!;
    const rows = current.length + 1;
    const fits =
      rows * longest <= options.batchTokens &&
      rows * longest * longest <= attentionBudget &&
      rows <= options.maxBatchSize;
    const worthIt = work(longest) - work(length) <= overhead;
    if (current.length > 0 && !(fits && worthIt)) {
      batches.push({ indices: current, sequenceLength: longest });
      current = [];
    }
    if (current.length === 0) longest = length;
    current.push(index);
  }
  if (current.length > 0) batches.push({ indices: current, sequenceLength: longest });
  return batches;
}
