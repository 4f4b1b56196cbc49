import {
  lexicalToRecord,
  type EncodeOptions,
  type EncodedText,
  type M3EncoderV1,
} from '@m3kit/core';
import { COMMON_OPTIONS, integerFlag, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { readCommandTextItems, type TextItem } from '../input/jsonl-texts.js';
import { openEncoder, resolveModelRef } from '../model.js';
import { UsageError } from '../usage-error.js';

export const EMBED_OPTIONS = {
  ...COMMON_OPTIONS,
  model: { type: 'string', short: 'm' },
  'max-length': { type: 'string' },
  'batch-tokens': { type: 'string' },
  'no-dense': { type: 'boolean' },
  'no-sparse': { type: 'boolean' },
  'no-colbert': { type: 'boolean' },
  threads: { type: 'string' },
} as const;

const WINDOW = 256;
const DEFAULT_BATCH_TOKENS = 16_384;

/**
 * `{"id","text"}` lines in; `{"id","dense","lexical_weights","colbert_vecs"}` lines out, with
 * FlagEmbedding's names and forms (lexical weights keyed by token id as a string). Texts are
 * grouped so each encode call holds at most `--batch-tokens` tokens (one long text excepted):
 * the outputs held before they are written stay bounded. Output keeps input order.
 */
export async function embedCommand(
  argv: readonly string[],
  context: CommandContext,
): Promise<ExitCode> {
  const command = 'embed';
  const { values, positionals } = parseCommandArgs(command, argv, EMBED_OPTIONS);
  if (positionals.length > 1)
    throw new UsageError('one input file at most (or - / nothing for stdin)', { command });
  const maxLength = integerFlag(values['max-length'], 'max-length', command, { min: 3 });
  const batchTokens =
    integerFlag(values['batch-tokens'], 'batch-tokens', command, { min: 1 }) ??
    DEFAULT_BATCH_TOKENS;
  const threads = integerFlag(values.threads, 'threads', command, { min: 1, max: 1024 });
  const outputs = {
    dense: !values['no-dense'],
    sparse: !values['no-sparse'],
    colbert: !values['no-colbert'],
  };
  if (!outputs.dense && !outputs.sparse && !outputs.colbert) {
    throw new UsageError(
      '--no-dense, --no-sparse and --no-colbert together leave nothing to compute',
      { command },
    );
  }
  const modelRef = resolveModelRef(values.model, context.env, context.cwd, command);
  const source = positionals[0] ?? '-';
  let encoder: M3EncoderV1 | undefined;
  let skipped = (): number => 0;
  try {
    encoder = await openEncoder(modelRef, {
      ...(maxLength !== undefined ? { maxLength } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      onNote: (line) => context.note(line),
    });
    const limit = maxLength ?? encoder.maxLength;
    const items = readCommandTextItems(context, command, source, WINDOW);
    skipped = items.skipped;
    for await (const window of items.windows) {
      const tokenized = await encoder.tokenize(
        window.map((item) => item.text),
        { maxLength: limit },
      );
      for (const group of groupByTokens(
        window,
        tokenized.map((t) => t.ids.length),
        batchTokens,
      )) {
        const options: EncodeOptions & { batchTokens: number } = {
          ...outputs,
          maxLength: limit,
          batchTokens,
          ...(context.signal ? { signal: context.signal } : {}),
        };
        const encoded = await encoder.encode(
          group.map((item) => item.text),
          options,
        );
        for (const [i, item] of group.entries()) {
          const result = encoded[i]!;
          if (result.truncated)
            context.note(
              `note: ${source === '-' ? '<stdin>' : source}:${item.line}: truncated to ${limit} tokens`,
            );
          await context.data(JSON.stringify(toFlagEmbeddingForm(item.id, result)));
        }
      }
    }
  } finally {
    await encoder?.close().catch(() => undefined);
  }
  return skipped() > 0 ? EXIT_CODES.skipped : EXIT_CODES.ok;
}

/** Consecutive groups of items whose token counts add up to at most `budget` (one item at least). */
function groupByTokens(
  items: readonly TextItem[],
  tokens: readonly number[],
  budget: number,
): TextItem[][] {
  const groups: TextItem[][] = [];
  let group: TextItem[] = [];
  let used = 0;
  items.forEach((item, i) => {
    const count = tokens[i] ?? 0;
    if (group.length > 0 && used + count > budget) {
      groups.push(group);
      group = [];
      used = 0;
    }
    group.push(item);
    used += count;
  });
  if (group.length > 0) groups.push(group);
  return groups;
}

/** A float32 written with the 9 significant digits that round-trip it, not float64's 17. */
function f32(value: number): number {
  return Number(value.toPrecision(9));
}

export function toFlagEmbeddingForm(
  id: string | number,
  encoded: EncodedText,
): Record<string, unknown> {
  const line: Record<string, unknown> = { id };
  if (encoded.dense) line.dense = Array.from(encoded.dense, f32);
  if (encoded.lexical) {
    const record = lexicalToRecord(encoded.lexical);
    for (const key of Object.keys(record)) record[key] = f32(record[key]!);
    line.lexical_weights = record;
  }
  if (encoded.colbert) {
    const { data, rows, dim } = encoded.colbert;
    const vectors: number[][] = [];
    for (let r = 0; r < rows; r++)
      vectors.push(Array.from(data.subarray(r * dim, (r + 1) * dim), f32));
    line.colbert_vecs = vectors;
  }
  return line;
}
