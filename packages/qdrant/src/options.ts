import type { CollectionSpec } from '@m3kit/core';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { M3KIT_POINT_NAMESPACE } from './point-id.js';

/** Most floats Qdrant accepts in one multivector: it rejects rows x dim >= 1,048,576 (release builds). */
export const QDRANT_MULTIVECTOR_MAX_FLOATS = 1_048_576 - 1;
/** The server's default request body limit (service.max_request_size_mb: 32). */
export const QDRANT_DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** int8 scalar quantisation of a vector (Qdrant keeps the float32 originals for rescoring). */
export interface ScalarQuantizationOptions {
  /** Quantile of values used to set the int8 range (Qdrant default: the whole range). */
  readonly quantile?: number;
  /** Keep the quantised vectors in RAM when the originals are on disk. */
  readonly alwaysRam?: boolean;
}

export interface QdrantStoreOptions {
  /** Your own client; the store never closes it. Without it: `url` (or QDRANT_URL) and `apiKey` (or QDRANT_API_KEY). */
  readonly client?: QdrantClient;
  readonly url?: string;
  readonly apiKey?: string;
  readonly collection: CollectionSpec;
  /** Names of the three named vectors (default dense, sparse, colbert). */
  readonly vectorNames?: { readonly dense?: string; readonly sparse?: string; readonly colbert?: string };
  /** Payload keys for the document id, its text and its metadata object (default document_id, text, metadata). */
  readonly payloadKeys?: { readonly id?: string; readonly text?: string; readonly metadata?: string };
  /** UUID name space for point ids (UUID v5 of the document id); fixed for a collection's lifetime. */
  readonly pointIdNamespace?: string;
  readonly dense?: {
    readonly hnsw?: { readonly m?: number; readonly efConstruct?: number };
    /** `true` or options: int8 scalar quantisation. */
    readonly quantization?: boolean | ScalarQuantizationOptions;
    readonly onDisk?: boolean;
  };
  readonly sparse?: { readonly onDisk?: boolean };
  readonly colbert?: {
    readonly onDisk?: boolean;
    readonly quantization?: boolean | ScalarQuantizationOptions;
    /**
     * A matrix of rows x dim >= Qdrant's limit (1,048,576 floats: 1,023 rows of 1024): `error`
     * (default) fails that record; `truncate` keeps the first rows that fit (its ColBERT score then
     * differs from the exact store's).
     */
    readonly overflow?: 'error' | 'truncate';
    /** Most floats one multivector may hold (default 1,048,575; debug builds of Qdrant allow 32,767). */
    readonly maxFloats?: number;
  };
  readonly search?: {
    /** Exact (brute-force) candidate search instead of HNSW: slower, top-k equal to the exact store's. */
    readonly exact?: boolean;
    /** HNSW beam width for candidate searches. */
    readonly hnswEf?: number;
    /**
     * Where the ColBERT candidate list of a fused query comes from:
     * `rerank` (default, BGE-M3's own recipe): MaxSim over the dense and sparse candidates only;
     * `scan`: MaxSim over every point (exact, cost grows with the collection).
     */
    readonly colbertCandidates?: 'rerank' | 'scan';
  };
  readonly fusion?: {
    /** `weighted`: a formula query (Qdrant >= 1.14) or exact scores fused by m3kit. Default `auto`. */
    readonly weighted?: 'auto' | 'formula' | 'client';
    /** `rrf`: Qdrant's RRF when it can reproduce core's formula, else m3kit. Default `auto`. */
    readonly rrf?: 'auto' | 'native' | 'client';
    /** `dbsf`: Qdrant's DBSF (>= 1.11; the same formula as core's) or m3kit's. Default `auto`. */
    readonly dbsf?: 'auto' | 'native' | 'client';
  };
  readonly write?: {
    /** Largest request body the store sends (default 16 MiB; the server's default limit is 32 MiB). */
    readonly maxBatchBytes?: number;
    readonly maxBatchPoints?: number;
    /** Requests in flight at once (default 2). */
    readonly concurrency?: number;
    readonly retries?: number;
    readonly baseDelayMs?: number;
  };
  /** Skip server version detection and assume this version (e.g. "1.19.0"). */
  readonly serverVersion?: string;
  /** Per-request timeout when the store makes its own client (ms, default 300,000). */
  readonly timeoutMs?: number;
  /**
   * Reuse HTTP connections when the store makes its own client (default true). Qdrant 1.19's
   * REST server leaves Nagle's algorithm on: on a kept-alive connection a response written in
   * two parts can wait for the client's delayed ACK, ~40 ms. `false` sends `Connection: close`,
   * which avoids that stall at the price of a TCP (and TLS) handshake per request: worth it for a
   * server on the same host.
   */
  readonly keepAlive?: boolean;
}

export interface ResolvedQdrantOptions {
  readonly vectorNames: { readonly dense: string; readonly sparse: string; readonly colbert: string };
  readonly payloadKeys: { readonly id: string; readonly text: string; readonly metadata: string };
  readonly pointIdNamespace: string;
  readonly dense: {
    readonly hnsw?: { readonly m?: number; readonly efConstruct?: number };
    readonly quantization: ScalarQuantizationOptions | undefined;
    readonly onDisk: boolean | undefined;
  };
  readonly sparse: { readonly onDisk: boolean | undefined };
  readonly colbert: {
    readonly onDisk: boolean | undefined;
    readonly quantization: ScalarQuantizationOptions | undefined;
    readonly overflow: 'error' | 'truncate';
    readonly maxFloats: number;
  };
  readonly search: { readonly exact: boolean; readonly hnswEf: number | undefined; readonly colbertCandidates: 'rerank' | 'scan' };
  readonly fusion: {
    readonly weighted: 'auto' | 'formula' | 'client';
    readonly rrf: 'auto' | 'native' | 'client';
    readonly dbsf: 'auto' | 'native' | 'client';
  };
  readonly write: {
    readonly maxBatchBytes: number;
    readonly maxBatchPoints: number;
    readonly concurrency: number;
    readonly retries: number;
    readonly baseDelayMs: number;
  };
  readonly serverVersion: string | undefined;
}

export function resolveQdrantOptions(options: QdrantStoreOptions): ResolvedQdrantOptions {
  const quantization = (value: boolean | ScalarQuantizationOptions | undefined): ScalarQuantizationOptions | undefined =>
    value === true ? {} : value === false || value === undefined ? undefined : value;
  const names = {
    dense: options.vectorNames?.dense ?? 'dense',
    sparse: options.vectorNames?.sparse ?? 'sparse',
    colbert: options.vectorNames?.colbert ?? 'colbert',
  };
  if (new Set(Object.values(names)).size !== 3) throw new TypeError('qdrant: the three vector names must differ');
  const keys = {
    id: options.payloadKeys?.id ?? 'document_id',
    text: options.payloadKeys?.text ?? 'text',
    metadata: options.payloadKeys?.metadata ?? 'metadata',
  };
  if (new Set(Object.values(keys)).size !== 3) throw new TypeError('qdrant: the three payload keys must differ');
  for (const key of Object.values(keys)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new TypeError(`qdrant: payload key ${JSON.stringify(key)} must be an identifier`);
  }
  const positive = (value: number | undefined, fallback: number, what: string): number => {
    const result = value ?? fallback;
    if (!Number.isInteger(result) || result < 1) throw new TypeError(`qdrant: ${what} must be a positive integer`);
    return result;
  };
  return {
    vectorNames: names,
    payloadKeys: keys,
    pointIdNamespace: options.pointIdNamespace ?? M3KIT_POINT_NAMESPACE,
    dense: {
      ...(options.dense?.hnsw ? { hnsw: options.dense.hnsw } : {}),
      quantization: quantization(options.dense?.quantization),
      onDisk: options.dense?.onDisk,
    },
    sparse: { onDisk: options.sparse?.onDisk },
    colbert: {
      onDisk: options.colbert?.onDisk,
      quantization: quantization(options.colbert?.quantization),
      overflow: options.colbert?.overflow ?? 'error',
      maxFloats: positive(options.colbert?.maxFloats, QDRANT_MULTIVECTOR_MAX_FLOATS, 'colbert.maxFloats'),
    },
    search: {
      exact: options.search?.exact ?? false,
      hnswEf: options.search?.hnswEf,
      colbertCandidates: options.search?.colbertCandidates ?? 'rerank',
    },
    fusion: {
      weighted: options.fusion?.weighted ?? 'auto',
      rrf: options.fusion?.rrf ?? 'auto',
      dbsf: options.fusion?.dbsf ?? 'auto',
    },
    write: {
      maxBatchBytes: positive(options.write?.maxBatchBytes, 16 * 1024 * 1024, 'write.maxBatchBytes'),
      maxBatchPoints: positive(options.write?.maxBatchPoints, 512, 'write.maxBatchPoints'),
      concurrency: positive(options.write?.concurrency, 2, 'write.concurrency'),
      retries: options.write?.retries ?? 4,
      baseDelayMs: options.write?.baseDelayMs ?? 200,
    },
    serverVersion: options.serverVersion,
  };
}
