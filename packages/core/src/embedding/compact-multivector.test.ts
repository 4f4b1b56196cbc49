import { describe, expect, it } from 'vitest';
import { colbertScore } from '../scoring/colbert.js';
import { SeededRandom } from '../testing/random.js';
import {
  binarizeMultiVector,
  binaryColbertScore,
  decodeInt8MultiVector,
  dequantizeMultiVectorInt8,
  encodeInt8MultiVector,
  poolMultiVector,
  quantizeMultiVectorInt8,
} from './compact-multivector.js';
import type { MultiVector } from './types.js';

function randomRows(seed: number, rows: number, dim: number): MultiVector {
  const random = new SeededRandom(seed);
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let c = 0; c < dim; c++) {
      const v = random.normal();
      data[r * dim + c] = v;
      norm += v * v;
    }
    for (let c = 0; c < dim; c++) data[r * dim + c]! /= Math.sqrt(norm);
  }
  return { data, rows, dim };
}

describe('int8 multi-vectors', () => {
  it('keep every value within half a quantisation step and ColBERT scores within 1e-3', () => {
    const passage = randomRows(1, 40, 1024);
    const query = randomRows(2, 12, 1024);
    const quantized = quantizeMultiVectorInt8(passage);
    const restored = dequantizeMultiVectorInt8(quantized);
    // One assertion over all 40,960 values (not one each: that many expect() calls take
    // seconds on a loaded machine): the worst error relative to its row's half step.
    let worst = 0;
    for (let i = 0; i < passage.data.length; i++) {
      const halfStep = quantized.scales[Math.floor(i / 1024)]! / 2 + 1e-7;
      worst = Math.max(worst, Math.abs(restored.data[i]! - passage.data[i]!) / halfStep);
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(worst).toBeGreaterThan(0.5); // the rows really were rounded, not stored as they came
    expect(Math.abs(colbertScore(query, restored) - colbertScore(query, passage))).toBeLessThan(
      1e-3,
    );
  });

  it('round-trip through bytes at 4 + dim bytes a row', () => {
    const quantized = quantizeMultiVectorInt8(randomRows(3, 7, 64));
    const bytes = encodeInt8MultiVector(quantized);
    expect(bytes.length).toBe(8 + 7 * (64 + 4));
    const decoded = decodeInt8MultiVector(bytes);
    expect(decoded.rows).toBe(7);
    expect(decoded.dim).toBe(64);
    expect([...decoded.codes]).toEqual([...quantized.codes]);
    expect([...decoded.scales]).toEqual([...quantized.scales]);
  });

  it('reject a blob whose length does not match its header', () => {
    const bytes = encodeInt8MultiVector(quantizeMultiVectorInt8(randomRows(4, 3, 16)));
    expect(() => decodeInt8MultiVector(bytes.subarray(0, bytes.length - 1))).toThrow(
      /does not hold 3 rows of 16/,
    );
    expect(() => decodeInt8MultiVector(new Uint8Array(3))).toThrow(/shorter than its header/);
  });

  it('quantise an all-zero row without dividing by zero', () => {
    const restored = dequantizeMultiVectorInt8(
      quantizeMultiVectorInt8({ data: new Float32Array(8), rows: 2, dim: 4 }),
    );
    expect([...restored.data]).toEqual(new Array(8).fill(0));
  });
});

describe('binary multi-vectors', () => {
  it('score a passage against itself as 1 and rank a near copy above an unrelated passage', () => {
    const passage = randomRows(5, 20, 256);
    const near = { ...passage, data: passage.data.map((v, i) => v + 0.02 * Math.sin(i)) };
    const unrelated = randomRows(6, 20, 256);
    expect(binaryColbertScore(passage, binarizeMultiVector(passage))).toBeCloseTo(1, 6);
    expect(binaryColbertScore(near, binarizeMultiVector(passage))).toBeGreaterThan(
      binaryColbertScore(near, binarizeMultiVector(unrelated)),
    );
  });
});

describe('token pooling', () => {
  it('merges duplicate rows first, keeps the last row and reaches ceil(rows / factor)', () => {
    const base = randomRows(7, 5, 32);
    // Rows 0-4 each twice, then a distinct last row (</s>).
    const data = new Float32Array(11 * 32);
    for (let r = 0; r < 10; r++)
      data.set(base.data.subarray((r >> 1) * 32, ((r >> 1) + 1) * 32), r * 32);
    const last = randomRows(8, 1, 32);
    data.set(last.data, 10 * 32);
    const pooled = poolMultiVector({ data, rows: 11, dim: 32 }, 2);
    expect(pooled.rows).toBe(6);
    expect([...pooled.data.subarray(5 * 32)]).toEqual([...last.data]);
    // The duplicates merged into themselves: each original row is still present exactly.
    const query = base;
    expect(colbertScore(query, pooled)).toBeCloseTo(1, 5);
  });

  it('leaves a passage with few rows alone and rejects a factor below 1', () => {
    const small = randomRows(9, 2, 8);
    expect(poolMultiVector(small, 2)).toBe(small);
    expect(() => poolMultiVector(small, 0.5)).toThrow(/pooling factor/);
  });
});
