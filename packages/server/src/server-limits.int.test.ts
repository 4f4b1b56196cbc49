import { ExactStore, type M3EncoderV1 } from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createM3Server, type M3Server } from './index.js';
import { TINY_MODEL, call } from './test-support/fixture.js';

let encoder: M3Encoder;
beforeAll(async () => {
  encoder = await M3Encoder.load(TINY_MODEL, { threads: 1 });
}, 60_000);
afterAll(async () => {
  await encoder?.close();
});

const newStore = (): ExactStore =>
  new ExactStore({ collection: { name: 'limits', denseDimension: 32 } });

async function started(
  options: Partial<Parameters<typeof createM3Server>[0]> = {},
): Promise<{ server: M3Server; base: string }> {
  const store = newStore();
  await store.ensureCollection();
  const server = await createM3Server({ encoder, stores: [store], ...options });
  return { server, base: await server.listen({ port: 0 }) };
}

const embed = (base: string, text: string, headers: Record<string, string> = {}) =>
  call(base, 'POST', '/embed', { sentences: [text] }, headers);

describe('API key', () => {
  const key = 'k3y-for-the-test-0123456789';
  let server: M3Server;
  let base: string;
  beforeAll(async () => ({ server, base } = await started({ apiKey: key })), 30_000);
  afterAll(() => server?.close());

  it('refuses a missing or wrong bearer token with 401, never echoing the key', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong' },
      { authorization: key },
      { authorization: `Bearer ${key}x` },
    ]) {
      const answer = await embed(base, 'hi', headers);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(answer.body.error.field).toBe('authorization');
      expect(JSON.stringify(answer.body)).not.toContain(key);
    }
    expect((await call(base, 'GET', '/metrics')).status).toBe(401);
    expect((await call(base, 'GET', '/stats')).status).toBe(401);
  });

  it('serves the right token; probes, the OpenAPI document and the playground need none', async () => {
    expect((await embed(base, 'hi', { authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await embed(base, 'hi', { authorization: `bearer   ${key}` })).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/', '/playground/playground.js']) {
      expect((await call(base, 'GET', path)).status, path).toBe(200);
    }
    const openapi = await call(base, 'GET', '/openapi.json');
    expect(openapi.body.components.securitySchemes.bearer).toEqual({
      type: 'http',
      scheme: 'bearer',
    });
  });
});

describe('CORS', () => {
  it('is off by default and on for the origins given', async () => {
    const closed = await started();
    const preflight = {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' },
    };
    const off = await fetch(`${closed.base}/query`, preflight);
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
    await closed.server.close();
    const open = await started({ corsOrigins: ['http://app.example'] });
    const on = await fetch(`${open.base}/query`, preflight);
    expect(on.headers.get('access-control-allow-origin')).toBe('http://app.example');
    await open.server.close();
  }, 30_000);
});

describe('encoder queue', () => {
  it('merges concurrent requests into fewer encoder calls', async () => {
    const { server, base } = await started({ batching: { maxWaitMs: 30 } });
    const texts = Array.from({ length: 12 }, (_, i) => `concurrent request number ${i}`);
    const answers = await Promise.all(texts.map((t) => embed(base, t)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const metrics = (await call(base, 'GET', '/metrics')).body as string;
    const calls = Number(/m3_encoder_batch_texts_count (\d+)/.exec(metrics)![1]);
    const textsEncoded = Number(/m3_encoder_batch_texts_sum (\d+)/.exec(metrics)![1]);
    expect(textsEncoded).toBe(12);
    expect(calls).toBeLessThan(12);
    // Each request still gets its own text's vector.
    const direct = await encoder.encode([texts[5]!]);
    answers[5]!.body.dense_vecs[0].forEach((v: number, i: number) => {
      expect(v).toBeCloseTo(direct[0]!.dense![i]!, 5);
    });
    await server.close();
  }, 30_000);

  it('answers 503 with Retry-After once the bounded queue is full, and serves the rest', async () => {
    const { server, base } = await started({
      batching: { maxWaitMs: 300, maxQueuedTexts: 4, maxBatchTexts: 64 },
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => embed(base, `queued text ${i}`)),
    );
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 503);
    expect(ok.length + refused.length).toBe(20);
    expect(ok.length).toBeGreaterThanOrEqual(4);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answer.body.error.code).toBe('queue_full');
    }
    const metrics = (await call(base, 'GET', '/metrics')).body as string;
    expect(metrics).toContain(`m3_encoder_rejected_total ${refused.length}`);
    expect((await embed(base, 'after the burst')).status).toBe(200);
    await server.close();
  }, 30_000);
});

describe('close()', () => {
  it('finishes requests in flight, then refuses connections; the store stays open for its owner', async () => {
    const store = newStore();
    await store.ensureCollection();
    // The encoder holds every call until close() has begun: the five requests are then in
    // flight (in the encoder or queued behind it), whatever the batcher's wait policy.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = 0;
    const gated: M3EncoderV1 = {
      specificationVersion: encoder.specificationVersion,
      modelId: encoder.modelId,
      denseDimension: encoder.denseDimension,
      maxLength: encoder.maxLength,
      tokenize: (texts, options) => encoder.tokenize(texts, options),
      close: async () => undefined,
      encode: async (texts, options) => {
        entered += texts.length;
        await gate;
        return encoder.encode(texts, options);
      },
    };
    const server = await createM3Server({ encoder: gated, stores: [store] });
    const base = await server.listen({ port: 0 });
    const inFlight = Array.from({ length: 5 }, (_, i) => embed(base, `in flight ${i}`));
    const since = Date.now();
    while (entered + server.batcher.queued.texts < 5 && Date.now() - since < 2000)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(entered + server.batcher.queued.texts).toBe(5);
    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const answers = await Promise.all(inFlight);
    await closing;
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(await store.count()).toBe(0);
    await store.close();
  }, 30_000);
});
