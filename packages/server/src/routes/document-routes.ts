import {
  SYNC_FIELDS,
  filters,
  ingest,
  type M3Document,
  type M3StoreV1,
  type Metadata,
} from '@m3kit/core';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../create-server.js';
import { HttpError } from '../http-error.js';
import { DELETE_DOCUMENT_SCHEMA, STATS_SCHEMA, documentsSchema } from '../schemas.js';
import { requestSignal } from './request-signal.js';

interface DocumentsBody {
  readonly collection?: string;
  readonly documents: ReadonlyArray<{
    readonly id: string;
    readonly text: string;
    readonly metadata?: Metadata;
  }>;
}

export function registerDocumentRoutes(app: FastifyInstance, context: ServerContext): void {
  const { limits } = context.options;

  app.post<{ Body: DocumentsBody }>(
    '/documents',
    { schema: documentsSchema(limits) },
    async (request, reply) => {
      const store = context.storeFor(request.body.collection);
      const documents: M3Document[] = request.body.documents.map((d) => ({
        id: d.id,
        text: d.text,
        ...(d.metadata ? { metadata: d.metadata } : {}),
      }));
      // The same content-addressed sync as `m3 ingest`: unchanged documents are not encoded again,
      // older versions are removed; the encoder calls go through the shared queue, so an ingest
      // cannot starve queries.
      const report = await ingest(documents, {
        encoder: context.batcher.asEncoder(),
        store,
        onDocumentError: 'skip',
        signal: requestSignal(reply),
        ...(context.options.chunking ? { chunking: context.options.chunking } : {}),
        ...(context.options.hash ? { hash: context.options.hash } : {}),
      });
      return {
        collection: store.collection.name,
        documents: report.documents,
        written: report.written,
        unchanged: report.unchanged,
        chunks: report.chunks,
        deleted_chunks: report.deletedChunks,
        tokens: report.tokens,
        duplicates: report.duplicates.map((d) => d.id),
        superseded: report.superseded,
        skipped: report.skipped,
        seconds: report.seconds,
      };
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { collection?: string } }>(
    '/documents/:id',
    { schema: DELETE_DOCUMENT_SCHEMA },
    async (request) => {
      const store = context.storeFor(request.query.collection);
      const deleted = await deleteDocument(store, request.params.id);
      if (deleted.length === 0) {
        throw new HttpError(
          404,
          'not_found',
          `no document "${request.params.id}" in collection "${store.collection.name}"`,
          'id',
        );
      }
      return { id: request.params.id, collection: store.collection.name, deleted };
    },
  );

  app.get('/stats', { schema: STATS_SCHEMA }, async () => {
    const { encoder } = context.options;
    const collections = await Promise.all(
      context.options.stores.map(async (store) => ({
        name: store.collection.name,
        backend: store.capabilities.backend,
        points: await store.count(),
        signals: store.collection.signals,
        dense_dimension: store.collection.denseDimension,
        metadata_fields: store.collection.metadataFields,
        native_fusion: store.capabilities.nativeFusion,
        native_colbert: store.capabilities.nativeColbert,
      })),
    );
    return {
      model: {
        id: encoder.modelId,
        dense_dimension: encoder.denseDimension,
        max_length: encoder.maxLength,
      },
      collections,
      queue: context.batcher.queued,
      limits,
    };
  });
}

/**
 * Every chunk ingest wrote for the document (found by its `m3_document_id`, which ingest stores
 * and indexes), and a record stored under exactly `id` by other means.
 */
async function deleteDocument(store: M3StoreV1, id: string): Promise<string[]> {
  const found = new Set((await store.get([id])).map((r) => r.id));
  for await (const page of store.scan({ filter: filters.eq(SYNC_FIELDS.documentId, id) })) {
    for (const record of page) found.add(record.id);
  }
  if (found.size > 0) await store.delete([...found]);
  return [...found];
}
