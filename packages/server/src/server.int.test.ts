import {
  ExactStore,
  UnsupportedError,
  filters,
  withSyncFields,
  type CollectionSpec,
  type M3StoreV1,
} from '@m3kit/core';
import { ElasticStore } from '@m3kit/elastic';
import { M3Encoder } from '@m3kit/encoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createM3Server, type M3Server } from './index.js';
import { TINY_MODEL, call, sampleDocuments } from './test-support/fixture.js';

const ES_URL = process.env.ES_URL;
if (!ES_URL) console.warn('SKIPPED: server routes on Elasticsearch: ES_URL not set');

let encoder: M3Encoder;
beforeAll(async () => {
  encoder = await M3Encoder.load(TINY_MODEL, { threads: 1 });
}, 60_000);
afterAll(async () => {
  await encoder?.close();
});

const uniqueName = (): string =>
  `m3serve_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;

const spec = (): CollectionSpec =>
  withSyncFields({
    name: uniqueName(),
    denseDimension: 32,
    metadataFields: [
      { name: 'lang', type: 'keyword' },
      { name: 'year', type: 'integer' },
    ],
  } satisfies CollectionSpec);

/** The test's own tiny parser for `field=value`, to check the server hands `filter_expr` to the injected parser. */
const parseFilter = (expression: string) => {
  const [field, value] = expression.split('=');
  if (!field || value === undefined)
    throw new Error(`expected field=value, got ${JSON.stringify(expression)}`);
  return filters.eq(field.trim(), value.trim());
};

const STORES: Array<{ name: string; skip: boolean; open: () => M3StoreV1 }> = [
  { name: 'exact', skip: false, open: () => new ExactStore({ collection: spec() }) },
  {
    name: 'elasticsearch',
    skip: !ES_URL,
    open: () => new ElasticStore({ node: ES_URL!, collection: spec() }),
  },
];

describe.each(STORES)('every route on the $name store', ({ skip, open }) => {
  let store: M3StoreV1;
  let server: M3Server;
  let base: string;
  let chunks = 0;
  /** Why this store cannot run the suite yet (an adapter without scan(), which ingest's sync needs). */
  let missing: string | undefined;

  beforeAll(async () => {
    if (skip) return;
    store = open();
    await store.ensureCollection();
    try {
      for await (const _page of store.scan({ pageSize: 1 })) break;
    } catch (error) {
      if (!UnsupportedError.isInstance(error)) throw error;
      missing = `${store.capabilities.backend} adapter: ${error.message}`;
      console.warn(
        `SKIPPED: server routes on ${store.capabilities.backend}: ingest() needs scan(), which this adapter does not implement yet (${missing})`,
      );
    }
    server = await createM3Server({
      encoder,
      stores: [store],
      parseFilter,
      limits: { textChars: 2000, bodyBytes: 256 * 1024, textsPerCall: 64 },
    });
    base = await server.listen({ port: 0 });
  }, 60_000);
  afterAll(async () => {
    if (skip) return;
    await server?.close();
    if (store && store.capabilities.backend !== 'exact') await store.drop().catch(() => undefined);
    await store?.close();
  }, 60_000);

  it.skipIf(skip)(
    'POST /documents ingests the sample; GET /stats counts its chunks',
    async (ctx) => {
      if (missing) ctx.skip();
      const documents = sampleDocuments();
      const ingested = await call(base, 'POST', '/documents', {
        documents: documents.map((d) => ({ id: d.id, text: d.text, metadata: d.metadata })),
      });
      expect(ingested.status).toBe(200);
      expect(ingested.body.documents).toBe(documents.length);
      expect(ingested.body.written).toBe(documents.length);
      expect(ingested.body.skipped).toEqual([]);
      chunks = ingested.body.chunks;
      // Content-addressed: the same documents again are found unchanged and not encoded.
      const again = await call(base, 'POST', '/documents', {
        documents: documents
          .slice(0, 3)
          .map((d) => ({ id: d.id, text: d.text, metadata: d.metadata })),
      });
      expect(again.body).toMatchObject({ documents: 3, written: 0, unchanged: 3, chunks: 0 });
      expect(chunks).toBeGreaterThanOrEqual(documents.length);
      const stats = await call(base, 'GET', '/stats');
      expect(stats.status).toBe(200);
      expect(stats.body.collections[0]).toMatchObject({
        name: store.collection.name,
        points: chunks,
        signals: ['dense', 'sparse', 'colbert'],
        dense_dimension: 32,
      });
      expect(stats.body.model.dense_dimension).toBe(32);
    },
    60_000,
  );

  it.skipIf(skip)(
    'POST /query by text answers what the store answers, with per-signal scores and execution',
    async (ctx) => {
      if (missing) ctx.skip();
      const answer = await call(base, 'POST', '/query', {
        text: 'how do I reset my password',
        top_k: 5,
      });
      expect(answer.status).toBe(200);
      expect(answer.body.hits).toHaveLength(5);
      for (const hit of answer.body.hits)
        expect(Object.keys(hit.signal_scores).sort()).toEqual(['colbert', 'dense', 'sparse']);
      expect(typeof answer.body.execution.description).toBe('string');
      const [embedding] = await encoder.encode(['how do I reset my password']);
      const direct = await store.query({ embedding: embedding!, topK: 5 });
      expect(answer.body.hits.map((h: { id: string }) => h.id)).toEqual(
        direct.hits.map((h) => h.id),
      );
      answer.body.hits.forEach((hit: { score: number }, i: number) => {
        expect(hit.score).toBeCloseTo(direct.hits[i]!.score, 5);
      });
    },
    30_000,
  );

  it.skipIf(skip)(
    'POST /query by embedding from /embed ranks like the text query; rrf, one signal and filters work',
    async (ctx) => {
      if (missing) ctx.skip();
      const text = 'Passwort zurücksetzen';
      const embedded = await call(base, 'POST', '/embed', {
        sentences: [text],
        return_dense: true,
        return_sparse: true,
        return_colbert_vecs: true,
      });
      const byEmbedding = await call(base, 'POST', '/query', {
        embedding: {
          dense: embedded.body.dense_vecs[0],
          lexical_weights: embedded.body.lexical_weights[0],
          colbert_vecs: embedded.body.colbert_vecs[0],
        },
        top_k: 5,
      });
      const byText = await call(base, 'POST', '/query', { text, top_k: 5 });
      expect(byEmbedding.status).toBe(200);
      expect(byEmbedding.body.hits.map((h: { id: string }) => h.id)).toEqual(
        byText.body.hits.map((h: { id: string }) => h.id),
      );

      const rrf = await call(base, 'POST', '/query', { text, fusion: 'rrf', rrf_k: 10, top_k: 3 });
      expect(rrf.status).toBe(200);
      expect(rrf.body.fusion).toBe('rrf');
      const dense = await call(base, 'POST', '/query', { text, signals: ['dense'], top_k: 3 });
      expect(dense.body.signals).toEqual(['dense']);
      expect(dense.body.hits[0].score).toBeCloseTo(dense.body.hits[0].signal_scores.dense, 6);

      const german = await call(base, 'POST', '/query', {
        text,
        top_k: 10,
        filter: { op: 'eq', field: 'lang', value: 'de' },
      });
      expect(german.status).toBe(200);
      expect(german.body.hits.length).toBeGreaterThan(0);
      for (const hit of german.body.hits) expect(hit.metadata.lang).toBe('de');
      const expression = await call(base, 'POST', '/query', {
        text,
        top_k: 10,
        filter_expr: 'lang=ja',
      });
      expect(expression.body.hits.length).toBeGreaterThan(0);
      for (const hit of expression.body.hits) expect(hit.metadata.lang).toBe('ja');
    },
    30_000,
  );

  it.skipIf(skip)(
    "POST /embed returns the encoder's numbers under FlagEmbedding names, with truncation per text",
    async (ctx) => {
      if (missing) ctx.skip();
      const texts = ['What is BGE-M3?', 'Hybrid search combines dense and sparse signals.'];
      const answer = await call(base, 'POST', '/embed', {
        sentences: texts,
        return_sparse: true,
        return_colbert_vecs: true,
      });
      expect(answer.status).toBe(200);
      const direct = await encoder.encode(texts);
      texts.forEach((_, i) => {
        expect(answer.body.dense_vecs[i]).toHaveLength(32);
        answer.body.dense_vecs[i].forEach((v: number, j: number) => {
          expect(v).toBeCloseTo(direct[i]!.dense![j]!, 5);
        });
        expect(Object.keys(answer.body.lexical_weights[i]).map(Number)).toEqual(
          Array.from(direct[i]!.lexical!.indices),
        );
        expect(answer.body.colbert_vecs[i]).toHaveLength(direct[i]!.tokenCount - 1);
        expect(answer.body.truncation[i]).toEqual({
          token_count: direct[i]!.tokenCount,
          truncated: false,
        });
      });
      const single = await call(base, 'POST', '/embed', {
        sentences: 'one long text '.repeat(20),
        max_length: 6,
      });
      expect(single.body.truncation).toEqual([{ token_count: 6, truncated: true }]);
      expect(single.body.lexical_weights).toBeUndefined();
    },
    30_000,
  );

  it.skipIf(skip)(
    'POST /v1/embeddings is OpenAI-shaped: float and base64 give the dense vector',
    async (ctx) => {
      if (missing) ctx.skip();
      const floats = await call(base, 'POST', '/v1/embeddings', {
        input: ['hello world', 'bonjour'],
        model: 'anything',
      });
      expect(floats.status).toBe(200);
      expect(floats.body.object).toBe('list');
      expect(floats.body.data.map((d: { index: number }) => d.index)).toEqual([0, 1]);
      expect(floats.body.usage.prompt_tokens).toBeGreaterThan(2);
      const base64 = await call(base, 'POST', '/v1/embeddings', {
        input: 'hello world',
        encoding_format: 'base64',
      });
      const bytes = Buffer.from(base64.body.data[0].embedding, 'base64');
      const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
      expect(decoded).toHaveLength(32);
      decoded.forEach((v, i) => {
        expect(v).toBeCloseTo(floats.body.data[0].embedding[i], 6);
      });
    },
    30_000,
  );

  it.skipIf(skip)(
    'POST /explain decomposes the scores /query reported',
    async (ctx) => {
      if (missing) ctx.skip();
      const text = 'how do I reset my password';
      const hits = await call(base, 'POST', '/query', { text, top_k: 3 });
      const top = hits.body.hits[0];
      const why = await call(base, 'POST', '/explain', { text, id: top.id, top_tokens: 1000 });
      expect(why.status).toBe(200);
      const tolerance = store.capabilities.scoreTolerance + 1e-6;
      for (const signal of ['dense', 'sparse', 'colbert'] as const) {
        expect(Math.abs(why.body.scores[signal] - top.signal_scores[signal])).toBeLessThanOrEqual(
          tolerance * Math.max(1, Math.abs(top.signal_scores[signal])),
        );
      }
      const lexicalSum = why.body.lexical.reduce(
        (sum: number, t: { product: number }) => sum + t.product,
        0,
      );
      expect(lexicalSum).toBeCloseTo(why.body.scores.sparse, 5);
      const colbertMean =
        why.body.colbert.reduce((sum: number, m: { similarity: number }) => sum + m.similarity, 0) /
        why.body.colbert.length;
      expect(colbertMean).toBeCloseTo(why.body.scores.colbert, 5);
      expect(why.body.colbert.at(-1).query_token).toBe('</s>');
      expect(why.body.lexical.every((t: { token: string }) => t.token.length > 0)).toBe(true);
      expect((await call(base, 'POST', '/explain', { text, id: 'no-such-id' })).status).toBe(404);
    },
    30_000,
  );

  it.skipIf(skip)(
    'DELETE /documents/{id} removes every chunk of the document; a second delete is 404',
    async (ctx) => {
      if (missing) ctx.skip();
      const deleted = await call(base, 'DELETE', '/documents/en-tea');
      expect(deleted.status).toBe(200);
      expect(deleted.body.deleted).toContainEqual(expect.stringMatching(/^en-tea#[0-9a-f]{16}#0$/));
      expect(await store.get(deleted.body.deleted)).toEqual([]);
      const stats = await call(base, 'GET', '/stats');
      expect(stats.body.collections[0].points).toBe(chunks - deleted.body.deleted.length);
      expect((await call(base, 'DELETE', '/documents/en-tea')).status).toBe(404);
    },
    30_000,
  );

  it.skipIf(skip)(
    'GET /healthz, /readyz, /metrics and /openapi.json',
    async (ctx) => {
      if (missing) ctx.skip();
      expect((await call(base, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
      const ready = await call(base, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.checks[`store:${store.collection.name}`]).toBe('ok');
      const metrics = await call(base, 'GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(
        /m3_http_requests_total\{route="\/query",method="POST",status="200"\} \d+/,
      );
      expect(metrics.body).toMatch(
        /m3_http_request_duration_seconds_bucket\{le="0.1",route="\/embed",method="POST"\} \d+/,
      );
      expect(metrics.body).toMatch(/m3_encoder_batch_texts_count \d+/);
      expect(metrics.body).toMatch(/m3_encoder_queue_texts 0/);
      const openapi = await call(base, 'GET', '/openapi.json');
      expect(openapi.body.openapi).toBe('3.0.3');
      for (const path of [
        '/embed',
        '/query',
        '/explain',
        '/documents',
        '/documents/{id}',
        '/stats',
        '/v1/embeddings',
        '/healthz',
        '/readyz',
        '/metrics',
      ]) {
        expect(openapi.body.paths[path], path).toBeDefined();
      }
      expect(
        openapi.body.paths['/embed'].post.requestBody.content['application/json'].schema.properties
          .sentences.oneOf[1].maxItems,
      ).toBe(64);
    },
    30_000,
  );

  const BAD: Array<[string, string, unknown, number, string]> = [
    ['/embed', 'no sentences', {}, 400, 'body.sentences'],
    ['/embed', 'empty list', { sentences: [] }, 400, 'body.sentences'],
    ['/embed', 'a number among texts', { sentences: ['a', 1] }, 400, 'body.sentences[1]'],
    ['/embed', 'an empty text', { sentences: ['a', ''] }, 400, 'body.sentences[1]'],
    ['/embed', 'a text too long', { sentences: ['x'.repeat(2001)] }, 400, 'body.sentences[0]'],
    [
      '/embed',
      'too many texts',
      { sentences: Array.from({ length: 65 }, () => 'x') },
      400,
      'body.sentences',
    ],
    [
      '/embed',
      'a switch as a string',
      { sentences: 'x', return_dense: 'yes' },
      400,
      'body.return_dense',
    ],
    ['/embed', 'a typo', { sentences: 'x', return_spares: true }, 400, 'body.return_spares'],
    ['/embed', 'nothing asked for', { sentences: 'x', return_dense: false }, 400, 'body'],
    ['/embed', 'max_length too small', { sentences: 'x', max_length: 2 }, 400, 'body.max_length'],
    ['/query', 'neither text nor embedding', {}, 400, 'body'],
    ['/query', 'both text and embedding', { text: 'x', embedding: { dense: [1] } }, 400, 'body'],
    ['/query', 'top_k 0', { text: 'x', top_k: 0 }, 400, 'body.top_k'],
    ['/query', 'top_k as a string', { text: 'x', top_k: '5' }, 400, 'body.top_k'],
    ['/query', 'an unknown fusion', { text: 'x', fusion: 'max' }, 400, 'body.fusion'],
    [
      '/query',
      'a negative weight',
      { text: 'x', weights: { dense: -1 } },
      400,
      'body.weights.dense',
    ],
    ['/query', 'an unknown signal', { text: 'x', signals: ['bm25'] }, 400, 'body.signals[0]'],
    ['/query', 'rrf_k without rrf', { text: 'x', rrf_k: 5 }, 400, 'body.rrf_k'],
    [
      '/query',
      'a malformed filter',
      { text: 'x', filter: { op: 'eq', field: 'bad field', value: 1 } },
      400,
      'body.filter',
    ],
    [
      '/query',
      'filter and filter_expr',
      { text: 'x', filter: { op: 'exists', field: 'lang' }, filter_expr: 'lang=en' },
      400,
      'body.filter_expr',
    ],
    ['/query', 'a bad filter_expr', { text: 'x', filter_expr: 'lang' }, 400, 'body.filter_expr'],
    [
      '/query',
      'a dense vector of the wrong size',
      { embedding: { dense: [1, 0] } },
      400,
      'body.embedding',
    ],
    [
      '/query',
      'an embedding without the signal asked for',
      { embedding: { dense: Array(32).fill(0.1) }, signals: ['sparse'] },
      400,
      'body.embedding',
    ],
    [
      '/query',
      'a lexical key that is no token id',
      { embedding: { lexical_weights: { abc: 1 } }, signals: ['sparse'] },
      400,
      'body.embedding.lexical_weights',
    ],
    ['/query', 'an unknown collection', { text: 'x', collection: 'nope' }, 404, 'collection'],
    [
      '/documents',
      'a document without text',
      { documents: [{ id: 'a' }] },
      400,
      'body.documents[0].text',
    ],
    ['/documents', 'no documents', { documents: [] }, 400, 'body.documents'],
    ['/v1/embeddings', 'token ids as input', { input: [1, 2] }, 400, 'body.input[0]'],
    ['/v1/embeddings', 'other dimensions', { input: 'x', dimensions: 8 }, 400, 'body.dimensions'],
    [
      '/v1/embeddings',
      'an unknown encoding',
      { input: 'x', encoding_format: 'int8' },
      400,
      'body.encoding_format',
    ],
    ['/explain', 'no id', { text: 'x' }, 400, 'body.id'],
  ];

  it.skipIf(skip).each(BAD)(
    'POST %s with %s: a 4xx naming the field',
    async (path, _what, body, status, field) => {
      const answer = await call(base, 'POST', path, body);
      expect(answer.status).toBe(status);
      expect(answer.body.error.field).toBe(field);
      expect(answer.body.error.message).toContain(field === 'collection' ? 'nope' : field);
    },
  );

  it.skipIf(skip)(
    'malformed JSON, a wrong content type, a body over the limit and an unknown route',
    async (ctx) => {
      if (missing) ctx.skip();
      const broken = await call(base, 'POST', '/query', '{"text": ', {});
      expect(broken.status).toBe(400);
      expect(broken.body.error.code).toBe('invalid_json');
      const plain = await fetch(`${base}/query`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'hello',
      });
      expect(plain.status).toBe(415);
      const huge = await call(base, 'POST', '/embed', {
        sentences: Array.from({ length: 60 }, () => 'y'.repeat(1999)).concat(['z'.repeat(200_000)]),
      });
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe('body_too_large');
      expect((await call(base, 'GET', '/nowhere')).status).toBe(404);
    },
  );
});
