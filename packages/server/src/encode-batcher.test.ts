import { AbortedError } from '@m3kit/core';
import { HashingEncoder } from '@m3kit/core/testing';
import { describe, expect, it } from 'vitest';
import { EncodeBatcher } from './encode-batcher.js';
import { errorReply } from './error-reply.js';
import { QueueFullError } from './queue-full-error.js';

const all = { dense: true, sparse: true, colbert: true };

describe('EncodeBatcher', () => {
  it('merges concurrent requests into one encoder call and gives each its own outputs', async () => {
    const encoder = new HashingEncoder({ dimension: 16 });
    const batches: number[] = [];
    const batcher = new EncodeBatcher(
      encoder,
      { maxWaitMs: 5 },
      { onBatch: (texts) => batches.push(texts) },
    );
    const [a, b, c] = await Promise.all([
      batcher.encode(['alpha'], all),
      batcher.encode(['beta', 'gamma'], { dense: true, sparse: false, colbert: false }),
      batcher.encode(['delta'], all),
    ]);
    expect(batches).toEqual([4]);
    const direct = await encoder.encode(['alpha', 'beta', 'gamma', 'delta']);
    expect(a![0]!.dense).toEqual(direct[0]!.dense);
    expect(b!.map((e) => e.dense)).toEqual([direct[1]!.dense, direct[2]!.dense]);
    expect(b![0]!.lexical).toBeUndefined();
    expect(b![0]!.colbert).toBeUndefined();
    expect(c![0]!.colbert).toEqual(direct[3]!.colbert);
  });

  it('waits for company only while requests overlap: a lone client is not held back', async () => {
    const batches: number[] = [];
    const batcher = new EncodeBatcher(
      new HashingEncoder(),
      { maxWaitMs: 300 },
      { onBatch: (texts) => batches.push(texts) },
    );
    const timed = async (text: string): Promise<number> => {
      const started = performance.now();
      await batcher.encode([text], all);
      return performance.now() - started;
    };
    // A fresh batcher expects no company (no call answered yet, nothing else read): it runs at
    // once; a batch of one with nobody behind it shows the load is one at a time.
    expect(await timed('a')).toBeLessThan(150);
    expect(await timed('b')).toBeLessThan(150);
    // Two in the same turn of the event loop still share a call, and mark the load as overlapping.
    await Promise.all([batcher.encode(['c'], all), batcher.encode(['d'], all)]);
    expect(batches).toEqual([1, 1, 2]);
    // Overlapping now: a request waits for one that arrives 20 ms later, and they share a call.
    const first = batcher.encode(['e'], all);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([first, batcher.encode(['f'], all)]);
    expect(batches).toEqual([1, 1, 2, 2]);
    // A batch of one with nobody behind it ends the overlap: the next lone request runs at once.
    await batcher.encode(['g'], all);
    expect(await timed('h')).toBeLessThan(150);
    // Other requests read by the HTTP layer and not answered yet: company may come, so it waits.
    batcher.requestsInFlight = 3;
    expect(await timed('i')).toBeGreaterThanOrEqual(250);
  });

  it('keeps requests with different token limits apart and caps merged batches', async () => {
    const batches: number[] = [];
    const batcher = new EncodeBatcher(
      new HashingEncoder(),
      { maxWaitMs: 5, maxBatchTexts: 2 },
      { onBatch: (texts) => batches.push(texts) },
    );
    await Promise.all([
      batcher.encode(['a'], all),
      batcher.encode(['b'], { ...all, maxLength: 8 }),
      batcher.encode(['c'], all),
      batcher.encode(['d'], all),
    ]);
    expect(batches.reduce((x, y) => x + y, 0)).toBe(4);
    expect(Math.max(...batches)).toBeLessThanOrEqual(2);
    expect(batches.length).toBe(3);
  });

  it('waits for the clients the last call answered, and starts the moment they are all back', async () => {
    const batches: number[] = [];
    // A budget no test could sit out: if the batcher waited for its timer, this test would time out.
    const batcher = new EncodeBatcher(
      new HashingEncoder(),
      { maxWaitMs: 60_000 },
      { onBatch: (texts) => batches.push(texts) },
    );
    const round = (texts: string[]) => Promise.all(texts.map((t) => batcher.encode([t], all)));
    await round(['a', 'b', 'c']);
    // Three closed-loop clients come back one after another, across turns of the event loop: the
    // first two wait for the third (they are two of the three expected), then all share one call.
    const first = batcher.encode(['d'], all);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batcher.encode(['e'], all);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([3]);
    await Promise.all([first, second, batcher.encode(['f'], all)]);
    expect(batches).toEqual([3, 3]);
  });

  it('fills each call with queued requests of similar length when more is queued than one call takes', async () => {
    const inner = new HashingEncoder();
    const calls: string[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gated = {
      ...inner,
      specificationVersion: inner.specificationVersion,
      modelId: inner.modelId,
      denseDimension: inner.denseDimension,
      maxLength: inner.maxLength,
      tokenize: inner.tokenize.bind(inner),
      close: inner.close.bind(inner),
      encode: async (texts: readonly string[], options?: Parameters<typeof inner.encode>[1]) => {
        calls.push([...texts]);
        await gate;
        return inner.encode(texts, options);
      },
    };
    const batcher = new EncodeBatcher(gated, { maxWaitMs: 0, maxBatchTexts: 2 });
    const long = (n: number) => `long ${'x'.repeat(200)} ${n}`;
    // The first call holds the encoder; meanwhile short and long requests queue, interleaved.
    const pending = [
      batcher.encode(['first'], all),
      batcher.encode(['s1'], all),
      batcher.encode([long(1)], all),
      batcher.encode(['s2'], all),
      batcher.encode([long(2)], all),
    ];
    release();
    const results = await Promise.all(pending);
    expect(calls).toEqual([['first'], ['s1', 's2'], [long(1), long(2)]]);
    // Each request still gets its own text's encoding.
    const direct = await inner.encode([long(2)]);
    expect(results[4]![0]!.dense).toEqual(direct[0]!.dense);
  });

  it('refuses a request past the queue bound with QueueFullError, admits one into an empty queue whatever its size', async () => {
    const batcher = new EncodeBatcher(new HashingEncoder(), { maxWaitMs: 20, maxQueuedTexts: 3 });
    const big = batcher.encode(['1', '2', '3', '4', '5'], all);
    await expect(batcher.encode(['6'], all)).rejects.toSatisfy((e) => QueueFullError.isInstance(e));
    expect(await big).toHaveLength(5);
    const mapped = errorReply(new QueueFullError(3, 3, 2));
    expect(mapped.statusCode).toBe(503);
    expect(mapped.headers['retry-after']).toBe('2');
  });

  it('drops a queued request whose caller aborted, and reports idle once drained', async () => {
    const batcher = new EncodeBatcher(new HashingEncoder(), { maxWaitMs: 30 });
    const controller = new AbortController();
    const dropped = batcher.encode(['gone'], { ...all, signal: controller.signal });
    const kept = batcher.encode(['kept'], all);
    controller.abort();
    await expect(dropped).rejects.toSatisfy((e) => AbortedError.isInstance(e));
    expect(batcher.queued).toEqual({ texts: 1, requests: 1 });
    await batcher.idle();
    expect(await kept).toHaveLength(1);
  });
});

describe('errorReply', () => {
  it('names the deepest field of a validation error and hides unexpected errors', () => {
    const validation = Object.assign(new Error('bad'), {
      validation: [
        { instancePath: '/sentences', keyword: 'type', message: 'must be string', params: {} },
        {
          instancePath: '/sentences/2',
          keyword: 'minLength',
          message: 'must NOT have fewer than 1 characters',
          params: {},
        },
        {
          instancePath: '/sentences',
          keyword: 'oneOf',
          message: 'must match exactly one schema in oneOf',
          params: {},
        },
      ],
      validationContext: 'body',
    });
    expect(errorReply(validation).body.error).toEqual({
      code: 'invalid_input',
      message: 'body.sentences[2]: must NOT have fewer than 1 characters',
      field: 'body.sentences[2]',
    });
    const unexpected = errorReply(new Error('secret internals'));
    expect(unexpected.statusCode).toBe(500);
    expect(unexpected.unexpected).toBe(true);
    expect(JSON.stringify(unexpected.body)).not.toContain('secret');
  });
});
