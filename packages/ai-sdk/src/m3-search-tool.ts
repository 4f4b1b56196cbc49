import { jsonSchema, tool, type Tool } from 'ai';
import { m3Retrieve, type M3Retrieval, type M3RetrieveSettings } from './m3-retrieve.js';

/** What the model sends: a search query, and optionally how many passages it wants. */
export interface M3SearchInput {
  readonly query: string;
  readonly topK?: number;
}

export interface M3SearchToolSettings extends M3RetrieveSettings {
  /** What the model reads about the tool (default: a knowledge-base search). */
  readonly description?: string;
  /** The most passages the model may ask for (default 20). */
  readonly maxTopK?: number;
}

const MAX_QUERY_CHARS = 2000;

/**
 * m3kit's hybrid query as an AI SDK tool: `generateText({ tools: { search: m3SearchTool(...) } })`.
 * The model chooses the query (and topK up to `maxTopK`); the store, signals, fusion and filter
 * stay the application's. Bad input from the model is refused by the schema with a message it can act on.
 */
export function m3SearchTool(settings: M3SearchToolSettings): Tool<M3SearchInput, M3Retrieval> {
  const maxTopK = settings.maxTopK ?? 20;
  const inputSchema = jsonSchema<M3SearchInput>(
    {
      type: 'object',
      properties: {
        query: {
          type: 'string',
          minLength: 1,
          maxLength: MAX_QUERY_CHARS,
          description: 'What to search for, in any language',
        },
        topK: {
          type: 'integer',
          minimum: 1,
          maximum: maxTopK,
          description: `How many passages to return (default ${settings.topK ?? 5})`,
        },
      },
      required: ['query'],
      additionalProperties: false,
    },
    { validate: (value) => validateInput(value, maxTopK) },
  );
  return tool({
    description:
      settings.description ??
      'Search the knowledge base (BGE-M3 hybrid retrieval: dense, lexical and ColBERT). Returns passages with ids and scores.',
    inputSchema,
    execute: async (input, { abortSignal }) =>
      m3Retrieve(input.query, settings, {
        ...(input.topK === undefined ? {} : { topK: input.topK }),
        ...(abortSignal ? { signal: abortSignal } : {}),
      }),
  });
}

function validateInput(
  value: unknown,
  maxTopK: number,
): { success: true; value: M3SearchInput } | { success: false; error: Error } {
  const fail = (message: string) => ({
    success: false as const,
    error: new TypeError(`m3kit search tool: ${message}`),
  });
  if (typeof value !== 'object' || value === null)
    return fail('input must be an object { query, topK? }');
  const { query, topK, ...extra } = value as Record<string, unknown>;
  if (Object.keys(extra).length > 0)
    return fail(`unknown input fields: ${Object.keys(extra).join(', ')}`);
  if (typeof query !== 'string' || query.trim() === '')
    return fail('query must be a non-empty string');
  if (query.length > MAX_QUERY_CHARS)
    return fail(`query must be at most ${MAX_QUERY_CHARS} characters`);
  if (
    topK !== undefined &&
    (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > maxTopK)
  ) {
    return fail(`topK must be an integer from 1 to ${maxTopK}`);
  }
  return { success: true, value: topK === undefined ? { query } : { query, topK } };
}
