import { UnsupportedError } from '@m3kit/core';
import type { ResolvedQdrantOptions } from './options.js';

/** What the adapter needs to know about a Qdrant server, derived from its version. */
export interface QdrantServerFeatures {
  readonly version: string;
  /** Query API with prefetch (1.10). */
  readonly queryApi: boolean;
  /** `fusion: "dbsf"` (1.11). */
  readonly dbsf: boolean;
  /** Formula queries over prefetch scores (1.14). */
  readonly formula: boolean;
  /** `{"rrf": {"k": n}}` with a chosen k (1.16); before that k is fixed at 2. */
  readonly rrfK: boolean;
  /** Collection `metadata` (1.16): where m3kit keeps the collection's spec. */
  readonly collectionMetadata: boolean;
  /** TurboQuant: the `turbo4` datatype and `turbo` quantisation (1.19). */
  readonly turbo: boolean;
}

export interface ParsedVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Parses "1.19.0", "v1.16.2", "1.17.0-dev": anything else is not a version. */
export function parseVersion(version: string): ParsedVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

function atLeast(version: ParsedVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/** Features by version; an unparseable version is assumed to be a recent one (with a warning elsewhere). */
export function featuresForVersion(version: string): QdrantServerFeatures {
  const parsed = parseVersion(version) ?? { major: 1, minor: 99, patch: 0 };
  return {
    version,
    queryApi: atLeast(parsed, 1, 10),
    dbsf: atLeast(parsed, 1, 11),
    formula: atLeast(parsed, 1, 14),
    rrfK: atLeast(parsed, 1, 16),
    collectionMetadata: atLeast(parsed, 1, 16),
    turbo: atLeast(parsed, 1, 19),
  };
}

/** m3kit's queries need the Query API: older servers are refused with a clear error. */
export function requireQueryApi(features: QdrantServerFeatures): void {
  if (!features.queryApi) {
    throw new UnsupportedError({
      backend: 'qdrant',
      feature: `Qdrant ${features.version}`,
      message: 'm3kit needs the Query API (Qdrant >= 1.10)',
    });
  }
}

/** Storage options the server must know before a collection is created with them. */
export function requireStorageSupport(
  features: QdrantServerFeatures,
  options: ResolvedQdrantOptions,
): void {
  const turbo = [
    options.colbert.datatype === 'turbo4' && 'colbert.datatype turbo4',
    options.colbert.quantization?.kind === 'turbo' && 'colbert.quantization turbo',
    options.dense.quantization?.kind === 'turbo' && 'dense.quantization turbo',
  ].filter(Boolean);
  if (turbo.length > 0 && !features.turbo) {
    throw new UnsupportedError({
      backend: 'qdrant',
      feature: String(turbo[0]),
      message: `TurboQuant needs Qdrant >= 1.19 (server: ${features.version})`,
    });
  }
}
