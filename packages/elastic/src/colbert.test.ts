import { colbertScore, maxSimSum, type MultiVector } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import {
  decodeColbertBase64,
  encodeColbert,
  encodeColbertBase64,
  INT16_NORM_LIMIT,
  quantiseRows,
} from './colbert-codec.js';
import { ColbertScorer, maxSimSumJavaScript } from './maxsim/colbert-scorer.js';

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

  it('the header describes the blob', () => {
    const bytes = encodeColbert(unitRows(3, 8, 3), 'int16');
    expect(bytes.byteLength).toBe(12 + 3 * 4 + 3 * 8 * 2);
    expect([...bytes.slice(0, 12)]).toEqual([1, 1, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0]);
  });
});

describe('ColbertScorer', () => {
  const query = unitRows(32, 1024, 10);
  const passages = [unitRows(256, 1024, 11), unitRows(3, 1024, 12), unitRows(1, 1024, 13)];

  for (const encoding of ['int16', 'float32'] as const) {
    for (const kernel of ['auto', 'javascript'] as const) {
      it(`${encoding} blobs, ${kernel} kernel: equals core's colbertScore within the storage error`, () => {
        const scorer = new ColbertScorer(query, { kernel });
        if (kernel === 'auto') expect(scorer.kernel).toBe('wasm-simd');
        for (const passage of passages) {
          const exact = colbertScore(query, passage);
          const score = scorer.scoreBase64(encodeColbertBase64(passage, encoding));
          expect(Math.abs(score - exact) / Math.abs(exact)).toBeLessThan(
            encoding === 'int16' ? 1e-4 : 1e-6,
          );
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
