import type { M3Document } from '../document.js';
import type { ChunkingOptions } from './chunking.js';
import { sha256Hex } from './sha256.js';

/** Hex characters of the hash kept as a fingerprint (64 bits: versions of one document never collide in practice). */
const FINGERPRINT_HEX = 16;

export interface FingerprintContext {
  readonly chunking: Required<ChunkingOptions>;
  /** The model identity: vectors of another model are another version. */
  readonly model: string;
  readonly source: string | undefined;
  /** SHA-256 as hex; defaults to core's own. */
  readonly hash?: (text: string) => string;
}

/**
 * What produced a document's chunks, as a short hash: its text and metadata, the chunking
 * settings, the model and the source scope. Equal fingerprints mean re-encoding would give the
 * same chunks, so sync skips the document. Metadata keys are sorted first, so key order does not
 * matter.
 */
export function documentFingerprint(document: M3Document, context: FingerprintContext): string {
  const hash = context.hash ?? sha256Hex;
  const settings = canonicalJson({
    v: 1,
    chunking: context.chunking,
    model: context.model,
    source: context.source ?? null,
    metadata: document.metadata ?? {},
  });
  // The text last and outside the JSON: no escaping pass over a large text.
  return hash(`${settings}\n${document.text}`).slice(0, FINGERPRINT_HEX);
}

/** The shard (0 to count - 1) a document id belongs to: the same on every machine and run. */
export function shardOf(
  documentId: string,
  count: number,
  hash: (text: string) => string = sha256Hex,
): number {
  if (count === 1) return 0;
  return Number.parseInt(hash(documentId).slice(0, 8), 16) % count;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
