import type { ShardSpec } from '@m3kit/core';
import type { CliEnv } from '../model.js';
import { UsageError } from '../usage-error.js';

/**
 * The share of the input this process ingests: `--shard i/n` (0-based), or the index from
 * Kubernetes' `JOB_COMPLETION_INDEX` (an Indexed Job sets it per pod) with the count from
 * `--shard-count` or `M3_SHARD_COUNT`. Without any of them: the whole input.
 */
export function parseShard(
  flag: string | undefined,
  countFlag: string | undefined,
  env: CliEnv,
  command: string,
): ShardSpec {
  const countText = countFlag ?? env.M3_SHARD_COUNT;
  if (flag !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!match)
      throw new UsageError(`--shard ${flag}: expected INDEX/COUNT, e.g. 0/4 (indexes from 0)`, {
        command,
      });
    if (countFlag !== undefined)
      throw new UsageError('--shard INDEX/COUNT already gives the count; leave out --shard-count', {
        command,
      });
    return checked(Number(match[1]), Number(match[2]), `--shard ${flag}`, command);
  }
  const indexText = env.JOB_COMPLETION_INDEX;
  // An index alone (any Indexed Job has one) does not shard: without the count every pod takes it all.
  if (countText === undefined) return { index: 0, count: 1 };
  if (!/^\d+$/.test(countText.trim()))
    throw new UsageError(`shard count ${JSON.stringify(countText)}: expected a whole number`, {
      command,
    });
  if (indexText === undefined || !/^\d+$/.test(indexText.trim())) {
    throw new UsageError(
      `a shard count is given (${countText}) but no index: use --shard INDEX/COUNT, or run it as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)`,
      { command },
    );
  }
  return checked(
    Number(indexText),
    Number(countText),
    `JOB_COMPLETION_INDEX=${indexText} with count ${countText}`,
    command,
  );
}

function checked(index: number, count: number, given: string, command: string): ShardSpec {
  if (count < 1 || count > 1_000_000)
    throw new UsageError(`${given}: the count must be from 1 to 1000000`, { command });
  if (index >= count)
    throw new UsageError(
      `${given}: the index must be below the count (indexes run from 0 to ${count - 1})`,
      { command },
    );
  return { index, count };
}
