import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { REPO_ROOT, TINY_MODEL, runInProcess, temporaryDirectory } from './test-support/run-cli.js';

// `m3 embed` / `m3 tokenize` against what FlagEmbedding's BGEM3FlagModel itself wrote for the tiny
// model (fixtures/reference/tiny-m3.json, max_length 8192): same names, same forms, same numbers.
interface ReferenceText {
  readonly id: string;
  readonly input_ids: number[];
  readonly dense: number[];
  readonly lexical_weights: Record<string, number>;
  readonly colbert_vecs: { readonly shape: [number, number]; readonly base64: string };
}
const texts = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures', 'texts.json'), 'utf8')) as {
    texts: { id: string; text?: string; repeat?: { unit: string; count: number } }[];
  }
).texts.map((t) => ({ id: t.id, text: t.text ?? t.repeat!.unit.repeat(t.repeat!.count) }));
const reference = new Map(
  (
    JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures', 'reference', 'tiny-m3.json'), 'utf8')) as {
      encode: Record<string, ReferenceText[]>;
    }
  ).encode['8192']!.map((r) => [r.id, r]),
);

function maxAbsDifference(a: readonly number[], b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  a.forEach((v, i) => {
    max = Math.max(max, Math.abs(v - b[i]!));
  });
  return max;
}

describe('m3 embed and m3 tokenize match FlagEmbedding on the reference texts', () => {
  const input = texts.map((t) => JSON.stringify(t)).join('\n');
  const dir = temporaryDirectory('m3parity-');

  it('tokenize: identical input ids', async () => {
    const result = await runInProcess(['tokenize', '--model', TINY_MODEL], {
      cwd: dir.path,
      stdin: input,
    });
    expect(result.code).toBe(EXIT_CODES.ok);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; input_ids: number[] });
    expect(lines.map((l) => l.id)).toEqual(texts.map((t) => t.id));
    // Cut at the model's limit without --max-length, and said so (the help promises a note).
    const cut = lines.filter((l) => l.input_ids.length === 8192).length;
    expect(cut).toBeGreaterThan(0); // the "long" text
    expect(result.stderr.match(/truncated to 8192 tokens/g)?.length ?? 0).toBe(cut);
    expect(lines.every((l) => l.input_ids.length <= 8192)).toBe(true);
    for (const line of lines) {
      const expected = reference.get(line.id)!.input_ids;
      // tokenize stops at the model limit by default, as the reference does at 8192 (the long text)
      expect(
        line.input_ids.length > 8192 ? [...line.input_ids.slice(0, 8191), 2] : line.input_ids,
        line.id,
      ).toEqual(expected);
    }
  });

  it('embed: dense within 1e-5, the same lexical keys within 1e-5, ColBERT within 2e-5', async () => {
    const result = await runInProcess(['embed', '--model', TINY_MODEL, '--batch-tokens', '4096'], {
      cwd: dir.path,
      stdin: input,
    });
    expect(result.code).toBe(EXIT_CODES.ok);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as Omit<ReferenceText, 'colbert_vecs' | 'input_ids'> & {
            colbert_vecs: number[][];
          },
      );
    expect(lines).toHaveLength(texts.length);
    for (const line of lines) {
      const expected = reference.get(line.id)!;
      expect(maxAbsDifference(line.dense, expected.dense), line.id).toBeLessThanOrEqual(1e-5);
      expect(Object.keys(line.lexical_weights).sort(), line.id).toEqual(
        Object.keys(expected.lexical_weights).sort(),
      );
      for (const [key, weight] of Object.entries(expected.lexical_weights)) {
        expect(
          Math.abs(line.lexical_weights[key]! - weight),
          `${line.id} ${key}`,
        ).toBeLessThanOrEqual(1e-5);
      }
      const [rows, dim] = expected.colbert_vecs.shape;
      const bytes = Buffer.from(expected.colbert_vecs.base64, 'base64');
      const colbert = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      expect(line.colbert_vecs.length, line.id).toBe(rows);
      expect(line.colbert_vecs.every((row) => row.length === dim)).toBe(true);
      expect(maxAbsDifference(line.colbert_vecs.flat(), colbert), line.id).toBeLessThanOrEqual(
        2e-5,
      );
    }
    dir.remove();
  });
});
