import { filters } from '../filter/filter.js';
import type { M3StoreV1 } from '../store/store-v1.js';
import { SYNC_FIELDS } from './sync-fields.js';
import { deleteChunks } from './sync-scan.js';

/** Documents of the scope that the input no longer holds, deleted (or, in a dry run, listed). */
export interface PruneReport {
  readonly documents: number;
  readonly chunks: number;
  /** The first document ids (at most 100), for a dry run to show. */
  readonly sample: readonly string[];
  readonly dryRun: boolean;
  /** Why pruning was not done (the caller's `canPrune` said no); nothing was deleted. */
  readonly refused?: string;
}

const SAMPLE = 100;

export interface PruneOptions {
  /** Document ids the input holds. */
  readonly present: ReadonlyMap<string, unknown> | ReadonlySet<string>;
  /** The scope: chunks whose `m3_source` is this; undefined = every synced chunk of the collection. */
  readonly source: string | undefined;
  /** Only documents of this run's shard are pruned (other shards' documents are not in `present`). */
  readonly inShard: (documentId: string) => boolean;
  readonly dryRun: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Scans the scope once, collects the chunks of documents absent from the input, then deletes
 * them (after the scan: deleting while paging could shift a backend's pages).
 */
export async function pruneAbsent(store: M3StoreV1, options: PruneOptions): Promise<PruneReport> {
  const filter =
    options.source !== undefined ? filters.eq(SYNC_FIELDS.source, options.source) : undefined;
  const absent = new Map<string, string[]>();
  for await (const page of store.scan({
    ...(filter ? { filter } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    for (const record of page) {
      const documentId = record.metadata?.[SYNC_FIELDS.documentId];
      if (
        typeof documentId !== 'string' ||
        options.present.has(documentId) ||
        !options.inShard(documentId)
      )
        continue;
      let ids = absent.get(documentId);
      if (!ids) {
        ids = [];
        absent.set(documentId, ids);
      }
      ids.push(record.id);
    }
  }
  const chunkIds = [...absent.values()].flat();
  if (!options.dryRun) await deleteChunks(store, chunkIds, options.signal);
  return {
    documents: absent.size,
    chunks: chunkIds.length,
    sample: [...absent.keys()].slice(0, SAMPLE),
    dryRun: options.dryRun,
  };
}
