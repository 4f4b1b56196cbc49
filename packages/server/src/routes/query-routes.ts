import {
  ALL_SIGNALS,
  InvalidInputError,
  checkQueryDimensions,
  hasSignal,
  validateFilter,
  type Filter,
  type Fusion,
  type HybridQuery,
  type M3Embedding,
  type M3StoreV1,
  type Signal,
} from '@m3kit/core';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../create-server.js';
import { explainMatch } from '../explain.js';
import { HttpError, badRequest } from '../http-error.js';
import { explainSchema, querySchema } from '../schemas.js';
import { embeddingFromWire, hitToWire, type WireEmbedding } from '../wire.js';
import { requestSignal } from './request-signal.js';

interface QueryBody {
  readonly text?: string;
  readonly embedding?: WireEmbedding;
  readonly collection?: string;
  readonly signals?: readonly Signal[];
  readonly weights?: Partial<Record<Signal, number>>;
  readonly fusion: 'weighted' | 'rrf' | 'dbsf';
  readonly rrf_k?: number;
  readonly top_k: number;
  readonly candidates?: number;
  readonly filter?: Filter;
  readonly filter_expr?: string;
  readonly include_text: boolean;
  readonly include_metadata: boolean;
  readonly max_length?: number;
}

interface ExplainBody {
  readonly text: string;
  readonly id: string;
  readonly collection?: string;
  readonly max_length?: number;
  readonly top_tokens: number;
}

export function registerQueryRoutes(app: FastifyInstance, context: ServerContext): void {
  const { limits } = context.options;

  app.post<{ Body: QueryBody }>(
    '/query',
    { schema: querySchema(limits) },
    async (request, reply) => {
      const body = request.body;
      const store = context.storeFor(body.collection);
      const signals = querySignals(body.signals, store);
      const filter = queryFilter(body, context);
      if (body.rrf_k !== undefined && body.fusion !== 'rrf')
        throw badRequest('body.rrf_k', 'applies to fusion "rrf" only');
      const signal = requestSignal(reply);
      const started = performance.now();
      const embedding = await queryEmbedding(body, signals, store, context, signal);
      const encoded = performance.now();
      const fusion: Fusion =
        body.fusion === 'rrf'
          ? { kind: 'rrf', ...(body.rrf_k !== undefined ? { k: body.rrf_k } : {}) }
          : { kind: body.fusion };
      const query: HybridQuery = {
        embedding,
        signals,
        fusion,
        topK: body.top_k,
        includeText: body.include_text,
        includeMetadata: body.include_metadata,
        ...(body.weights ? { weights: body.weights } : {}),
        ...(body.candidates !== undefined ? { candidates: body.candidates } : {}),
        ...(filter ? { filter } : {}),
      };
      const result = await store.query(query, { signal });
      return {
        collection: store.collection.name,
        signals,
        fusion: signals.length > 1 ? fusion.kind : 'none',
        hits: result.hits.map(hitToWire),
        execution: result.execution,
        warnings: result.warnings,
        timings_ms: {
          encode: round(encoded - started),
          search: round(performance.now() - encoded),
        },
      };
    },
  );

  app.post<{ Body: ExplainBody }>(
    '/explain',
    { schema: explainSchema(limits) },
    async (request, reply) => {
      const body = request.body;
      const store = context.storeFor(body.collection);
      const signal = requestSignal(reply);
      const [record] = await store.get([body.id], { includeEmbedding: true, signal });
      if (!record)
        throw new HttpError(
          404,
          'not_found',
          `no record "${body.id}" in collection "${store.collection.name}"`,
          'body.id',
        );
      const signals = store.collection.signals;
      const [encoded] = await context.batcher.encode([body.text], {
        dense: signals.includes('dense'),
        sparse: signals.includes('sparse'),
        colbert: signals.includes('colbert'),
        ...(body.max_length !== undefined ? { maxLength: body.max_length } : {}),
        signal,
      });
      return explainMatch({
        encoder: context.options.encoder,
        queryText: body.text,
        query: encoded!,
        record,
        topTokens: body.top_tokens,
        ...(body.max_length !== undefined ? { maxLength: body.max_length } : {}),
        ...(context.options.chunking?.maxTokens !== undefined
          ? { documentMaxLength: context.options.chunking.maxTokens }
          : {}),
      });
    },
  );
}

/** The signals asked for, each one the collection holds; default all it holds. */
function querySignals(asked: readonly Signal[] | undefined, store: M3StoreV1): readonly Signal[] {
  const held = store.collection.signals;
  if (asked === undefined) return ALL_SIGNALS.filter((s) => held.includes(s));
  asked.forEach((signal, i) => {
    if (!held.includes(signal))
      throw badRequest(
        `body.signals[${i}]`,
        `collection "${store.collection.name}" holds ${held.join(', ')}, not ${signal}`,
      );
  });
  return asked;
}

function queryFilter(body: QueryBody, context: ServerContext): Filter | undefined {
  if (body.filter !== undefined && body.filter_expr !== undefined)
    throw badRequest('body.filter_expr', 'give filter or filter_expr, not both');
  if (body.filter !== undefined) {
    try {
      validateFilter(body.filter);
    } catch (error) {
      throw badRequest('body.filter', messageOf(error));
    }
    return body.filter;
  }
  if (body.filter_expr === undefined || body.filter_expr.trim() === '') return undefined;
  const parse = context.options.parseFilter;
  if (!parse)
    throw badRequest('body.filter_expr', 'this server takes filters as data only: use "filter"');
  try {
    return parse(body.filter_expr);
  } catch (error) {
    throw badRequest('body.filter_expr', messageOf(error));
  }
}

async function queryEmbedding(
  body: QueryBody,
  signals: readonly Signal[],
  store: M3StoreV1,
  context: ServerContext,
  signal: AbortSignal,
): Promise<M3Embedding> {
  if ((body.text === undefined) === (body.embedding === undefined))
    throw badRequest('body', 'give exactly one of text, embedding');
  let embedding: M3Embedding;
  if (body.embedding !== undefined) {
    embedding = embeddingFromWire(body.embedding, 'body.embedding');
    const missing = signals.find((s) => !hasSignal(embedding, s));
    if (missing)
      throw badRequest(
        'body.embedding',
        `has no ${missing} part; send it or leave ${missing} out of signals`,
      );
  } else {
    const [encoded] = await context.batcher.encode([body.text!], {
      dense: signals.includes('dense'),
      sparse: signals.includes('sparse'),
      colbert: signals.includes('colbert'),
      ...(body.max_length !== undefined ? { maxLength: body.max_length } : {}),
      signal,
    });
    const { tokenCount: _tokens, truncated: _truncated, ...rest } = encoded!;
    embedding = rest;
  }
  try {
    checkQueryDimensions(embedding, store.collection);
  } catch (error) {
    throw badRequest('body.embedding', messageOf(error));
  }
  return embedding;
}

function messageOf(error: unknown): string {
  if (InvalidInputError.isInstance(error) || error instanceof Error) return error.message;
  return String(error);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
