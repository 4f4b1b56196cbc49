import type { LexicalWeights, ResolvedCollectionSpec, ResolvedQuery, Signal } from '@m3kit/core';
import type { QueryClause } from './filter-translation.js';
import { meanRow, normaliseQuery } from './record-codec.js';
import { FIELDS, type IndexLayout } from './schema.js';
import type { SearchBody } from './transport.js';

export type { SearchBody } from './transport.js';

/** Largest `num_candidates` (and `k`) Elasticsearch accepts for kNN. */
export const MAX_NUM_CANDIDATES = 10_000;

/**
 * The lexical signal as a disjunction of per-token `term` queries on the `sparse_vector` field:
 * each returns the stored weight (Lucene FeatureField linear query, weight 1), scaled by the
 * clause boost = the query's weight for that token, and `bool.should` sums them: the dot product
 * (with the stored weight rounded down to 9 significant bits). `weightScale` scales every boost
 * (used by the one-request hybrid to fold in the signal weight).
 */
export function sparseClauses(lexical: LexicalWeights, weightScale = 1): QueryClause[] {
  const clauses: QueryClause[] = [];
  lexical.indices.forEach((token, i) => {
    const boost = lexical.values[i]! * weightScale;
    if (boost > 0) clauses.push({ term: { [FIELDS.sparse]: { value: String(token), boost } } });
  });
  return clauses;
}

/** kNN over the dense field: `depth` best by (normalised) direction, within the filter. */
export function denseSearch(options: {
  readonly vector: readonly number[];
  /** The dense_vector field (default the dense signal's; the mean ColBERT row's for ColBERT candidates). */
  readonly field?: string;
  readonly depth: number;
  readonly numCandidatesFactor: number;
  /** For quantised indices: re-score this many times k candidates with the float vectors. */
  readonly rescoreOversample?: number;
  readonly filter?: QueryClause;
  readonly source: HitFields;
}): SearchBody {
  const knn = knnClause({ ...options, field: options.field ?? FIELDS.dense });
  return { knn, size: knn.k, ...sourceOption(options.source) };
}

/** A kNN clause: k (capped), num_candidates = k times the factor, rescore_vector and the filter. */
function knnClause(options: {
  readonly field: string;
  readonly vector: readonly number[];
  readonly depth: number;
  readonly numCandidatesFactor: number;
  readonly rescoreOversample?: number | undefined;
  readonly filter?: QueryClause | undefined;
}): QueryClause & { k: number } {
  const k = Math.min(options.depth, MAX_NUM_CANDIDATES);
  return {
    field: options.field,
    query_vector: options.vector,
    k,
    num_candidates: Math.min(
      MAX_NUM_CANDIDATES,
      Math.max(k, Math.ceil(k * options.numCandidatesFactor)),
    ),
    ...(options.rescoreOversample
      ? { rescore_vector: { oversample: options.rescoreOversample } }
      : {}),
    ...(options.filter ? { filter: options.filter } : {}),
  };
}

/** The sparse disjunction as a bool query: at least one shared token, within the filter. */
function sparseBool(
  lexical: LexicalWeights,
  weightScale: number,
  filter: QueryClause | undefined,
  name?: string,
): QueryClause {
  return {
    bool: {
      ...(name ? { _name: name } : {}),
      should: sparseClauses(lexical, weightScale),
      minimum_should_match: 1,
      ...(filter ? { filter: [filter] } : {}),
    },
  };
}

/** The sparse disjunction's top `depth` by score, within the filter. */
export function sparseSearch(options: {
  readonly lexical: LexicalWeights;
  readonly depth: number;
  readonly filter?: QueryClause;
  readonly source: HitFields;
}): SearchBody {
  return {
    query: sparseBool(options.lexical, 1, options.filter),
    size: Math.min(options.depth, MAX_NUM_CANDIDATES),
    ...sourceOption(options.source),
  };
}

/**
 * Documents a signal's search did not return, lowest ids first: they score 0 for that signal
 * (no shared token, or no dense vector), and the exact store ranks such ties by id.
 */
export function fillerSearch(options: {
  readonly exclude: readonly string[];
  readonly size: number;
  readonly filter?: QueryClause;
  readonly source: readonly string[] | false;
}): SearchBody {
  return {
    query: {
      bool: {
        ...(options.filter ? { filter: [options.filter] } : {}),
        ...(options.exclude.length > 0 ? { must_not: [{ ids: { values: options.exclude } }] } : {}),
      },
    },
    sort: [{ [FIELDS.id]: 'asc' }],
    size: Math.min(options.size, MAX_NUM_CANDIDATES),
    ...sourceOption(options.source),
  };
}

/**
 * Dense and sparse in one request, scored by Elasticsearch: top-level `knn` (score (1 + dot) / 2
 * for dot_product, times `boost`; on quantised indices only exact with `rescore_vector`: int8
 * scores measured off by up to 0.04) plus the sparse disjunction; a document's score is the sum of
 * the parts that matched it. Named parts report their own scores (`include_named_queries_score`),
 * so the caller can undo the kNN transform per hit.
 */
export function hybridSearch(options: {
  readonly vector: readonly number[] | undefined;
  readonly lexical: LexicalWeights | undefined;
  readonly denseBoost: number;
  readonly sparseScale: number;
  readonly denseDepth: number;
  readonly numCandidatesFactor: number;
  readonly rescoreOversample?: number;
  readonly size: number;
  readonly filter?: QueryClause;
  readonly source: readonly string[] | false;
}): SearchBody {
  const body: SearchBody = {
    size: Math.min(options.size, MAX_NUM_CANDIDATES),
    ...sourceOption(options.source),
  };
  if (options.vector !== undefined && options.denseBoost > 0) {
    const knn = knnClause({
      ...options,
      field: FIELDS.dense,
      vector: options.vector,
      depth: options.denseDepth,
    });
    body.knn = { ...knn, boost: options.denseBoost, _name: 'dense' };
  }
  if (options.lexical !== undefined && options.sparseScale > 0) {
    body.query = sparseBool(options.lexical, options.sparseScale, options.filter, 'sparse');
  }
  return body;
}

/**
 * What a search returns of each hit: `_source` fields, or `'ids'`: the id from the `id` field's
 * doc values and no stored field at all. Why: a document's stored fields are compressed together,
 * ColBERT blob included (~130 KB a realistic passage), so even returning `_id` decompresses the
 * blob; on 3,000 realistic passages a kNN(100)'s `took` fell from 189 ms (with `_source`) to
 * 81 ms, a sparse search's from 185 to 27 (bench/dist/elastic-query-profile.js, loaded 2 cores).
 * ColBERT queries read what they need once per candidate, with the blob (query-run.ts).
 */
export type HitFields = readonly string[] | false | 'ids';

function sourceOption(source: HitFields): SearchBody {
  if (source === 'ids')
    return { _source: false, stored_fields: '_none_', docvalue_fields: [FIELDS.id] };
  return { _source: source === false || source.length === 0 ? false : { includes: [...source] } };
}

/** What a query plan needs to know besides the query: the store's settings, the cluster's features. */
export interface PlanContext {
  readonly collection: ResolvedCollectionSpec;
  readonly layout: IndexLayout;
  readonly numCandidatesFactor: number;
  /** kNN `rescore_vector` oversampling, or undefined when off or unsupported (see rescoreOversample). */
  readonly rescoreOversample: number | undefined;
  readonly filter: QueryClause | undefined;
}

/** The candidate lists a query's searches feed. */
export type CandidateList = 'dense' | 'sparse' | 'colbert';

/** Requests of an exactly scored query: the candidate searches, then what the run does with them. */
export interface ExactQueryPlan {
  /** One `_msearch`, one entry per list. */
  readonly searches: readonly { readonly list: CandidateList; readonly body: SearchBody }[];
  /** `_source` fields every candidate needs for exact scoring and the hits. */
  readonly includes: readonly string[];
  /**
   * The searches return ids only (ColBERT queries): `includes` come with each candidate's
   * ColBERT blob, in the same read of its stored fields.
   */
  readonly sourceWithColbert: boolean;
  /** Sparse hits fetched (the sparse depth plus a margin for Elasticsearch's rounding). */
  readonly sparseFetch: number;
  /** Fill the dense list with zero-score documents in id order when kNN found fewer than asked. */
  readonly fillDense: boolean;
  /** Score every (filtered) document: a ColBERT query with nothing to find candidates with. */
  readonly fullScan: boolean;
  /** Human-readable steps for `execution.description`. */
  readonly steps: readonly string[];
}

/**
 * Candidates from Elasticsearch (one _msearch: kNN and/or the sparse disjunction, and a kNN over
 * the mean ColBERT row for ColBERT queries); every signal is then scored exactly on the client.
 */
export function planExactQuery(resolved: ResolvedQuery, context: PlanContext): ExactQueryPlan {
  const { signals, candidates: depth } = resolved;
  const embedding = resolved.query.embedding;
  const stored = context.collection.signals;
  const wantColbert = signals.includes('colbert');
  const useDense =
    signals.includes('dense') ||
    (wantColbert && embedding.dense !== undefined && stored.includes('dense'));
  const useSparse =
    signals.includes('sparse') ||
    (wantColbert && embedding.lexical !== undefined && stored.includes('sparse'));
  const includes = sourceFields(
    context.collection,
    resolved.includeText,
    resolved.includeMetadata,
    signals.filter((s) => s !== 'colbert'),
  );
  const denseDepth = Math.max(
    signals.includes('dense') ? depth.dense : 0,
    wantColbert ? depth.colbert : 0,
  );
  const sparseDepth = Math.max(
    signals.includes('sparse') ? depth.sparse : 0,
    wantColbert ? depth.colbert : 0,
  );
  // Sparse scores in Elasticsearch are rounded down by up to 2^-8: fetch a margin beyond the
  // cut-off, re-sort exactly, and check nothing unfetched could beat the last one kept.
  const sparseFetch = sparseDepth + Math.max(10, Math.ceil(sparseDepth * 0.1));
  const knn = {
    numCandidatesFactor: context.numCandidatesFactor,
    rescoreOversample: context.rescoreOversample,
    filter: context.filter,
    source: wantColbert ? ('ids' as const) : includes,
  };
  const searches: { list: CandidateList; body: SearchBody }[] = [];
  const steps: string[] = [];
  const denseVector = useDense && embedding.dense ? normaliseQuery(embedding.dense) : undefined;
  if (denseVector !== undefined) {
    searches.push({
      list: 'dense',
      body: denseSearch({ vector: denseVector, depth: denseDepth, ...knn }),
    });
    steps.push(`knn(k=${denseDepth})`);
  }
  if (useSparse && embedding.lexical !== undefined && embedding.lexical.indices.length > 0) {
    searches.push({
      list: 'sparse',
      body: sparseSearch({
        lexical: embedding.lexical,
        depth: sparseFetch,
        filter: context.filter,
        source: knn.source,
      }),
    });
    steps.push(`sparse(${embedding.lexical.indices.length} terms, ${sparseFetch})`);
  }
  const colbertMean =
    wantColbert && context.layout.colbertMean && embedding.colbert
      ? meanRow(embedding.colbert)
      : undefined;
  if (colbertMean !== undefined) {
    searches.push({
      list: 'colbert',
      body: denseSearch({
        vector: colbertMean,
        depth: depth.colbert,
        field: FIELDS.colbertMean,
        ...knn,
      }),
    });
    steps.push(`ColBERT mean knn(k=${depth.colbert})`);
  }
  return {
    searches,
    includes,
    sourceWithColbert: wantColbert,
    sparseFetch,
    fillDense: signals.includes('dense'),
    fullScan: wantColbert && searches.length === 0 && !context.layout.colbertMean,
    steps: searches.length > 0 ? [steps.join(' + ')] : [],
  };
}

/** One request scored by Elasticsearch (`scoring: 'server'`) and how to read its scores back. */
export interface ServerQueryPlan {
  readonly body: SearchBody;
  readonly includes: readonly string[];
  readonly useDense: boolean;
  readonly useSparse: boolean;
  /** w_d / W and w_s / W: each signal's share of the fused score. */
  readonly denseShare: number;
  readonly sparseShare: number;
  /** The caller's dense vector length (the kNN ran on the normalised vector). */
  readonly denseNorm: number;
  readonly description: string;
}

/**
 * Dense + sparse `weighted` in one request; undefined when the query needs exact scoring (ColBERT,
 * or a fusion other than weighted). The kNN part scores boost * (1 + dot) / 2, so with
 * boost = 2 w_d / W its named score s gives dot = s W / w_d - 1; the sparse part's boosts carry
 * w_s / W, so its named score over that is the (rounded) dot product.
 */
export function planServerQuery(
  resolved: ResolvedQuery,
  context: PlanContext,
): ServerQueryPlan | undefined {
  const { signals, weights } = resolved;
  if (signals.includes('colbert') || (signals.length > 1 && resolved.fusion !== 'weighted'))
    return undefined;
  const embedding = resolved.query.embedding;
  const useDense = signals.includes('dense');
  const useSparse = signals.includes('sparse');
  const weightSum = (useDense ? weights.dense : 0) + (useSparse ? weights.sparse : 0);
  const denseShare =
    signals.length === 1 ? (useDense ? 1 : 0) : (useDense ? weights.dense : 0) / weightSum;
  const sparseShare =
    signals.length === 1 ? (useSparse ? 1 : 0) : (useSparse ? weights.sparse : 0) / weightSum;
  const includes = sourceFields(
    context.collection,
    resolved.includeText,
    resolved.includeMetadata,
    [],
  );
  const body = hybridSearch({
    vector: useDense && embedding.dense ? normaliseQuery(embedding.dense) : undefined,
    lexical: useSparse ? embedding.lexical : undefined,
    denseBoost: 2 * denseShare,
    sparseScale: sparseShare,
    denseDepth: resolved.candidates.dense,
    numCandidatesFactor: context.numCandidatesFactor,
    rescoreOversample: context.rescoreOversample,
    size: resolved.topK + (useDense ? resolved.candidates.dense : 0),
    filter: context.filter,
    source: includes,
  });
  const description =
    `elasticsearch: one request, ${useDense ? `knn(k=${resolved.candidates.dense}, boost ${2 * denseShare}${context.rescoreOversample ? ', rescore_vector' : ''})` : ''}` +
    `${useDense && useSparse ? ' + ' : ''}${useSparse ? `sparse(${embedding.lexical?.indices.length} terms)` : ''}, ` +
    'scores from Elasticsearch (kNN transform undone, sparse weights at 9-bit precision)';
  return {
    body,
    includes,
    useDense,
    useSparse,
    denseShare,
    sparseShare,
    denseNorm: embedding.dense ? Math.hypot(...embedding.dense) : 0,
    description,
  };
}

/** `_source` fields to fetch: text and metadata for the hits, exact copies for client scoring. */
export function sourceFields(
  collection: ResolvedCollectionSpec,
  text: boolean,
  metadata: boolean,
  signals: readonly Signal[],
): string[] {
  const fields: string[] = [];
  if (text && collection.storeText) fields.push(FIELDS.text);
  if (metadata) fields.push(FIELDS.metadata);
  if (signals.includes('dense')) fields.push(FIELDS.denseExact);
  if (signals.includes('sparse')) fields.push(FIELDS.lexicalExact);
  if (signals.includes('colbert')) fields.push(FIELDS.colbert);
  return fields;
}

/** Oversampling for kNN `rescore_vector`, when the index is quantised and the cluster has it. */
export function rescoreOversample(
  layout: IndexLayout,
  oversample: number,
  clusterHasIt: boolean,
): number | undefined {
  const type = layout.dense.type;
  const quantised = type.startsWith('int') || type.startsWith('bbq');
  return quantised && oversample > 0 && clusterHasIt ? oversample : undefined;
}
