import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { MultiVector } from '../embedding/types.js';
import { SeededRandom } from '../testing/random.js';
import { colbertScore, colbertScores, maxSimSum, maxSimSumScalar } from './colbert.js';
import { maxSimKernelAvailable } from './maxsim-kernel.js';

function randomMatrix(random: SeededRandom, rows: number, dim: number): MultiVector {
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = random.normal() / Math.sqrt(dim);
  return { data, rows, dim };
}

describe('WebAssembly MaxSim kernel', () => {
  it('is available on Node 20', () => expect(maxSimKernelAvailable()).toBe(true));

  it('agrees with the scalar loop for odd row counts and block remainders', () => {
    const random = new SeededRandom(7);
    for (const [qRows, pRows, dim] of [
      [1, 1, 4],
      [3, 5, 8],
      [5, 1, 12],
      [32, 257, 1024],
      [7, 300, 1024],
    ] as const) {
      const query = randomMatrix(random, qRows, dim);
      const passage = randomMatrix(random, pRows, dim);
      const want = maxSimSumScalar(query, passage);
      expect(Math.abs(maxSimSum(query, passage) - want), `${qRows}x${pRows}x${dim}`).toBeLessThan(
        1e-5 * Math.max(1, Math.abs(want)),
      );
    }
  });

  it('scores many passages in one call, each divided by the query rows', () => {
    const random = new SeededRandom(8);
    const query = randomMatrix(random, 9, 64);
    const passages = [
      randomMatrix(random, 40, 64),
      randomMatrix(random, 3, 64),
      { data: new Float32Array(0), rows: 0, dim: 64 },
    ];
    const scores = colbertScores(query, passages);
    passages.forEach((passage, i) => {
      expect(scores[i]).toBeCloseTo(colbertScore(query, passage), 5);
    });
    expect(scores[2]).toBe(0);
  });

  it('falls back to the scalar loop when dim is not a multiple of 4', () => {
    const random = new SeededRandom(9);
    const query = randomMatrix(random, 3, 6);
    const passage = randomMatrix(random, 4, 6);
    expect(maxSimSum(query, passage)).toBeCloseTo(maxSimSumScalar(query, passage), 10);
  });

  it('ships bytes that match a fresh compile of wasm/maxsim.wat', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
    expect(() =>
      execFileSync('node', [join(root, 'tools', 'build-wasm.mjs'), '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });
});
