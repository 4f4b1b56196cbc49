import { InvalidInputError } from '../errors/invalid-input-error.js';

/** One of `count` disjoint shares of the input, by a stable hash of the document id. */
export interface ShardSpec {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

export function checkShard(shard: ShardSpec | undefined): ShardSpec {
  if (shard === undefined) return { index: 0, count: 1 };
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
    throw new InvalidInputError(
      `shard count must be an integer from 1 to 1000000, got ${String(count)}`,
      { item: 'shard' },
    );
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new InvalidInputError(
      `shard index must be an integer from 0 to ${count - 1}, got ${String(index)}`,
      { item: 'shard' },
    );
  }
  return { index, count };
}
