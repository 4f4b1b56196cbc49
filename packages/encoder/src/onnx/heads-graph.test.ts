import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildHeadsModel } from './heads-graph.js';
import type { LinearWeights } from './heads-graph.js';
import { readProtobufFields } from './protobuf-reader.js';
import { ProtobufWriter } from './protobuf-writer.js';

/** Deterministic pseudo-random numbers in [-1, 1). */
function random(count: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 30 - 1;
  });
}

function linear(outFeatures: number, inFeatures: number, seed: number): LinearWeights {
  return {
    weight: random(outFeatures * inFeatures, seed),
    bias: random(outFeatures, seed + 1),
    outFeatures,
    inFeatures,
  };
}

/** FlagEmbedding's heads, written out plainly in float64 for one row. */
function project(layer: LinearWeights, input: Float32Array, offset: number): number[] {
  return Array.from({ length: layer.outFeatures }, (_, o) => {
    let sum = layer.bias[o]!;
    for (let i = 0; i < layer.inFeatures; i++)
      sum += layer.weight[o * layer.inFeatures + i]! * input[offset + i]!;
    return sum;
  });
}

function normalize(vector: number[]): number[] {
  const norm = Math.max(Math.hypot(...vector), 1e-12);
  return vector.map((value) => value / norm);
}

describe('buildHeadsModel', () => {
  const hidden = 8;
  const colbertDim = 6;
  const colbert = linear(colbertDim, hidden, 11);
  const sparse = linear(1, hidden, 29);

  it('computes dense, sparse and ColBERT as FlagEmbedding does, padding masked', async () => {
    const session = await ort.InferenceSession.create(buildHeadsModel({ colbert, sparse }));
    const [batch, sequence] = [2, 4];
    const states = random(batch * sequence * hidden, 5);
    const mask = BigInt64Array.from([1, 1, 1, 1, 1, 1, 0, 0].map(BigInt));
    const out = await session.run({
      last_hidden_state: new ort.Tensor('float32', states, [batch, sequence, hidden]),
      attention_mask: new ort.Tensor('int64', mask, [batch, sequence]),
    });
    expect(out['dense_vecs']!.dims).toEqual([batch, hidden]);
    expect(out['sparse_weights']!.dims).toEqual([batch, sequence]);
    expect(out['colbert_vecs']!.dims).toEqual([batch, sequence - 1, colbertDim]);
    const dense = out['dense_vecs']!.data as Float32Array;
    const weights = out['sparse_weights']!.data as Float32Array;
    const vectors = out['colbert_vecs']!.data as Float32Array;
    for (let b = 0; b < batch; b++) {
      const cls = normalize(
        Array.from(states.subarray(b * sequence * hidden, b * sequence * hidden + hidden)),
      );
      cls.forEach((value, i) => {
        expect(dense[b * hidden + i]).toBeCloseTo(value, 6);
      });
      for (let t = 0; t < sequence; t++) {
        const [logit] = project(sparse, states, (b * sequence + t) * hidden);
        expect(weights[b * sequence + t]).toBeCloseTo(Math.max(logit!, 0), 6);
      }
      for (let t = 1; t < sequence; t++) {
        const masked = mask[b * sequence + t] === 1n;
        const expected = masked
          ? normalize(project(colbert, states, (b * sequence + t) * hidden))
          : new Array(colbertDim).fill(0);
        expected.forEach((value, o) => {
          expect(vectors[(b * (sequence - 1) + t - 1) * colbertDim + o]).toBeCloseTo(value, 6);
        });
      }
    }
    await session.release();
  });

  it('rejects a sparse head that does not fit the ColBERT head', () => {
    expect(() => buildHeadsModel({ colbert, sparse: linear(1, hidden + 1, 3) })).toThrow(
      /sparse head is 1x9, expected 1x8/,
    );
  });
});

describe('protobuf writer and reader', () => {
  it('round-trips varints (negative included), floats, strings and nested messages', () => {
    const inner = new ProtobufWriter().varint(1, 150).bytes(2, 'héllo');
    const bytes = new ProtobufWriter()
      .varint(1, -1)
      .float(2, 1.5)
      .bytes(3, inner)
      .packedVarints(4, [1, 300])
      .finish();
    const fields = [...readProtobufFields(bytes)];
    expect(fields.map((field) => [field.field, field.wireType])).toEqual([
      [1, 0],
      [2, 5],
      [3, 2],
      [4, 2],
    ]);
    expect(fields[0]!.value).toBe(2n ** 64n - 1n);
    expect(new DataView((fields[1]!.value as Uint8Array).slice().buffer).getFloat32(0, true)).toBe(
      1.5,
    );
    const nested = [...readProtobufFields(fields[2]!.value as Uint8Array)];
    expect(nested[0]!.value).toBe(150n);
    expect(new TextDecoder().decode(nested[1]!.value as Uint8Array)).toBe('héllo');
    expect(Array.from(fields[3]!.value as Uint8Array)).toEqual([1, 0xac, 0x02]);
    expect(() => [...readProtobufFields(Uint8Array.of(0x0a, 0x05, 0x01))]).toThrow(/past the end/);
  });
});
