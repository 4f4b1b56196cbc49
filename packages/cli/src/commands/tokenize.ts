import type { M3EncoderV1 } from '@m3kit/core';
import { COMMON_OPTIONS, integerFlag, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { readCommandTextItems } from '../input/jsonl-texts.js';
import { openEncoder, resolveModelRef } from '../model.js';
import { UsageError } from '../usage-error.js';

export const TOKENIZE_OPTIONS = {
  ...COMMON_OPTIONS,
  model: { type: 'string', short: 'm' },
  'max-length': { type: 'string' },
} as const;

/** Lines tokenized per call: enough to amortise the call, small enough to keep memory flat. */
const WINDOW = 256;

/** `{"id","text"}` lines in, `{"id","input_ids":[...]}` lines out (special tokens included, as FlagEmbedding feeds the model). */
export async function tokenizeCommand(
  argv: readonly string[],
  context: CommandContext,
): Promise<ExitCode> {
  const command = 'tokenize';
  const { values, positionals } = parseCommandArgs(command, argv, TOKENIZE_OPTIONS);
  if (positionals.length > 1)
    throw new UsageError('one input file at most (or - / nothing for stdin)', { command });
  const maxLength = integerFlag(values['max-length'], 'max-length', command, { min: 3 });
  const modelRef = resolveModelRef(values.model, context.env, context.cwd, command);
  let encoder: M3EncoderV1 | undefined;
  let skipped = (): number => 0;
  try {
    encoder = await openEncoder(modelRef, {
      ...(context.signal ? { signal: context.signal } : {}),
      onNote: (line) => context.note(line),
    });
    const source = positionals[0] ?? '-';
    const items = readCommandTextItems(context, command, source, WINDOW);
    skipped = items.skipped;
    for await (const batch of items.windows) {
      const tokenized = await encoder.tokenize(
        batch.map((item) => item.text),
        maxLength !== undefined ? { maxLength } : {},
      );
      for (const [i, item] of batch.entries()) {
        // Said, not silent: without --max-length the encoder still cuts at the model's limit.
        if (tokenized[i]!.truncated) {
          context.note(
            `note: ${source === '-' ? '<stdin>' : source}:${item.line}: truncated to ${maxLength ?? encoder.maxLength} tokens`,
          );
        }
        await context.data(JSON.stringify({ id: item.id, input_ids: tokenized[i]!.ids }));
      }
    }
  } finally {
    await encoder?.close().catch(() => undefined);
  }
  return skipped() > 0 ? EXIT_CODES.skipped : EXIT_CODES.ok;
}
