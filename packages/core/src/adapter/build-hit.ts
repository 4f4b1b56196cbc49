import type { Metadata } from '../document.js';
import type { Signal } from '../embedding/types.js';
import type { QueryHit } from '../query/hybrid-query.js';
import type { ResolvedQuery } from '../query/resolve-query.js';

/** What an adapter read back for one hit: its score and the stored fields it fetched. */
export interface StoredHitFields {
  readonly id: string;
  readonly score: number;
  readonly signalScores?: Readonly<Partial<Record<Signal, number>>>;
  readonly text?: string | undefined;
  readonly metadata?: Metadata | undefined;
}

/**
 * A QueryHit from stored fields, honouring the query's includeText / includeMetadata: a field the
 * caller left out is absent (not `undefined`-valued), as in the exact store.
 */
export function buildHit(
  fields: StoredHitFields,
  resolved: Pick<ResolvedQuery, 'includeText' | 'includeMetadata'>,
): QueryHit {
  return {
    id: fields.id,
    score: fields.score,
    signalScores: { ...fields.signalScores },
    ...(resolved.includeText && fields.text !== undefined ? { text: fields.text } : {}),
    ...(resolved.includeMetadata && fields.metadata !== undefined
      ? { metadata: fields.metadata }
      : {}),
  };
}
