import type { M3Embedding, ResolvedQuery, Signal } from '@m3kit/core';
import type { Schemas } from '@qdrant/js-client-rest';
import type { QdrantFilter } from './filter-translation.js';
import { floatsToJson, multiVectorToJson } from './record-codec.js';
import type { ResolvedQdrantOptions } from './options.js';
import type { QdrantServerFeatures } from './server-features.js';

export type QueryRequest = Schemas['QueryRequest'];
export type Prefetch = Schemas['Prefetch'];

/**
 * How one hybrid query runs on Qdrant. Every plan is plain request data (unit-tested as such);
 * the store sends it and turns the answer into hits.
 * - `server`: one request whose answer is the final ranking (one signal, native RRF/DBSF, formula);
 * - `lists`: one request per signal giving its ranked candidate list; m3kit fuses (RRF/DBSF);
 * - `rescore`: one request per signal giving that signal's exact score for every candidate of
 *   the union of the candidate searches; m3kit computes the weighted score.
 * Client plans ask for point ids and scores only (payloads are read from disk: ~15 ms per 300
 * candidates); the final top-k's payloads are fetched afterwards.
 */
export type QueryPlan =
  | {
      readonly kind: 'server';
      readonly request: QueryRequest;
      /** Score of a single ColBERT query: Qdrant's undivided MaxSim, divide by the query rows. */
      readonly single?: Signal;
      readonly fusion: 'native' | 'none';
      readonly description: string;
      readonly warnings: readonly string[];
    }
  | {
      readonly kind: 'lists' | 'rescore';
      readonly requests: ReadonlyArray<{ readonly signal: Signal; readonly request: QueryRequest }>;
      readonly description: string;
      readonly warnings: readonly string[];
    };

export interface QueryPlanInput {
  readonly resolved: ResolvedQuery;
  readonly options: ResolvedQdrantOptions;
  readonly features: QdrantServerFeatures;
  readonly filter: QdrantFilter | undefined;
}

/** Payload keys a hit needs: always the document id, text and metadata when asked for. */
export function payloadSelection(
  resolved: ResolvedQuery,
  options: ResolvedQdrantOptions,
): string[] {
  const keys = [options.payloadKeys.id];
  if (resolved.includeText) keys.push(options.payloadKeys.text);
  if (resolved.includeMetadata) keys.push(options.payloadKeys.metadata);
  return keys;
}

export function planQuery(input: QueryPlanInput): QueryPlan {
  const { resolved, options, features } = input;
  const version = `qdrant ${features.version}`;
  if (resolved.signals.length === 1) {
    const signal = resolved.signals[0]!;
    const leaf = leafSearch(signal, input, resolved.topK);
    return {
      kind: 'server',
      single: signal,
      request: {
        ...leaf,
        ...(input.filter ? { filter: input.filter } : {}),
        limit: resolved.topK,
        with_payload: payloadSelection(resolved, options),
      },
      fusion: 'none',
      description: `${version}: ${describeLeaf(signal, input, resolved.topK)}`,
      warnings: [],
    };
  }
  if (resolved.fusion === 'weighted') return planWeighted(input, version);
  return planRankFusion(input, version);
}

/** RRF and DBSF: each signal's candidate list, fused by Qdrant when its formula equals core's. */
function planRankFusion(input: QueryPlanInput, version: string): QueryPlan {
  const { resolved, options, features } = input;
  const lists = resolved.signals.map((signal) => ({
    signal,
    prefetch: candidateList(signal, input),
  }));
  const described = resolved.signals
    .map((signal) => describeCandidateList(signal, input))
    .join(' + ');
  const warnings: string[] = [];
  let native: Schemas['QueryInterface'] | undefined;
  let nativeNote = '';
  if (resolved.fusion === 'rrf' && options.fusion.rrf !== 'client' && features.queryApi) {
    // Qdrant scores 1 / (k + position) with position from 0, i.e. 1 / (k - 1 + rank): its k is
    // core's k + 1. Before 1.16 k is fixed at 2, which is core's k = 1.
    if (Number.isInteger(resolved.rrfK) && features.rrfK) {
      native = { rrf: { k: resolved.rrfK + 1 } };
      nativeNote = `server RRF k=${resolved.rrfK + 1} (Qdrant counts positions from 0: equals core k=${resolved.rrfK})`;
    } else if (resolved.rrfK === 1) {
      native = { fusion: 'rrf' };
      nativeNote =
        'server RRF with its fixed k=2 (Qdrant counts positions from 0: equals core k=1)';
    } else if (options.fusion.rrf === 'native') {
      warnings.push(
        `qdrant ${features.version} cannot run RRF with k=${resolved.rrfK} natively (${features.rrfK ? 'k must be an integer' : 'a chosen k needs Qdrant >= 1.16'}); fused by m3kit instead`,
      );
    }
  }
  if (resolved.fusion === 'dbsf' && options.fusion.dbsf !== 'client') {
    if (features.dbsf) {
      // Qdrant: mean ± 3 sample standard deviations onto 0..1, no clamping, summed: core's formula.
      native = { fusion: 'dbsf' };
      nativeNote = 'server DBSF';
    } else if (options.fusion.dbsf === 'native') {
      warnings.push(`qdrant ${features.version} has no DBSF (needs 1.11); fused by m3kit instead`);
    }
  }
  if (native !== undefined) {
    return {
      kind: 'server',
      request: {
        prefetch: lists.map((list) => list.prefetch),
        query: native,
        limit: resolved.topK,
        with_payload: payloadSelection(resolved, options),
      },
      fusion: 'native',
      description: `${version}: prefetch ${described}; ${nativeNote}`,
      warnings,
    };
  }
  return {
    kind: 'lists',
    requests: lists.map(({ signal, prefetch }) => ({
      signal,
      request: { ...prefetch, with_payload: false },
    })),
    description: `${version}: candidate lists ${described}; ${resolved.fusion.toUpperCase()} fused by m3kit (core formula)`,
    warnings,
  };
}

/**
 * compute_score: candidates = union of the candidate searches; every candidate needs all of its
 * exact signal scores. A formula over the plain candidate prefetches would be wrong: a point found
 * by the dense search but not the sparse one would get the formula's default sparse score, not its
 * real one. So each signal gets a rescoring prefetch over the whole union (limit = union size
 * bound): every candidate then has every score; only the sparse rescoring may leave out points
 * with no shared token, whose real score is 0 (the formula's default). Exact either way.
 */
function planWeighted(input: QueryPlanInput, version: string): QueryPlan {
  const { resolved, options, features } = input;
  const union = candidateUnion(input);
  const unionLimit = union.reduce((sum, leaf) => sum + (leaf.limit ?? 0), 0);
  const rescoring = resolved.signals.map((signal) => ({
    signal,
    prefetch: {
      prefetch: union,
      query: queryVector(signal, resolved.query.embedding),
      using: options.vectorNames[signal],
      limit: unionLimit,
      params: signal === 'colbert' ? colbertRerankParams(options) : RESCORE_PARAMS,
    } satisfies Prefetch,
  }));
  const unionDescription = describeUnion(input);
  const useFormula =
    options.fusion.weighted === 'formula' ||
    (options.fusion.weighted === 'auto' && features.formula);
  const warnings: string[] = [];
  if (useFormula && !features.formula) {
    warnings.push(
      `qdrant ${features.version} has no formula queries (needs 1.14); weighted score computed by m3kit`,
    );
  }
  if (useFormula && features.formula) {
    return {
      kind: 'server',
      request: {
        prefetch: rescoring.map((r) => r.prefetch),
        query: weightedFormula(resolved),
        limit: resolved.topK,
        with_payload: payloadSelection(resolved, options),
      },
      fusion: 'native',
      description: `${version}: candidates ${unionDescription}, each rescored exactly by ${resolved.signals.join('+')}; weighted score by a server formula`,
      warnings,
    };
  }
  return {
    kind: 'rescore',
    requests: rescoring.map(({ signal, prefetch }) => ({
      signal,
      request: { ...prefetch, with_payload: false },
    })),
    description: `${version}: candidates ${unionDescription}, each rescored exactly by ${resolved.signals.join('+')} on the server; weighted score by m3kit`,
    warnings,
  };
}

/** sum_i (w_i / sum w) * s_i, with ColBERT's undivided MaxSim divided by the query's rows. */
export function weightedFormula(resolved: ResolvedQuery): Schemas['FormulaQuery'] {
  const weightSum = resolved.signals.reduce((sum, s) => sum + resolved.weights[s], 0);
  const terms = resolved.signals.map((signal, i) => {
    let coefficient = resolved.weights[signal] / weightSum;
    if (signal === 'colbert') coefficient /= resolved.query.embedding.colbert?.rows ?? 1;
    return { mult: [coefficient, `$score[${i}]`] };
  });
  const defaults: Record<string, number> = {};
  resolved.signals.forEach((signal, i) => {
    if (signal === 'sparse') defaults[`$score[${i}]`] = 0;
  });
  return { formula: { sum: terms }, defaults };
}

/** Search params for rescoring a known set of points: original float32 vectors, no index. */
export const RESCORE_PARAMS: Schemas['SearchParams'] = {
  exact: true,
  quantization: { ignore: true },
};

function candidateParams(options: ResolvedQdrantOptions): Schemas['SearchParams'] | undefined {
  const params: Schemas['SearchParams'] = {};
  if (options.search.exact) params.exact = true;
  if (options.search.hnswEf !== undefined) params.hnsw_ef = options.search.hnswEf;
  if (options.dense.quantization) params.quantization = { rescore: true };
  return Object.keys(params).length > 0 ? params : undefined;
}

function colbertScanParams(options: ResolvedQdrantOptions): Schemas['SearchParams'] {
  if (!options.colbert.quantization) return { exact: true };
  return { quantization: { rescore: options.colbert.score === 'originals' } };
}

/**
 * Params of a ColBERT MaxSim over known candidates: the stored rows exactly (whatever their
 * datatype), or the compact copy alone when `colbert.score` is `quantized` (`exact: true`
 * would switch quantisation off: Qdrant's is_quantized_search).
 */
export function colbertRerankParams(options: ResolvedQdrantOptions): Schemas['SearchParams'] {
  return options.colbert.quantization && options.colbert.score === 'quantized'
    ? QUANTIZED_RESCORE_PARAMS
    : RESCORE_PARAMS;
}

/** Scores from the quantised copies only, never the originals. */
export const QUANTIZED_RESCORE_PARAMS: Schemas['SearchParams'] = {
  quantization: { ignore: false, rescore: false },
};

/** A search over the whole collection (filtered) for one signal: the leaves of every plan. */
function leafSearch(signal: Signal, input: QueryPlanInput, limit: number): Prefetch {
  const { options, resolved } = input;
  const params =
    signal === 'colbert'
      ? colbertScanParams(options)
      : signal === 'dense'
        ? candidateParams(options)
        : undefined;
  return {
    query: queryVector(signal, resolved.query.embedding),
    using: options.vectorNames[signal],
    limit,
    ...(params ? { params } : {}),
  };
}

function filteredLeaf(signal: Signal, input: QueryPlanInput): Prefetch {
  return {
    ...leafSearch(signal, input, input.resolved.candidates[signal]),
    ...(input.filter ? { filter: input.filter } : {}),
  };
}

/** Leaves whose union is the candidate set: dense and sparse searches; ColBERT scans only when asked (or alone). */
function candidateUnion(input: QueryPlanInput): Prefetch[] {
  const leaves = unionSignals(input).map((signal) => filteredLeaf(signal, input));
  return leaves;
}

function unionSignals(input: QueryPlanInput): Signal[] {
  const { signals } = input.resolved;
  const firstStage = signals.filter((s) => s !== 'colbert');
  if (
    signals.includes('colbert') &&
    (input.options.search.colbertCandidates === 'scan' || firstStage.length === 0)
  ) {
    return [...firstStage, 'colbert'];
  }
  return firstStage;
}

/** One signal's ranked candidate list; ColBERT's is a MaxSim rerank of the others' candidates unless scanning. */
function candidateList(signal: Signal, input: QueryPlanInput): Prefetch {
  if (signal !== 'colbert' || unionSignals(input).includes('colbert'))
    return filteredLeaf(signal, input);
  return {
    prefetch: candidateUnion(input),
    query: queryVector('colbert', input.resolved.query.embedding),
    using: input.options.vectorNames.colbert,
    limit: input.resolved.candidates.colbert,
    params: colbertRerankParams(input.options),
  };
}

export function queryVector(signal: Signal, embedding: M3Embedding): Schemas['VectorInput'] {
  if (signal === 'dense') return floatsToJson(embedding.dense!);
  if (signal === 'sparse') {
    return {
      indices: Array.from(embedding.lexical!.indices),
      values: floatsToJson(embedding.lexical!.values),
    };
  }
  return multiVectorToJson(embedding.colbert!);
}

function describeLeaf(signal: Signal, input: QueryPlanInput, limit: number): string {
  if (signal === 'colbert') return `colbert MaxSim scan(${limit})`;
  if (signal === 'sparse') return `sparse(${limit})`;
  return `dense ${input.options.search.exact ? 'exact' : 'HNSW'}(${limit})`;
}

function describeCandidateList(signal: Signal, input: QueryPlanInput): string {
  const depth = input.resolved.candidates[signal];
  if (signal !== 'colbert' || unionSignals(input).includes('colbert'))
    return describeLeaf(signal, input, depth);
  return `colbert MaxSim rerank(${depth}) of ${describeUnion(input)}`;
}

function describeUnion(input: QueryPlanInput): string {
  return unionSignals(input)
    .map((signal) => describeLeaf(signal, input, input.resolved.candidates[signal]))
    .join(' ∪ ');
}
