import { colbertScore, maxSimSum, type MultiVector } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import {
  decodeColbertBase64,
  encodeColbert,
  encodeColbertBase64,
  INT16_NORM_LIMIT,
  quantiseRows,
} from './colbert-codec.js';
import { ColbertWorkerPool, prepareQuery, sharedColbertPool } from './maxsim/colbert-pool.js';
import { ColbertScorer, compiledModule, maxSimSumJavaScript } from './maxsim/colbert-scorer.js';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function unitRows(rows: number, dim: number, seed: number): MultiVector {
  const next = random(seed);
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let c = 0; c < dim; c++) {
      const value = next() - 0.5 + (c % 7 === 0 ? 0.3 : 0); // a shared component, as real rows have
      data[r * dim + c] = value;
      norm += value * value;
    }
    for (let c = 0; c < dim; c++) data[r * dim + c]! /= Math.sqrt(norm);
  }
  return { data, rows, dim };
}

describe('ColBERT codec', () => {
  it('float32 round-trips bit-exactly', () => {
    const vectors = unitRows(5, 16, 1);
    expect(decodeColbertBase64(encodeColbertBase64(vectors, 'float32'))).toEqual(vectors);
  });

  it('int16 round-trips within half a step of each row', () => {
    const vectors = unitRows(7, 1024, 2);
    const decoded = decodeColbertBase64(encodeColbertBase64(vectors, 'int16'));
    expect(decoded.rows).toBe(7);
    let worst = 0;
    for (let i = 0; i < vectors.data.length; i++)
      worst = Math.max(worst, Math.abs(decoded.data[i]! - vectors.data[i]!));
    expect(worst).toBeLessThan(1.2e-5); // half a step: 0.5 / ~46,300 of a unit norm
  });

  it('int16 rows stay under the norm that keeps int32 dot products from overflowing, whatever their scale', () => {
    const dim = 1024;
    const data = new Float32Array(3 * dim);
    data.fill(1e6, 0, dim); // huge, flat row: every value at the norm bound
    data[dim] = 1e-30; // tiny, spiky row: one value at the int16 bound
    data.fill(0, 2 * dim); // zero row
    const scales = new Float32Array(3);
    const values = new Int16Array(3 * dim);
    quantiseRows(data, 3, dim, scales, values);
    for (let r = 0; r < 3; r++) {
      let squares = 0;
      for (let c = 0; c < dim; c++) squares += values[r * dim + c]! ** 2;
      expect(Math.sqrt(squares)).toBeLessThanOrEqual(INT16_NORM_LIMIT);
    }
    expect(values[dim]).toBe(32_767);
    // The error bound is half a step, and a step is the row's norm / ~46,300.
    const norm = 1e6 * Math.sqrt(dim);
    expect(Math.abs(values[0]! * scales[0]! - 1e6)).toBeLessThanOrEqual((0.5 * norm) / 46_000);
  });

  it('int8 keeps one code a value and a scale a row (1,028 bytes a 1024-d row)', () => {
    const vectors = unitRows(7, 1024, 4);
    const bytes = encodeColbert(vectors, 'int8');
    expect(bytes.byteLength).toBe(12 + 7 * 1028);
    expect(bytes[1]).toBe(3);
    const decoded = decodeColbertBase64(encodeColbertBase64(vectors, 'int8'));
    for (let r = 0; r < 7; r++) {
      let max = 0;
      for (let c = 0; c < 1024; c++) max = Math.max(max, Math.abs(vectors.data[r * 1024 + c]!));
      for (let c = 0; c < 1024; c++) {
        const i = r * 1024 + c;
        expect(Math.abs(decoded.data[i]! - vectors.data[i]!)).toBeLessThanOrEqual(
          (max / 127) * 0.5 * (1 + 1e-6),
        );
      }
    }
  });

  it('the header describes the blob', () => {
    const bytes = encodeColbert(unitRows(3, 8, 3), 'int16');
    expect(bytes.byteLength).toBe(12 + 3 * 4 + 3 * 8 * 2);
    expect([...bytes.slice(0, 12)]).toEqual([1, 1, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0]);
  });
});

describe('ColbertScorer', () => {
  const query = unitRows(32, 1024, 10);
  const passages = [unitRows(256, 1024, 11), unitRows(3, 1024, 12), unitRows(1, 1024, 13)];

  const tolerance = { int8: 1e-3, int16: 1e-4, float32: 1e-6 } as const;
  for (const encoding of ['int8', 'int16', 'float32'] as const) {
    for (const kernel of ['auto', 'javascript'] as const) {
      it(`${encoding} blobs, ${kernel} kernel: equals core's colbertScore within the storage error`, () => {
        const scorer = new ColbertScorer(query, { kernel });
        if (kernel === 'auto') expect(scorer.kernel).toBe('wasm-simd');
        for (const passage of passages) {
          const exact = colbertScore(query, passage);
          const score = scorer.scoreBase64(encodeColbertBase64(passage, encoding));
          expect(Math.abs(score - exact) / Math.abs(exact)).toBeLessThan(tolerance[encoding]);
          expect(scorer.scoreBytes(encodeColbert(passage, encoding))).toBe(score);
        }
      });
    }
  }

  it('handles odd dimensions and row counts (tails of the SIMD tiles)', () => {
    const q = unitRows(5, 13, 20);
    const p = unitRows(7, 13, 21);
    const exact = colbertScore(q, p);
    expect(new ColbertScorer(q).scoreBase64(encodeColbertBase64(p, 'float32'))).toBeCloseTo(
      exact,
      6,
    );
    expect(new ColbertScorer(q).scoreBase64(encodeColbertBase64(p, 'int16'))).toBeCloseTo(exact, 4);
    expect(new ColbertScorer(q).scoreBase64(encodeColbertBase64(p, 'int8'))).toBeCloseTo(exact, 2);
    const q16 = unitRows(6, 48, 22); // a multiple of 16: the int8 tile with a passage-row tail
    const p16 = unitRows(5, 48, 23);
    expect(new ColbertScorer(q16).scoreBytes(encodeColbert(p16, 'int8'))).toBeCloseTo(
      colbertScore(q16, p16),
      2,
    );
  });

  it('the plain JavaScript MaxSim equals core', () => {
    const q = unitRows(4, 64, 30);
    const p = unitRows(9, 64, 31);
    expect(maxSimSumJavaScript(q.data, 4, p.data, 9, 64)).toBeCloseTo(maxSimSum(q, p), 7);
  });

  it('refuses stored vectors of another dimension', () => {
    const scorer = new ColbertScorer(unitRows(2, 8, 40));
    expect(() => scorer.scoreBase64(encodeColbertBase64(unitRows(2, 16, 41), 'int16'))).toThrow(
      /dimension 16, expected 8/,
    );
  });
});

describe('ColbertWorkerPool', () => {
  const query = unitRows(32, 1024, 50);
  const passages = [unitRows(40, 1024, 51), unitRows(3, 1024, 52), unitRows(17, 1024, 53)];

  /** One buffer holding the blobs back to back after some leading bytes, as an _mget response does. */
  function response(encodings: readonly ('int8' | 'int16' | 'float32')[]): {
    bytes: Uint8Array;
    spans: Uint32Array;
  } {
    const blobs = passages.map((p, i) => encodeColbert(p, encodings[i % encodings.length]!));
    const bytes = new Uint8Array(7 + blobs.reduce((sum, b) => sum + b.byteLength + 3, 0));
    const spans = new Uint32Array(blobs.length * 2);
    let at = 7;
    blobs.forEach((blob, i) => {
      bytes.set(blob, at);
      spans[2 * i] = at;
      spans[2 * i + 1] = blob.byteLength;
      at += blob.byteLength + 3;
    });
    return { bytes, spans };
  }

  it('scores every blob of a response on worker threads like the scorer here', async () => {
    const pool = sharedColbertPool(2)!;
    expect(pool.threads).toBe(2);
    const scorer = new ColbertScorer(query);
    const task = response(['int8', 'int16', 'float32']);
    const want = passages.map((_, i) =>
      scorer.scoreBytes(
        task.bytes.subarray(task.spans[2 * i]!, task.spans[2 * i]! + task.spans[2 * i + 1]!),
      ),
    );
    const results = await Promise.all([
      pool.score(prepareQuery(query), task),
      pool.score(prepareQuery(query), response(['int8'])),
    ]);
    expect(Array.from(results[0]!)).toEqual(want);
    expect(task.bytes.byteLength).toBe(0); // transferred, not copied
    expect(results[1]![0]).toBeCloseTo(colbertScore(query, passages[0]!), 3);
  });

  it('rejects a damaged blob and vectors of another dimension, naming them', async () => {
    const pool = new ColbertWorkerPool(1, compiledModule()!);
    const task = response(['int8']);
    task.bytes[task.spans[0]! + 1] = 9;
    await expect(pool.score(prepareQuery(query), task)).rejects.toThrow(/unknown format/);
    await expect(pool.score(prepareQuery(unitRows(2, 16, 54)), response(['int8']))).rejects.toThrow(
      /dimension 1024, expected 16/,
    );
  });
});
