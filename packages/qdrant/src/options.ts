import type { CollectionSpec } from '@m3kit/core';
import {
  optionError,
  resolveBoolean,
  resolveEnum,
  resolveNumberInRange,
  resolveWriteOptions,
  type AdapterRetryOptions,
  type AdapterWriteOptions,
  type ResolvedAdapterWriteOptions,
} from '@m3kit/core/adapter';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { M3KIT_POINT_NAMESPACE } from './point-id.js';
import { parseVersion } from './server-features.js';
import {
  resolveDatatype,
  resolveQuantization,
  type QuantizationOptions,
  type ResolvedQuantization,
  type VectorDatatype,
} from './vector-storage.js';

/** Most floats Qdrant accepts in one multivector: it rejects rows x dim >= 1,048,576 (release builds). */
export const QDRANT_MULTIVECTOR_MAX_FLOATS = 1_048_576 - 1;
/** The server's default request body limit (service.max_request_size_mb: 32). */
export const QDRANT_DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** Backoff of retried requests (every read, and writes, which are idempotent on Qdrant): 4 retries, 200 ms doubling, at most 5 s by default. */
export type RetryOptions = AdapterRetryOptions;

export interface QdrantStoreOptions {
  /** Your own client; the store never closes it. Without it: `url` (or QDRANT_URL) and `apiKey` (or QDRANT_API_KEY). */
  readonly client?: QdrantClient;
  readonly url?: string;
  readonly apiKey?: string;
  readonly collection: CollectionSpec;
  /** Names of the three named vectors (default dense, sparse, colbert). */
  readonly vectorNames?: {
    readonly dense?: string;
    readonly sparse?: string;
    readonly colbert?: string;
  };
  /** Payload keys for the document id, its text and its metadata object (default document_id, text, metadata). */
  readonly payloadKeys?: {
    readonly id?: string;
    readonly text?: string;
    readonly metadata?: string;
  };
  /** UUID name space for point ids (UUID v5 of the document id); fixed for a collection's lifetime. */
  readonly pointIdNamespace?: string;
  readonly dense?: {
    readonly hnsw?: { readonly m?: number; readonly efConstruct?: number };
    /** `true`: int8 scalar quantisation; or scalar/binary/turbo options (see vector-storage.ts). */
    readonly quantization?: boolean | QuantizationOptions;
    readonly onDisk?: boolean;
  };
  readonly sparse?: { readonly onDisk?: boolean };
  readonly colbert?: {
    /** Keep the float rows on disk (with `quantization`, the compact copy can stay in RAM). */
    readonly onDisk?: boolean;
    /**
     * How the rows are stored: `float32` (default, 4 bytes a value, MaxSim equal to the exact
     * store's), `float16` (2 bytes), `turbo4` (Qdrant >= 1.19: 4-bit codes only, ~0.5 byte).
     */
    readonly datatype?: VectorDatatype;
    /** A compact copy beside the rows: `true` (int8 scalar) or scalar/binary/turbo options. */
    readonly quantization?: boolean | QuantizationOptions;
    /**
     * What MaxSim reranks with when `quantization` is set: `originals` (default: the float rows,
     * exact) or `quantized` (the compact copy: approximate, never touches rows kept on disk).
     */
    readonly score?: 'originals' | 'quantized';
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
  /**
   * Write batching and retries, the names every adapter shares: `maxBatchBytes` (default 16 MiB;
   * the server's default limit is 32 MiB), `maxBatchRecords` (512 points), `concurrency` (2
   * requests in flight), `retry` (timeouts, 429, 5xx and dropped connections, with backoff).
   */
  readonly write?: AdapterWriteOptions;
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
  readonly vectorNames: {
    readonly dense: string;
    readonly sparse: string;
    readonly colbert: string;
  };
  readonly payloadKeys: { readonly id: string; readonly text: string; readonly metadata: string };
  readonly pointIdNamespace: string;
  readonly dense: {
    readonly hnsw?: { readonly m?: number; readonly efConstruct?: number };
    readonly quantization: ResolvedQuantization | undefined;
    readonly onDisk: boolean | undefined;
  };
  readonly sparse: { readonly onDisk: boolean | undefined };
  readonly colbert: {
    readonly onDisk: boolean | undefined;
    readonly datatype: VectorDatatype;
    readonly quantization: ResolvedQuantization | undefined;
    readonly score: 'originals' | 'quantized';
    readonly overflow: 'error' | 'truncate';
    readonly maxFloats: number;
  };
  readonly search: {
    readonly exact: boolean;
    readonly hnswEf: number | undefined;
    readonly colbertCandidates: 'rerank' | 'scan';
  };
  readonly fusion: {
    readonly weighted: 'auto' | 'formula' | 'client';
    readonly rrf: 'auto' | 'native' | 'client';
    readonly dbsf: 'auto' | 'native' | 'client';
  };
  readonly write: ResolvedAdapterWriteOptions;
  readonly serverVersion: string | undefined;
  readonly timeoutMs: number | undefined;
}

/**
 * Every option resolved and validated once, at construction: a bad value throws an
 * InvalidInputError naming the option (`item`), before any request is sent.
 */
export function resolveQdrantOptions(options: QdrantStoreOptions): ResolvedQdrantOptions {
  rejectRenamed(options);
  const names = {
    dense: name(options.vectorNames?.dense, 'dense', 'vectorNames.dense'),
    sparse: name(options.vectorNames?.sparse, 'sparse', 'vectorNames.sparse'),
    colbert: name(options.vectorNames?.colbert, 'colbert', 'vectorNames.colbert'),
  };
  if (new Set(Object.values(names)).size !== 3)
    invalid('the three vector names must differ', 'vectorNames');
  const keys = {
    id: payloadKeyOption(options.payloadKeys?.id, 'document_id', 'payloadKeys.id'),
    text: payloadKeyOption(options.payloadKeys?.text, 'text', 'payloadKeys.text'),
    metadata: payloadKeyOption(options.payloadKeys?.metadata, 'metadata', 'payloadKeys.metadata'),
  };
  if (new Set(Object.values(keys)).size !== 3)
    invalid('the three payload keys must differ', 'payloadKeys');
  const namespace = options.pointIdNamespace ?? M3KIT_POINT_NAMESPACE;
  if (typeof namespace !== 'string' || !UUID_PATTERN.test(namespace))
    invalid('must be a UUID', 'pointIdNamespace');
  const colbertQuantization = resolveQuantization(
    options.colbert?.quantization,
    'colbert.quantization',
  );
  return {
    vectorNames: names,
    payloadKeys: keys,
    pointIdNamespace: namespace,
    dense: {
      ...(options.dense?.hnsw ? { hnsw: hnsw(options.dense.hnsw) } : {}),
      quantization: resolveQuantization(options.dense?.quantization, 'dense.quantization'),
      onDisk: optionalBoolean(options.dense?.onDisk, 'dense.onDisk'),
    },
    sparse: { onDisk: optionalBoolean(options.sparse?.onDisk, 'sparse.onDisk') },
    colbert: {
      onDisk: optionalBoolean(options.colbert?.onDisk, 'colbert.onDisk'),
      datatype: resolveDatatype(options.colbert?.datatype, 'colbert.datatype'),
      quantization: colbertQuantization,
      score: colbertScore(options.colbert?.score, colbertQuantization),
      overflow: oneOf(
        options.colbert?.overflow,
        ['error', 'truncate'] as const,
        'error',
        'colbert.overflow',
      ),
      // The default is the server's limit; a larger value is allowed so that a server which
      // accepts more (a later Qdrant) can be used fully, and so tests can make the server refuse.
      maxFloats: integer(
        options.colbert?.maxFloats,
        QDRANT_MULTIVECTOR_MAX_FLOATS,
        1,
        2 ** 31 - 1,
        'colbert.maxFloats',
      ),
    },
    search: {
      exact: optionalBoolean(options.search?.exact, 'search.exact') ?? false,
      hnswEf:
        options.search?.hnswEf === undefined
          ? undefined
          : integer(options.search.hnswEf, 0, 1, 100_000, 'search.hnswEf'),
      colbertCandidates: oneOf(
        options.search?.colbertCandidates,
        ['rerank', 'scan'] as const,
        'rerank',
        'search.colbertCandidates',
      ),
    },
    fusion: {
      weighted: oneOf(
        options.fusion?.weighted,
        ['auto', 'formula', 'client'] as const,
        'auto',
        'fusion.weighted',
      ),
      rrf: oneOf(options.fusion?.rrf, ['auto', 'native', 'client'] as const, 'auto', 'fusion.rrf'),
      dbsf: oneOf(
        options.fusion?.dbsf,
        ['auto', 'native', 'client'] as const,
        'auto',
        'fusion.dbsf',
      ),
    },
    write: resolveWriteOptions(
      options.write,
      { maxBatchBytes: 16 * 1024 * 1024, maxBatchRecords: 512, concurrency: 2 },
      SCOPE,
    ),
    serverVersion: serverVersion(options.serverVersion),
    timeoutMs:
      options.timeoutMs === undefined
        ? undefined
        : integer(options.timeoutMs, 0, 1, 86_400_000, 'timeoutMs'),
  };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SCOPE = { backend: 'qdrant' } as const;

function invalid(problem: string, option: string): never {
  throw optionError(option, problem, SCOPE);
}

/** Names used before the adapters shared one set: said plainly instead of silently ignored. */
function rejectRenamed(options: QdrantStoreOptions): void {
  const write = (options.write ?? {}) as Record<string, unknown>;
  const renamed: Record<string, string> = {
    maxBatchPoints: 'write.maxBatchRecords',
    retries: 'write.retry.retries',
    baseDelayMs: 'write.retry.baseDelayMs',
  };
  for (const [old, now] of Object.entries(renamed)) {
    if (write[old] !== undefined) invalid(`was renamed to ${now}`, `write.${old}`);
  }
}

function integer(
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  option: string,
): number {
  return resolveNumberInRange(option, value, fallback, { ...SCOPE, min, max, integer: true });
}

function optionalBoolean(value: boolean | undefined, option: string): boolean | undefined {
  return value === undefined ? undefined : resolveBoolean(option, value, false, SCOPE);
}

function oneOf<const T extends string>(
  value: T | undefined,
  allowed: readonly T[],
  fallback: T,
  option: string,
): T {
  return resolveEnum(option, value, fallback, allowed, SCOPE);
}

function name(value: string | undefined, fallback: string, option: string): string {
  const result = value ?? fallback;
  if (typeof result !== 'string' || result.length === 0 || result.length > 128)
    invalid('must be a non-empty string of at most 128 characters', option);
  return result;
}

function payloadKeyOption(value: string | undefined, fallback: string, option: string): string {
  const result = value ?? fallback;
  if (typeof result !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(result))
    invalid(`must be an identifier, got ${JSON.stringify(value)}`, option);
  return result;
}

function hnsw(value: { readonly m?: number; readonly efConstruct?: number }): {
  readonly m?: number;
  readonly efConstruct?: number;
} {
  return {
    ...(value.m !== undefined ? { m: integer(value.m, 0, 0, 1_000, 'dense.hnsw.m') } : {}),
    ...(value.efConstruct !== undefined
      ? { efConstruct: integer(value.efConstruct, 0, 4, 100_000, 'dense.hnsw.efConstruct') }
      : {}),
  };
}

function colbertScore(
  value: 'originals' | 'quantized' | undefined,
  quantization: ResolvedQuantization | undefined,
): 'originals' | 'quantized' {
  const score = oneOf(value, ['originals', 'quantized'] as const, 'originals', 'colbert.score');
  if (score === 'quantized' && !quantization)
    invalid("'quantized' needs colbert.quantization", 'colbert.score');
  return score;
}

function serverVersion(value: string | undefined): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || parseVersion(value) === undefined)) {
    invalid(`must look like "1.19.0", got ${JSON.stringify(value)}`, 'serverVersion');
  }
  return value;
}
