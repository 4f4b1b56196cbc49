import { ALL_SIGNALS, hasSignal, type Signal } from '../embedding/types.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { ResolvedCollectionSpec } from '../store/collection-spec.js';
import {
  DEFAULT_RRF_K,
  DEFAULT_SIGNAL_WEIGHTS,
  type FusionKind,
  type HybridQuery,
} from './hybrid-query.js';
import { resolveFilter } from './resolve-filter.js';
import { validateQueryEmbedding } from './validate-query-embedding.js';

/** A HybridQuery with every default filled in and checked: what adapters implement against. */
export interface ResolvedQuery {
  readonly query: HybridQuery;
  readonly signals: readonly Signal[];
  readonly weights: Readonly<Record<Signal, number>>;
  readonly fusion: FusionKind;
  readonly rrfK: number;
  readonly topK: number;
  readonly candidates: Readonly<Record<Signal, number>>;
  readonly includeText: boolean;
  readonly includeMetadata: boolean;
}

export const MAX_TOP_K = 10_000;
const FUSION_KINDS: readonly FusionKind[] = ['weighted', 'rrf', 'dbsf'];

/**
 * The one place every public query input is checked, for every store: the embedding (no NaN or
 * infinity anywhere; with a collection spec also dimensions and unit length), `signals`,
 * `weights` (finite, >= 0, known signals, not all zero for weighted fusion), `fusion` (a known
 * kind; rrf k a positive finite number), `topK`, `candidates`, `filter`, includeText/Metadata.
 * Throws InvalidInputError naming the field (`query.weights.dense`).
 *
 * Pass the collection spec; the older form with the store's signals only skips the dimension and
 * unit-length checks.
 */
export function resolveQuery(
  query: HybridQuery,
  collection: ResolvedCollectionSpec | readonly Signal[],
): ResolvedQuery {
  if (typeof query !== 'object' || query === null)
    throw new InvalidInputError('query must be an object');
  const spec = isSpec(collection) ? collection : undefined;
  const storeSignals = spec?.signals ?? (collection as readonly Signal[]);
  validateQueryEmbedding(query.embedding, spec);
  const topK = resolveTopK(query.topK);
  const signals = resolveSignals(query, storeSignals);
  const fusion = resolveFusion(query.fusion);
  const weights = resolveWeights(query.weights, signals, fusion.kind);
  resolveFilter(query.filter, 'query.filter');
  return {
    query,
    signals,
    weights,
    fusion: fusion.kind,
    rrfK: fusion.rrfK,
    topK,
    candidates: resolveCandidates(query.candidates, topK),
    includeText: resolveFlag(query.includeText, 'query.includeText'),
    includeMetadata: resolveFlag(query.includeMetadata, 'query.includeMetadata'),
  };
}

function isSpec(
  collection: ResolvedCollectionSpec | readonly Signal[],
): collection is ResolvedCollectionSpec {
  return !Array.isArray(collection);
}

function resolveTopK(topK: unknown): number {
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) {
    throw new InvalidInputError(
      `query.topK must be an integer from 1 to ${MAX_TOP_K}, got ${describe(topK)}`,
    );
  }
  return topK;
}

function resolveSignals(query: HybridQuery, storeSignals: readonly Signal[]): Signal[] {
  if (query.signals !== undefined) {
    if (!Array.isArray(query.signals) || query.signals.length === 0) {
      throw new InvalidInputError(
        'query.signals must be a non-empty array of dense, sparse, colbert',
      );
    }
    for (const [i, signal] of query.signals.entries()) {
      if (!ALL_SIGNALS.includes(signal))
        throw new InvalidInputError(`query.signals[${i}] is unknown signal ${describe(signal)}`);
      if (!hasSignal(query.embedding, signal)) {
        throw new InvalidInputError(
          `query.signals[${i}] asks for ${signal} but the query embedding has no ${signal} output`,
        );
      }
      if (!storeSignals.includes(signal)) {
        throw new InvalidInputError(
          `query.signals[${i}] asks for ${signal} but the collection does not store it`,
        );
      }
    }
    return [...new Set(query.signals)];
  }
  const available = ALL_SIGNALS.filter(
    (s) => hasSignal(query.embedding, s) && storeSignals.includes(s),
  );
  if (available.length === 0) {
    throw new InvalidInputError('query.embedding has none of the signals the collection stores');
  }
  return available;
}

function resolveFusion(fusion: unknown): { kind: FusionKind; rrfK: number } {
  if (fusion === undefined) return { kind: 'weighted', rrfK: DEFAULT_RRF_K };
  if (typeof fusion !== 'object' || fusion === null) {
    throw new InvalidInputError(
      `query.fusion must be an object like { kind: 'rrf' }, got ${describe(fusion)}`,
    );
  }
  const { kind, k } = fusion as { kind?: unknown; k?: unknown };
  if (!FUSION_KINDS.includes(kind as FusionKind)) {
    throw new InvalidInputError(
      `query.fusion.kind must be one of ${FUSION_KINDS.join(', ')}, got ${describe(kind)}`,
    );
  }
  if (kind !== 'rrf') {
    if (k !== undefined)
      throw new InvalidInputError(`query.fusion.k applies to rrf only, not ${String(kind)}`);
    return { kind: kind as FusionKind, rrfK: DEFAULT_RRF_K };
  }
  if (k !== undefined && (typeof k !== 'number' || !Number.isFinite(k) || k <= 0)) {
    throw new InvalidInputError(
      `query.fusion.k must be a positive finite number, got ${describe(k)}`,
    );
  }
  return { kind: 'rrf', rrfK: (k as number | undefined) ?? DEFAULT_RRF_K };
}

function resolveWeights(
  given: unknown,
  signals: readonly Signal[],
  fusion: FusionKind,
): Record<Signal, number> {
  if (given === undefined) return checkWeightSum({ ...DEFAULT_SIGNAL_WEIGHTS }, signals, fusion);
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidInputError(
      `query.weights must be an object like { dense: 0.4 }, got ${describe(given)}`,
    );
  }
  for (const [signal, weight] of Object.entries(given)) {
    if (!ALL_SIGNALS.includes(signal as Signal)) {
      throw new InvalidInputError(
        `query.weights.${signal}: unknown signal (known: ${ALL_SIGNALS.join(', ')})`,
      );
    }
    if (weight === undefined) continue;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new InvalidInputError(
        `query.weights.${signal} must be a finite number >= 0, got ${describe(weight)}`,
      );
    }
  }
  const defined = Object.fromEntries(Object.entries(given).filter(([, w]) => w !== undefined));
  return checkWeightSum({ ...DEFAULT_SIGNAL_WEIGHTS, ...defined }, signals, fusion);
}

function checkWeightSum(
  weights: Record<Signal, number>,
  signals: readonly Signal[],
  fusion: FusionKind,
): Record<Signal, number> {
  if (fusion === 'weighted' && signals.reduce((sum, s) => sum + weights[s], 0) <= 0) {
    throw new InvalidInputError(
      `query.weights: weighted fusion needs a positive weight for one of ${signals.join(', ')}`,
    );
  }
  return weights;
}

/**
 * The candidates each signal contributes when the query names none: at least 100, 4 x topK for
 * deeper queries, and never past MAX_TOP_K (what every store's candidate list may hold), so a
 * topK above 2500 does not ask for more than 10,000. The one place this default is computed.
 *
 * Why 100 and not the paper's 200 (ColBERT rerank of dense hits) or 1,000 (dense + sparse
 * fusion): on the realistic corpus (10,000 passages of 20-300 rows, 20 queries,
 * bench/dist/colbert-depth-bench.js), candidates = exact top-N dense + top-N sparse give recall@10
 * against the exact store of 1.000 (ColBERT rerank), 1.000 (dense+sparse and three-signal
 * weighted), 0.995 (rrf) and 1.000 (dbsf) at N = 100, and 0.995 / 1.000 / 1.000 / 0.985 / 0.985
 * at N = 50: deeper lists would only cost latency. A backend's own ANN error comes on top
 * (store-bench measures it per backend).
 */
export function defaultCandidateDepth(topK: number): number {
  return Math.min(MAX_TOP_K, Math.max(100, 4 * topK));
}

function resolveCandidates(given: unknown, topK: number): Record<Signal, number> {
  const fallback = defaultCandidateDepth(topK);
  const depth = (value: unknown, field: string): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TOP_K) {
      throw new InvalidInputError(
        `${field} must be an integer from 1 to ${MAX_TOP_K}, got ${describe(value)}`,
      );
    }
    return value;
  };
  if (given === undefined || typeof given === 'number') {
    const value = depth(given, 'query.candidates');
    return { dense: value, sparse: value, colbert: value };
  }
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidInputError(
      `query.candidates must be a number or an object like { dense: 100 }, got ${describe(given)}`,
    );
  }
  for (const signal of Object.keys(given)) {
    if (!ALL_SIGNALS.includes(signal as Signal)) {
      throw new InvalidInputError(
        `query.candidates.${signal}: unknown signal (known: ${ALL_SIGNALS.join(', ')})`,
      );
    }
  }
  const perSignal = given as Partial<Record<Signal, unknown>>;
  return {
    dense: depth(perSignal.dense, 'query.candidates.dense'),
    sparse: depth(perSignal.sparse, 'query.candidates.sparse'),
    colbert: depth(perSignal.colbert, 'query.candidates.colbert'),
  };
}

function resolveFlag(value: unknown, field: string): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean')
    throw new InvalidInputError(`${field} must be true or false, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value === null ||
    value === undefined
  )
    return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}
