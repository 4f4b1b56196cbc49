import {
  InvalidInputError,
  withSyncFields,
  type M3EncoderV1,
  type M3StoreV1,
  type Signal,
} from '@m3kit/core';
import { COMMON_OPTIONS, integerFlag, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { parseFilter } from '../filter-syntax.js';
import { modelDimension, openEncoder, resolveModelRef } from '../model.js';
import { writeManifest } from '../store/collection-manifest.js';
import { lookUpCollection } from '../store/collection-spec-lookup.js';
import { hubModelOf, modelIdentity, nodeSha256 } from '../store/model-identity.js';
import { openStore } from '../store/open-store.js';
import { lockStoreFile } from '../store/store-lock.js';
import { STORE_OPTIONS, selectStore } from '../store/store-options.js';
import { resolveDataDir } from '../store/store-target.js';
import { UsageError } from '../usage-error.js';

export const SERVE_OPTIONS = {
  ...COMMON_OPTIONS,
  ...STORE_OPTIONS,
  model: { type: 'string', short: 'm' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'auth-key': { type: 'string' },
  cors: { type: 'string', multiple: true },
  threads: { type: 'string' },
  'batch-wait-ms': { type: 'string' },
  'batch-texts': { type: 'string' },
  'queue-texts': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'max-texts': { type: 'string' },
  'max-text-chars': { type: 'string' },
  'max-tokens': { type: 'string' },
  overlap: { type: 'string' },
  log: { type: 'boolean' },
} as const;

/**
 * `m3 serve`: opens the encoder and the store once and serves them over HTTP until SIGTERM or
 * Ctrl-C, then stops accepting, lets in-flight requests finish, and closes the store.
 */
export async function serveCommand(
  argv: readonly string[],
  context: CommandContext,
): Promise<ExitCode> {
  const command = 'serve';
  const { values, positionals } = parseCommandArgs(command, argv, SERVE_OPTIONS);
  if (positionals.length > 0)
    throw new UsageError(
      `serve takes no positional arguments, got ${JSON.stringify(positionals[0])}`,
      { command },
    );
  const port = integerFlag(values.port, 'port', command, { min: 0, max: 65_535 }) ?? 8080;
  const host = values.host ?? '127.0.0.1';
  const apiKey = values['auth-key'] ?? context.env.M3_SERVE_API_KEY;
  if (apiKey !== undefined) context.redactor.add(apiKey);
  const threads = integerFlag(values.threads, 'threads', command, { min: 1, max: 1024 });
  const batching = {
    ...optional(
      'maxWaitMs',
      integerFlag(values['batch-wait-ms'], 'batch-wait-ms', command, { min: 0, max: 1000 }),
    ),
    ...optional(
      'maxBatchTexts',
      integerFlag(values['batch-texts'], 'batch-texts', command, { min: 1, max: 4096 }),
    ),
    ...optional(
      'maxQueuedTexts',
      integerFlag(values['queue-texts'], 'queue-texts', command, { min: 1 }),
    ),
  };
  const limits = {
    ...optional(
      'bodyBytes',
      integerFlag(values['max-body-bytes'], 'max-body-bytes', command, { min: 1024 }),
    ),
    ...optional('textsPerCall', integerFlag(values['max-texts'], 'max-texts', command, { min: 1 })),
    ...optional(
      'textChars',
      integerFlag(values['max-text-chars'], 'max-text-chars', command, { min: 1 }),
    ),
  };
  const chunking = {
    ...optional(
      'maxTokens',
      integerFlag(values['max-tokens'], 'max-tokens', command, { min: 3, max: 8192 }),
    ),
    ...optional('overlap', integerFlag(values.overlap, 'overlap', command, { min: 0 })),
  };
  const selection = selectStore(values, context);
  const { target } = selection;
  const dataDir = resolveDataDir(values['data-dir'], context.env, context.cwd);
  const options = context.signal ? { signal: context.signal } : {};

  const release = target.kind === 'memory' ? await lockStoreFile(target.path, command) : undefined;
  let encoder: M3EncoderV1 | undefined;
  let store: M3StoreV1 | undefined;
  try {
    // The collection's own spec (as m3 ingest and m3 stats read it); a new one is created with the
    // sync fields POST /documents needs.
    const existing = await lookUpCollection(target, dataDir, options);
    const spec = existing.state === 'exists' ? existing.spec : undefined;
    const modelRef = resolveModelRef(
      values.model ?? hubModelOf(spec?.model),
      context.env,
      context.cwd,
      command,
    );
    if (spec && spec.denseDimension !== modelDimension(modelRef)) {
      throw new InvalidInputError(
        `the collection "${target.collection}" holds ${spec.denseDimension}-dimensional vectors but --model ${modelRef.display} makes ${modelDimension(modelRef)}: serve it with the model it was ingested with`,
      );
    }
    const signals: readonly Signal[] | undefined = selection.signals ?? spec?.signals;
    const metadataFields =
      values.field === undefined && spec ? spec.metadataFields : selection.metadataFields;
    encoder = await openEncoder(modelRef, {
      ...(threads !== undefined ? { threads } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      onNote: (line) => context.note(line),
    });
    store = await openStore({
      target,
      denseDimension: encoder.denseDimension,
      ...(signals ? { signals } : {}),
      metadataFields:
        withSyncFields({
          name: target.collection,
          denseDimension: encoder.denseDimension,
          metadataFields,
        }).metadataFields ?? [],
      model: spec?.model ?? (await modelIdentity(modelRef)),
      ...(spec ? { storeText: spec.storeText } : {}),
    });
    await store.ensureCollection(options);
    if (target.kind !== 'memory') {
      // A cache for adapters that cannot describe a collection yet, as m3 ingest keeps it.
      await writeManifest(dataDir, target, {
        denseDimension: store.collection.denseDimension,
        signals: store.collection.signals,
        metadataFields: store.collection.metadataFields,
        model: store.collection.model ?? (await modelIdentity(modelRef)),
      });
    }
    const { createM3Server } = await import('@m3kit/server');
    const server = await createM3Server({
      encoder,
      stores: [store],
      limits,
      batching,
      chunking,
      parseFilter: (expression) => parseFilter(expression, command),
      hash: nodeSha256,
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(values.cors ? { corsOrigins: values.cors } : {}),
      ...(values.log ? { logRequests: true } : {}),
    });
    const address = await server.listen({ port, host });
    context.note(
      `m3 serve: listening on ${address} (playground ${address}/, API ${address}/openapi.json): collection ${target.collection} on ${target.display}, model ${modelRef.display}${apiKey ? ', API key required' : ''}`,
    );
    await stopped(context.signal);
    context.note('m3 serve: stopping: finishing in-flight requests');
    await server.close();
    context.note('m3 serve: stopped');
    return EXIT_CODES.ok;
  } finally {
    await store?.close().catch(() => undefined);
    await encoder?.close().catch(() => undefined);
    await release?.();
  }
}

/** Resolves when the binary's signal fires (SIGTERM or SIGINT); without one, never. */
function stopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** `m3 serve --help`; the store and common flags come from help.ts, shared with every command. */
export function serveHelp(storeFlags: string, commonFlags: string): string {
  return `Usage: m3 serve [options]

Keeps the model and the store open and serves them over HTTP (Fastify) until SIGTERM or Ctrl-C;
then it stops accepting, finishes the requests in flight and closes the store.

Routes: POST /embed (FlagEmbedding names: sentences, return_dense, return_sparse,
return_colbert_vecs), POST /query (hybrid query by text or embedding), POST /explain (why a hit
scored), POST /documents (ingest: chunk, encode, write), DELETE /documents/{id}, GET /stats,
POST /v1/embeddings (OpenAI-compatible, dense), GET /healthz, GET /readyz, GET /metrics
(Prometheus), GET /openapi.json, and the relevance playground at GET /.

Options:
  -m, --model DIR|ID      model directory or Hugging Face id (default $M3_MODEL or BAAI/bge-m3)
  -p, --port N            port (default 8080; 0 picks a free one)
      --host HOST         interface to listen on (default 127.0.0.1; 0.0.0.0 for all)
      --auth-key KEY      require Authorization: Bearer KEY on every route but /healthz, /readyz
                          and the playground's files (env M3_SERVE_API_KEY; prefer the env)
      --cors ORIGIN       allow browser calls from ORIGIN (repeatable; CORS is off by default)
      --threads N         encoder threads
      --batch-wait-ms N   how long a request waits for others to share an encoder call (default 10)
      --batch-texts N     texts per encoder call from merged requests (default 64)
      --queue-texts N     texts waiting for the encoder before 503 + Retry-After (default 1024)
      --max-body-bytes N  largest request body (default 16 MiB)
      --max-texts N       texts per /embed or /v1/embeddings call (default 256)
      --max-text-chars N  characters per text (default 100000)
      --max-tokens N      POST /documents chunk size in tokens (default 512)
      --overlap N         POST /documents chunk overlap (default 64)
      --log               log every request (the Authorization header is redacted)
${storeFlags}
${commonFlags}

Examples:
  m3 serve --model fixtures/tiny-m3 --port 8080
  M3_SERVE_API_KEY=... m3 serve --store es://localhost:9200/docs --model BAAI/bge-m3 --host 0.0.0.0
  curl -s localhost:8080/query -H 'content-type: application/json' -d '{"text":"reset my password","top_k":5}'`;
}
