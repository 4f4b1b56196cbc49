import type { LexicalWeights } from '@m3kit/core';
import type { QueryClause } from './filter-translation.js';
import { FIELDS } from './schema.js';

/** Largest `num_candidates` (and `k`) Elasticsearch accepts for kNN. */
export const MAX_NUM_CANDIDATES = 10_000;

/** A search body for one `_msearch` entry or `search` call. */
export type SearchBody = Record<string, unknown>;

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
  readonly depth: number;
  readonly numCandidatesFactor: number;
  /** For quantised indices: re-score this many times k candidates with the float vectors. */
  readonly rescoreOversample?: number;
  readonly filter?: QueryClause;
  readonly source: readonly string[] | false;
}): SearchBody {
  const k = Math.min(options.depth, MAX_NUM_CANDIDATES);
  const numCandidates = Math.min(MAX_NUM_CANDIDATES, Math.max(k, Math.ceil(k * options.numCandidatesFactor)));
  return {
    knn: {
      field: FIELDS.dense,
      query_vector: options.vector,
      k,
      num_candidates: numCandidates,
      ...(options.rescoreOversample ? { rescore_vector: { oversample: options.rescoreOversample } } : {}),
      ...(options.filter ? { filter: options.filter } : {}),
    },
    size: k,
    _source: sourceOption(options.source),
  };
}

/** The sparse disjunction's top `depth` by score, within the filter. */
export function sparseSearch(options: {
  readonly lexical: LexicalWeights;
  readonly depth: number;
  readonly filter?: QueryClause;
  readonly source: readonly string[] | false;
}): SearchBody {
  return {
    query: {
      bool: {
        should: sparseClauses(options.lexical),
        minimum_should_match: 1,
        ...(options.filter ? { filter: [options.filter] } : {}),
      },
    },
    size: Math.min(options.depth, MAX_NUM_CANDIDATES),
    _source: sourceOption(options.source),
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
    _source: sourceOption(options.source),
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
  const body: SearchBody = { size: Math.min(options.size, MAX_NUM_CANDIDATES), _source: sourceOption(options.source) };
  if (options.vector !== undefined && options.denseBoost > 0) {
    const k = Math.min(options.denseDepth, MAX_NUM_CANDIDATES);
    body.knn = {
      field: FIELDS.dense,
      query_vector: options.vector,
      k,
      num_candidates: Math.min(MAX_NUM_CANDIDATES, Math.max(k, Math.ceil(k * options.numCandidatesFactor))),
      boost: options.denseBoost,
      _name: 'dense',
      ...(options.rescoreOversample ? { rescore_vector: { oversample: options.rescoreOversample } } : {}),
      ...(options.filter ? { filter: options.filter } : {}),
    };
  }
  if (options.lexical !== undefined && options.sparseScale > 0) {
    body.query = {
      bool: {
        _name: 'sparse',
        should: sparseClauses(options.lexical, options.sparseScale),
        minimum_should_match: 1,
        ...(options.filter ? { filter: [options.filter] } : {}),
      },
    };
  }
  return body;
}

function sourceOption(source: readonly string[] | false): false | { includes: string[] } {
  return source === false || source.length === 0 ? false : { includes: [...source] };
}
