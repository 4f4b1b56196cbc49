import type { ScannedRecord } from '../store/store-v1.js';
import { SYNC_FIELDS } from './sync-fields.js';

/** The chunks of one document written under one fingerprint: one version of it. */
export interface DocumentVersion {
  readonly fingerprint: string;
  /** The newest generation among its chunks (a rerun rewrites the same ids under a newer one). */
  readonly generation: number;
  readonly chunkIds: readonly string[];
  /** Every chunk the version was written with is there (distinct chunk numbers = `m3_chunk_count`). */
  readonly complete: boolean;
}

/** Scanned chunks grouped by document id, then by fingerprint. Records without sync metadata are left out. */
export function groupVersions(records: Iterable<ScannedRecord>): Map<string, DocumentVersion[]> {
  const byDocument = new Map<
    string,
    Map<string, { generation: number; ids: string[]; chunks: Set<number>; count: number }>
  >();
  for (const record of records) {
    const metadata = record.metadata ?? {};
    const documentId = metadata[SYNC_FIELDS.documentId];
    const fingerprint = metadata[SYNC_FIELDS.fingerprint];
    if (typeof documentId !== 'string' || typeof fingerprint !== 'string') continue;
    const generation = numberOr(metadata[SYNC_FIELDS.generation], 0);
    let versions = byDocument.get(documentId);
    if (!versions) {
      versions = new Map();
      byDocument.set(documentId, versions);
    }
    let version = versions.get(fingerprint);
    if (!version) {
      version = { generation, ids: [], chunks: new Set(), count: Number.NaN };
      versions.set(fingerprint, version);
    }
    version.generation = Math.max(version.generation, generation);
    version.ids.push(record.id);
    version.chunks.add(numberOr(metadata[SYNC_FIELDS.chunk], -1));
    version.count = numberOr(metadata[SYNC_FIELDS.chunkCount], Number.NaN);
  }
  const result = new Map<string, DocumentVersion[]>();
  for (const [documentId, versions] of byDocument) {
    result.set(
      documentId,
      [...versions].map(([fingerprint, v]) => ({
        fingerprint,
        generation: v.generation,
        chunkIds: v.ids,
        complete:
          Number.isInteger(v.count) &&
          v.count > 0 &&
          v.chunks.size === v.count &&
          !v.chunks.has(-1),
      })),
    );
  }
  return result;
}

/** The complete version with the newest generation (ties: the larger fingerprint), if any. */
export function winningVersion(versions: readonly DocumentVersion[]): DocumentVersion | undefined {
  let winner: DocumentVersion | undefined;
  for (const version of versions) {
    if (!version.complete) continue;
    if (
      !winner ||
      version.generation > winner.generation ||
      (version.generation === winner.generation && version.fingerprint > winner.fingerprint)
    ) {
      winner = version;
    }
  }
  return winner;
}

/**
 * The chunks to delete so that only the winning version stays: every other complete version,
 * and every incomplete one no newer than the winner (a crashed run's leftovers, or a writer that
 * lost). An incomplete version newer than the winner is another writer still at work: it is left
 * for that writer, which cleans up after itself. Without a complete version nothing is deleted.
 */
export function staleChunkIds(versions: readonly DocumentVersion[]): string[] {
  const winner = winningVersion(versions);
  if (!winner) return [];
  return versions
    .filter((v) => v !== winner && (v.complete || v.generation <= winner.generation))
    .flatMap((v) => v.chunkIds);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
