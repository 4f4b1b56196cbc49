import { InvalidInputError } from '../errors/invalid-input-error.js';
import { hasSignal, type Signal, ALL_SIGNALS } from '../embedding/types.js';
import { validateFilter } from '../filter/validate-filter.js';
import {
  DEFAULT_RRF_K,
  DEFAULT_SIGNAL_WEIGHTS,
  type Fusion,
  type FusionKind,
  type HybridQuery,
} from './hybrid-query.js';

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

/** Fills defaults and validates; `storeSignals` are the signals the collection holds. */
export function resolveQuery(query: HybridQuery, storeSignals: readonly Signal[]): ResolvedQuery {
  if (!Number.isInteger(query.topK) || query.topK < 1 || query.topK > MAX_TOP_K) {
    throw new InvalidInputError(`topK must be an integer from 1 to ${MAX_TOP_K}, got ${String(query.topK)}`);
  }
  const signals = resolveSignals(query, storeSignals);
  const weights = { ...DEFAULT_SIGNAL_WEIGHTS, ...query.weights };
  for (const signal of signals) {
    const weight = weights[signal];
    if (!Number.isFinite(weight) || weight < 0) {
      throw new InvalidInputError(`weight for ${signal} must be a finite number >= 0`);
    }
  }
  const fusion: Fusion = query.fusion ?? { kind: 'weighted' };
  if (fusion.kind === 'weighted' && signals.reduce((sum, s) => sum + weights[s], 0) <= 0) {
    throw new InvalidInputError('weighted fusion needs at least one positive weight');
  }
  const rrfK = fusion.kind === 'rrf' ? (fusion.k ?? DEFAULT_RRF_K) : DEFAULT_RRF_K;
  if (!Number.isFinite(rrfK) || rrfK < 0) throw new InvalidInputError('rrf k must be a finite number >= 0');
  if (query.filter !== undefined) validateFilter(query.filter);
  return {
    query,
    signals,
    weights,
    fusion: fusion.kind,
    rrfK,
    topK: query.topK,
    candidates: resolveCandidates(query),
    includeText: query.includeText ?? true,
    includeMetadata: query.includeMetadata ?? true,
  };
}

function resolveSignals(query: HybridQuery, storeSignals: readonly Signal[]): Signal[] {
  if (query.signals !== undefined) {
    if (query.signals.length === 0) throw new InvalidInputError('signals must not be empty');
    for (const signal of query.signals) {
      if (!ALL_SIGNALS.includes(signal)) throw new InvalidInputError(`unknown signal "${String(signal)}"`);
      if (!hasSignal(query.embedding, signal)) {
        throw new InvalidInputError(`query asks for ${signal} but its embedding has no ${signal} output`);
      }
      if (!storeSignals.includes(signal)) {
        throw new InvalidInputError(`query asks for ${signal} but the collection does not store it`);
      }
    }
    return [...new Set(query.signals)];
  }
  const available = ALL_SIGNALS.filter((s) => hasSignal(query.embedding, s) && storeSignals.includes(s));
  if (available.length === 0) {
    throw new InvalidInputError('the query embedding has none of the signals the collection stores');
  }
  return available;
}

function resolveCandidates(query: HybridQuery): Record<Signal, number> {
  const fallback = Math.max(100, 4 * query.topK);
  const given = query.candidates;
  const depth = (signal: Signal): number => {
    const value = typeof given === 'number' ? given : (given?.[signal] ?? fallback);
    if (!Number.isInteger(value) || value < 1 || value > MAX_TOP_K) {
      throw new InvalidInputError(`candidates for ${signal} must be an integer from 1 to ${MAX_TOP_K}`);
    }
    return value;
  };
  return { dense: depth('dense'), sparse: depth('sparse'), colbert: depth('colbert') };
}
