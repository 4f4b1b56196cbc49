import type { M3Record, Metadata } from '../document.js';
import { lexicalFromPairs } from '../embedding/lexical.js';
import type { LexicalWeights, M3Embedding, MultiVector } from '../embedding/types.js';
import type { MetadataFieldSpec } from '../store/collection-spec.js';
import { SeededRandom } from './random.js';

export interface SyntheticCorpusOptions {
  readonly seed?: number;
  readonly documents?: number;
  readonly queries?: number;
  /** Dense and ColBERT dimension (1024 for BAAI/bge-m3). */
  readonly dimension?: number;
  /** Vocabulary size for lexical weights (250,002 for BAAI/bge-m3). */
  readonly vocabulary?: number;
  /** Lexical weights per document, inclusive range (real M3 passages: 50-300). */
  readonly lexicalEntries?: readonly [number, number];
  /** ColBERT rows per document, inclusive range (real M3 passages: 20-300). */
  readonly colbertRows?: readonly [number, number];
  readonly topics?: number;
  /** Id prefix, so several corpora can share a collection. */
  readonly idPrefix?: string;
}

export interface SyntheticCorpus {
  readonly records: readonly M3Record[];
  readonly queries: readonly M3Embedding[];
}

/** The metadata fields the synthetic corpus writes, typed for a collection that filters on them. */
export const SYNTHETIC_METADATA_FIELDS: readonly MetadataFieldSpec[] = [
  { name: 'lang', type: 'keyword' },
  { name: 'year', type: 'integer' },
  { name: 'rating', type: 'float' },
  { name: 'published', type: 'boolean' },
  { name: 'tags', type: 'keyword[]' },
  { name: 'source', type: 'keyword' },
  { name: 'author', type: 'keyword' },
];

export const SYNTHETIC_LANGUAGES = ['en', 'de', 'ja', 'th', 'ar', 'hi'] as const;
export const SYNTHETIC_TAGS = ['news', 'science', 'sport', 'finance', 'travel', 'code'] as const;
/** A metadata value that breaks naive string-built filters in every backend's syntax. */
export const HOSTILE_VALUE = `O'Brien "quoted" \\ back\\slash' or 1==1 or '" && true || "x`;

interface Topic {
  readonly center: Float32Array;
  readonly tokens: Uint32Array;
  readonly directions: readonly Float32Array[];
}

/**
 * A seeded corpus shaped like real BGE-M3 output: normalised dense vectors, 50-300 positive
 * lexical weights over a 250,002-id vocabulary, 20-300 normalised ColBERT rows; grouped in topics
 * so that queries have true near neighbours in every signal, with metadata for every filter kind.
 */
export function syntheticCorpus(options: SyntheticCorpusOptions = {}): SyntheticCorpus {
  const random = new SeededRandom(options.seed ?? 20240205);
  const dimension = options.dimension ?? 1024;
  const vocabulary = options.vocabulary ?? 250_002;
  const topics = Array.from({ length: options.topics ?? 8 }, () =>
    makeTopic(random, dimension, vocabulary),
  );
  const [minLexical, maxLexical] = options.lexicalEntries ?? [50, 300];
  const [minRows, maxRows] = options.colbertRows ?? [20, 300];
  const records: M3Record[] = [];
  for (let i = 0; i < (options.documents ?? 80); i++) {
    const topic = random.pick(topics);
    // Most real passages are short: skew ColBERT rows towards the low end, keep a few long ones.
    const rows = minRows + Math.floor((maxRows - minRows) * random.next() ** 2);
    records.push({
      id: `${options.idPrefix ?? 'doc'}-${i}`,
      text: `synthetic document ${i} about topic ${topics.indexOf(topic)}`,
      metadata: makeMetadata(random, i),
      embedding: {
        dense: nearby(random, topic.center, 0.9),
        lexical: makeLexical(random, topic, vocabulary, random.int(minLexical, maxLexical)),
        colbert: makeColbert(random, topic, rows, dimension),
      },
    });
  }
  const queries: M3Embedding[] = [];
  for (let q = 0; q < (options.queries ?? 12); q++) {
    const topic = random.pick(topics);
    queries.push({
      dense: nearby(random, topic.center, 1.0),
      lexical: makeLexical(random, topic, vocabulary, random.int(5, 30)),
      colbert: makeColbert(random, topic, random.int(8, 32), dimension),
    });
  }
  return { records, queries };
}

function makeTopic(random: SeededRandom, dimension: number, vocabulary: number): Topic {
  const tokens = new Uint32Array(400);
  for (let i = 0; i < tokens.length; i++) tokens[i] = random.int(4, vocabulary - 2);
  return {
    center: unitVector(random, dimension),
    tokens,
    directions: Array.from({ length: 24 }, () => unitVector(random, dimension)),
  };
}

function makeMetadata(random: SeededRandom, index: number): Metadata {
  const tags = SYNTHETIC_TAGS.filter(() => random.next() < 0.3);
  const metadata: Record<string, Metadata[string]> = {
    lang: SYNTHETIC_LANGUAGES[index % SYNTHETIC_LANGUAGES.length]!,
    year: 2000 + random.int(0, 24),
    rating: Math.round(random.next() * 1000) / 100,
    published: random.next() < 0.6,
    tags,
  };
  // Some documents lack a field, some hold null, one holds a hostile string: filters must cope.
  if (index % 5 !== 0) metadata['source'] = index % 7 === 0 ? null : `source-${index % 3}`;
  if (index % 11 === 3) metadata['author'] = HOSTILE_VALUE;
  else if (index % 4 === 1) metadata['author'] = `author-${index % 4}`;
  return metadata;
}

function makeLexical(
  random: SeededRandom,
  topic: Topic,
  vocabulary: number,
  entries: number,
): LexicalWeights {
  const pairs: Array<[number, number]> = [];
  while (pairs.length < entries) {
    // Mostly topic words, some random ones: like a real passage's mix of rare and common tokens.
    const id =
      random.next() < 0.7
        ? topic.tokens[random.int(0, topic.tokens.length - 1)]!
        : random.int(4, vocabulary - 2);
    pairs.push([id, 0.01 + 0.34 * random.next() ** 2]);
  }
  return lexicalFromPairs(pairs);
}

function makeColbert(
  random: SeededRandom,
  topic: Topic,
  rows: number,
  dimension: number,
): MultiVector {
  const data = new Float32Array(rows * dimension);
  for (let r = 0; r < rows; r++) {
    data.set(nearby(random, random.pick(topic.directions), 1.2), r * dimension);
  }
  return { data, rows, dim: dimension };
}

function unitVector(random: SeededRandom, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = random.normal();
  return normalise(vector);
}

/** A unit vector near `center`: center plus gaussian noise of the given relative size. */
function nearby(random: SeededRandom, center: Float32Array, noise: number): Float32Array {
  const scale = noise / Math.sqrt(center.length);
  const vector = new Float32Array(center.length);
  for (let i = 0; i < center.length; i++) vector[i] = center[i]! + scale * random.normal();
  return normalise(vector);
}

function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}
