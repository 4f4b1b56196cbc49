import type { M3Record } from '../document.js';
import { lexicalFromPairs } from '../embedding/lexical.js';
import type { M3Embedding } from '../embedding/types.js';
import { SeededRandom } from './random.js';

export interface RealisticCorpusOptions {
  readonly seed?: number;
  readonly passages?: number;
  readonly queries?: number;
  /** Dense and ColBERT dimension (1024 for BAAI/bge-m3). */
  readonly dimension?: number;
  readonly topics?: number;
  /** Distinct tokens that occur in the corpus, spread over BGE-M3's 250,002 ids. */
  readonly activeTokens?: number;
  /** Tokens (= ColBERT rows) per passage, inclusive range: 20-300 like real 512-token passages. */
  readonly passageTokens?: readonly [number, number];
  /** Tokens per query, inclusive range. */
  readonly queryTokens?: readonly [number, number];
  readonly idPrefix?: string;
}

/** A query with the passages judged relevant to it: grade 2 for its source, 1 for close ones. */
export interface RealisticQuery {
  readonly embedding: M3Embedding;
  readonly relevant: ReadonlyMap<string, number>;
}

const VOCABULARY = 250_002;
const TOPIC_TOKENS = 600;
const BACKGROUND_SHARE = 0.35;
const SECOND_TOPIC_SHARE = 0.1;
const NOISE_TABLE_SIZE = 1 << 20;

interface ResolvedOptions {
  readonly seed: number;
  readonly passages: number;
  readonly queries: number;
  readonly dimension: number;
  readonly topics: number;
  readonly activeTokens: number;
  readonly passageTokens: readonly [number, number];
  readonly queryTokens: readonly [number, number];
  readonly idPrefix: string;
}

/**
 * A seeded corpus whose three signals agree the way a real model's do, unlike the conformance
 * corpus (independent noise per signal): every passage is a sequence of tokens drawn from its
 * topic's Zipf distribution, a second topic and a shared background; each token has one vector,
 * so ColBERT rows are the token's vector plus passage context and noise, the dense vector is the
 * idf-weighted sum of the passage's token vectors plus its topic, and lexical weights follow idf
 * and term frequency. Queries are built from a source passage's salient tokens the same way.
 *
 * Passages are made on demand from their index (`passage(i)`), so 100,000 passages of 20-300
 * rows of 1024 floats (~65 GB as float32) never sit in memory at once.
 */
export class RealisticCorpus {
  readonly options: ResolvedOptions;
  private readonly topicTokens: Uint32Array[];
  private readonly topicCenters: Float32Array[];
  private readonly tokenIds: Uint32Array;
  /** idf-like salience per active token index: rare topic words high, background words low. */
  private readonly salience: Float32Array;
  private readonly tokenVectors = new Map<number, Float32Array>();
  /**
   * Gaussian noise drawn once; a row's noise is a window at a random offset. Drawing 1024 fresh
   * normals per row made 10,000 passages take minutes; windows of one iid table are as good here.
   */
  private readonly noiseTable: Float32Array;
  private cachedQueries: RealisticQuery[] | undefined;

  constructor(options: RealisticCorpusOptions = {}) {
    this.options = {
      seed: options.seed ?? 20240205,
      passages: options.passages ?? 1000,
      queries: options.queries ?? 50,
      dimension: options.dimension ?? 1024,
      topics: options.topics ?? 40,
      activeTokens: options.activeTokens ?? 12_000,
      passageTokens: options.passageTokens ?? [20, 300],
      queryTokens: options.queryTokens ?? [4, 16],
      idPrefix: options.idPrefix ?? 'passage',
    };
    const random = new SeededRandom(this.options.seed);
    const { activeTokens, topics, dimension } = this.options;
    this.tokenIds = new Uint32Array(activeTokens);
    const used = new Set<number>();
    for (let t = 0; t < activeTokens; t++) {
      let id = random.int(4, VOCABULARY - 2);
      while (used.has(id)) id = random.int(4, VOCABULARY - 2);
      used.add(id);
      this.tokenIds[t] = id;
    }
    // Background tokens are the first 5% of the active set (the language's function words).
    const backgroundSize = Math.max(1, Math.floor(activeTokens * 0.05));
    this.salience = new Float32Array(activeTokens);
    for (let t = 0; t < activeTokens; t++)
      this.salience[t] =
        t < backgroundSize ? 0.15 + 0.2 * random.next() : 0.5 + 0.5 * random.next();
    this.topicTokens = Array.from({ length: topics }, () => {
      const tokens = new Uint32Array(TOPIC_TOKENS);
      for (let i = 0; i < TOPIC_TOKENS; i++)
        tokens[i] = random.int(backgroundSize, activeTokens - 1);
      return tokens;
    });
    this.topicCenters = Array.from({ length: topics }, () => unitVector(random, dimension));
    this.noiseTable = new Float32Array(NOISE_TABLE_SIZE + dimension);
    for (let i = 0; i < this.noiseTable.length; i++) this.noiseTable[i] = random.normal();
  }

  get size(): number {
    return this.options.passages;
  }

  passageId(index: number): string {
    return `${this.options.idPrefix}-${index}`;
  }

  /** The topic and token sequence of passage `index` (active-token indices), cheap: no vectors. */
  passageTokens(index: number): { readonly topic: number; readonly tokens: Uint32Array } {
    const random = this.randomFor(index);
    const topic = random.int(0, this.options.topics - 1);
    const second = random.int(0, this.options.topics - 1);
    const [min, max] = this.options.passageTokens;
    // Most passages are short, a few long (real chunk lengths skew that way).
    const length = min + Math.floor((max - min) * random.next() ** 1.5);
    const tokens = new Uint32Array(length);
    for (let i = 0; i < length; i++) tokens[i] = this.drawToken(random, topic, second);
    return { topic, tokens };
  }

  /** Passage `index` as a record with all three signals. */
  passage(index: number): M3Record {
    const { topic, tokens } = this.passageTokens(index);
    const random = this.randomFor(index + 0x9e3779b1);
    return {
      id: this.passageId(index),
      text: `passage ${index} (topic ${topic}, ${tokens.length} tokens)`,
      metadata: { topic: `t${topic}`, bucket: index % 10 },
      embedding: this.embed(random, topic, tokens, 0.35),
    };
  }

  /** Passages `start` (inclusive) to `end` (exclusive), one at a time. */
  *passages(start = 0, end = this.options.passages): Iterable<M3Record> {
    for (let i = start; i < end; i++) yield this.passage(i);
  }

  /**
   * Queries built from a source passage's most salient tokens plus a few topic words it lacks;
   * relevant: the source (grade 2) and passages of its topic holding at least half of the query's
   * tokens (grade 1). Computing the grades reads every passage's tokens once (no vectors).
   */
  queries(): readonly RealisticQuery[] {
    if (this.cachedQueries) return this.cachedQueries;
    const random = new SeededRandom(this.options.seed ^ 0x51ed270b);
    const drafts = Array.from({ length: this.options.queries }, () => this.draftQuery(random));
    const relevant = drafts.map(
      (draft) => new Map<string, number>([[this.passageId(draft.source), 2]]),
    );
    for (let p = 0; p < this.options.passages; p++) {
      const { topic, tokens } = this.passageTokens(p);
      const present = new Set(tokens);
      drafts.forEach((draft, q) => {
        if (draft.topic !== topic || p === draft.source) return;
        let shared = 0;
        for (const token of draft.distinct) if (present.has(token)) shared++;
        if (shared * 2 >= draft.distinct.size) relevant[q]!.set(this.passageId(p), 1);
      });
    }
    this.cachedQueries = drafts.map((draft, q) => ({
      embedding: this.embed(random, draft.topic, draft.tokens, 0.25),
      relevant: relevant[q]!,
    }));
    return this.cachedQueries;
  }

  private draftQuery(random: SeededRandom): {
    source: number;
    topic: number;
    tokens: Uint32Array;
    distinct: Set<number>;
  } {
    const source = random.int(0, this.options.passages - 1);
    const { topic, tokens } = this.passageTokens(source);
    const candidates = [...new Set(tokens)].sort(
      (a, b) => this.salience[b]! - this.salience[a]! || a - b,
    );
    const [min, max] = this.options.queryTokens;
    const length = random.int(min, max);
    const chosen: number[] = [];
    // Salient words of the source, then one or two topic words it may not contain.
    for (const token of candidates) {
      if (chosen.length >= length - 2) break;
      if (random.next() < 0.7) chosen.push(token);
    }
    while (chosen.length < length)
      chosen.push(this.topicTokens[topic]![zipfIndex(random, TOPIC_TOKENS)]!);
    const queryTokens = Uint32Array.from(chosen);
    return { source, topic, tokens: queryTokens, distinct: new Set(queryTokens) };
  }

  private embed(
    random: SeededRandom,
    topic: number,
    tokens: Uint32Array,
    contextWeight: number,
  ): M3Embedding {
    const dimension = this.options.dimension;
    const counts = new Map<number, number>();
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    // Context: the topic plus this text's own mix, shared by all of its token rows.
    const context = new Float32Array(dimension);
    const center = this.topicCenters[topic]!;
    let window = this.noise(random);
    for (let d = 0; d < dimension; d++)
      context[d] = center[d]! + (0.5 * window[d]!) / Math.sqrt(dimension);
    normalise(context);
    const rows = tokens.length + 1; // + `</s>`, which FlagEmbedding keeps
    const colbert = new Float32Array(rows * dimension);
    const dense = new Float32Array(dimension);
    const noise = 0.3 / Math.sqrt(dimension);
    for (let r = 0; r < rows; r++) {
      const token = r < tokens.length ? tokens[r]! : -1;
      const vector = token >= 0 ? this.tokenVector(token) : center;
      const row = colbert.subarray(r * dimension, (r + 1) * dimension);
      window = this.noise(random);
      for (let d = 0; d < dimension; d++)
        row[d] = vector[d]! + contextWeight * context[d]! + noise * window[d]!;
      normalise(row);
    }
    for (const [token, count] of counts) {
      const weight = this.salience[token]! * (1 + Math.log(count));
      const vector = this.tokenVector(token);
      for (let d = 0; d < dimension; d++) dense[d]! += weight * vector[d]!;
    }
    const denseNorm = Math.sqrt(dense.reduce((sum, v) => sum + v * v, 0)) || 1;
    window = this.noise(random);
    for (let d = 0; d < dimension; d++)
      dense[d] = dense[d]! / denseNorm + 0.8 * context[d]! + noise * window[d]!;
    normalise(dense);
    const pairs: Array<[number, number]> = [];
    for (const [token, count] of counts) {
      const weight =
        0.04 + 0.26 * this.salience[token]! * (1 + 0.3 * Math.log(count)) + 0.02 * random.normal();
      if (weight > 0.005) pairs.push([this.tokenIds[token]!, Math.min(weight, 0.45)]);
    }
    return {
      dense,
      lexical: lexicalFromPairs(pairs),
      colbert: { data: colbert, rows, dim: dimension },
    };
  }

  private noise(random: SeededRandom): Float32Array {
    const offset = Math.floor(random.next() * NOISE_TABLE_SIZE);
    return this.noiseTable.subarray(offset, offset + this.options.dimension);
  }

  private drawToken(random: SeededRandom, topic: number, second: number): number {
    const roll = random.next();
    const backgroundSize = Math.max(1, Math.floor(this.options.activeTokens * 0.05));
    if (roll < BACKGROUND_SHARE) return zipfIndex(random, backgroundSize);
    const from = roll < BACKGROUND_SHARE + SECOND_TOPIC_SHARE ? second : topic;
    return this.topicTokens[from]![zipfIndex(random, TOPIC_TOKENS)]!;
  }

  /** One unit vector per token, made from the token alone (so every text sees the same one). */
  private tokenVector(token: number): Float32Array {
    let vector = this.tokenVectors.get(token);
    if (!vector) {
      vector = unitVector(
        new SeededRandom((this.options.seed * 31 + token * 2654435761) >>> 0),
        this.options.dimension,
      );
      this.tokenVectors.set(token, vector);
    }
    return vector;
  }

  private randomFor(index: number): SeededRandom {
    return new SeededRandom((this.options.seed ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  }
}

/** An index in [0, size) drawn with probability proportional to 1 / (rank + 1) (Zipf, s = 1). */
function zipfIndex(random: SeededRandom, size: number): number {
  // Inverse of the continuous approximation of the harmonic CDF: exp(u * ln(size + 1)) - 1.
  const index = Math.floor(Math.exp(random.next() * Math.log(size + 1)) - 1);
  return Math.min(size - 1, Math.max(0, index));
}

function unitVector(random: SeededRandom, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = random.normal();
  return normalise(vector);
}

function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}
