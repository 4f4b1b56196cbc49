import type { M3Record } from '../document.js';
import type { M3Embedding, Signal } from '../embedding/types.js';
import { prepareWrites } from '../adapter/prepare-writes.js';
import { validateId } from '../embedding/validate-record.js';
import { AbortedError, throwIfAborted } from '../errors/aborted-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { evaluateFilter } from '../filter/evaluate-filter.js';
import type { Filter } from '../filter/filter.js';
import { resolveFilter } from '../query/resolve-filter.js';
import { resolveScanOptions } from '../query/resolve-scan.js';
import type { HybridQuery, QueryHit, QueryResult } from '../query/hybrid-query.js';
import { resolveQuery } from '../query/resolve-query.js';
import {
  dequantizeMultiVectorInt8,
  quantizeMultiVectorInt8,
  type Int8MultiVector,
} from '../embedding/compact-multivector.js';
import { colbertScores, colbertScoresInt8 } from '../scoring/colbert.js';
import { signalScore } from '../scoring/m3-score.js';
import {
  resolveCollectionSpec,
  type CollectionSpec,
  type ResolvedCollectionSpec,
} from './collection-spec.js';
import type { OpenPositionalFile } from './exact-store-colbert-file.js';
import type { ExactStoreLog, HeldColbert, StoreDamage } from './exact-store-log.js';
import { isColbertRef } from './record-codec.js';
import { rankCandidates, signalList } from './rank.js';
import { finishWrite } from './write-report.js';
import type {
  GetOptions,
  M3StoreV1,
  OperationOptions,
  ScannedRecord,
  ScanOptions,
  StoreCapabilities,
  StoredRecord,
  WriteOptions,
  WriteReport,
} from './store-v1.js';

export interface ExactStoreOptions {
  readonly collection: CollectionSpec;
  /**
   * A file to persist the collection in (an append-only log, compacted on open), so the CLI's
   * embedded default survives between runs. Node.js only. Without it the store lives in memory.
   */
  readonly path?: string;
  /**
   * Open an existing file for reading only: never created, compacted or written, so a reader
   * (`m3 query`, `m3 stats`) can open it while an ingest appends to it. Writes throw.
   */
  readonly readOnly?: boolean;
  /** Rewrite the file on open with only the records that read back whole (drops damaged lines). */
  readonly repair?: boolean;
  /**
   * Told about each damaged or torn line of the file (skipped; the rest is read). Default: none;
   * the list is also on `store.damage` after `ensureCollection()`.
   */
  readonly onDamage?: (damage: StoreDamage) => void;
  /**
   * How ColBERT rows are kept, in memory and in the file: `int8` (one code a value, one scale a
   * row: 1,028 bytes a 1024-d row, a quarter of float32; ColBERT top-10 agreement with float32
   * 1.0 and score error <= 3.7e-4 on the realistic corpus, bench/dist/colbert-compact-bench.js)
   * or `float32` (bit-exact, the ground truth the adapters are measured against). Default: int8
   * with a `path` (the embedded store), float32 in memory. Either reads files of the other form.
   */
  readonly colbertStorage?: 'float32' | 'int8';
  /**
   * Which documents a fused query that includes ColBERT scores by MaxSim. `rerank`: only the
   * candidates of the other signals (the top `candidates.dense` by dense, union the top
   * `candidates.sparse` by sparse, as the server adapters and the paper's protocol do); dense and
   * sparse are still scored on every document. `exhaustive`: every document (the reference
   * ranking). A ColBERT-only query always scores every document. Default: `rerank` with a `path`
   * (the embedded store of the CLI and `m3 serve`), `exhaustive` in memory (the yardstick the
   * conformance suite and benchmarks compare against).
   */
  readonly colbertScoring?: 'rerank' | 'exhaustive';
  /**
   * How the ColBERT side file is opened for positional reads (default: node:fs). For tests and
   * instrumentation: what a query reads goes through it.
   */
  readonly openSideFile?: OpenPositionalFile;
}

/** Records appended per log line (and per abort check) in one upsert. */
const UPSERT_PART = 1000;

/** The in-memory (float32) store's capabilities; int8 ColBERT storage widens the tolerance. */
export const EXACT_STORE_CAPABILITIES: StoreCapabilities = {
  backend: 'exact',
  signals: ['dense', 'sparse', 'colbert'],
  nativeFusion: ['weighted', 'rrf', 'dbsf'],
  nativeColbert: true,
  filterOps: ['eq', 'ne', 'in', 'range', 'exists', 'and', 'or', 'not'],
  accuracy: {
    dense: 'exact',
    sparse: 'exact',
    colbert: 'exact',
    weighted: 'exact',
    rrf: 'exact',
    dbsf: 'exact',
  },
  scoreTolerance: 1e-6,
};

/** Relative ColBERT score error of int8 rows: at most 3.7e-4 measured, declared with margin. */
const INT8_COLBERT_TOLERANCE = 1e-3;

/**
 * Fused modes with ColBERT reranking only the dense/sparse candidates: a document outside both
 * candidate lists is never ranked. The conformance corpus (independent-noise signals, the worst
 * case: 80 documents, candidates 40 for top 10) measured weighted 1.000, rrf 0.983, dbsf 0.975
 * (exact-store.conformance.test.ts); the realistic corpus gives 1.000 / 0.995 / 1.000 at the
 * default depth 100 (resolve-query.ts). Declared below the worst seen.
 */
const RERANK_ACCURACY = {
  weighted: { minRecallAt10: 0.9 },
  rrf: { minRecallAt10: 0.9 },
  dbsf: { minRecallAt10: 0.9 },
} as const;

/**
 * Brute-force store: every query scores every document exactly as FlagEmbedding would. It is the
 * ground truth the adapters are measured against, and the embedded default for small corpora.
 */
export class ExactStore implements M3StoreV1 {
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: StoreCapabilities;
  readonly collection: ResolvedCollectionSpec;
  readonly colbertStorage: 'float32' | 'int8';
  readonly colbertScoring: 'rerank' | 'exhaustive';
  private readonly records = new Map<string, M3Record>();
  /**
   * With int8 storage: each record's ColBERT rows (the records themselves hold none), in memory,
   * or with a file only where they lie in its side file (read when a query scores them).
   */
  private readonly compactColbert = new Map<string, HeldColbert>();
  private readonly openSideFile: OpenPositionalFile | undefined;
  private readonly path: string | undefined;
  private readonly readOnly: boolean;
  private readonly repair: boolean;
  private readonly onDamage: ((damage: StoreDamage) => void) | undefined;
  /** Lines of the file skipped when it was opened (damaged or torn). */
  damage: readonly StoreDamage[] = [];
  private log: ExactStoreLog | undefined;
  private opened = false;
  /** Serialises mutations so concurrent writers append to the log in the order they apply. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ExactStoreOptions) {
    this.collection = resolveCollectionSpec(options.collection);
    this.path = options.path;
    this.readOnly = options.readOnly === true;
    this.repair = options.repair === true;
    this.onDamage = options.onDamage;
    this.openSideFile = options.openSideFile;
    const storage = options.colbertStorage ?? (options.path === undefined ? 'float32' : 'int8');
    if (storage !== 'float32' && storage !== 'int8')
      throw new InvalidInputError(
        `colbertStorage must be "float32" or "int8", got ${JSON.stringify(storage)}`,
      );
    this.colbertStorage = storage;
    const scoring =
      options.colbertScoring ?? (options.path === undefined ? 'exhaustive' : 'rerank');
    if (scoring !== 'rerank' && scoring !== 'exhaustive')
      throw new InvalidInputError(
        `colbertScoring must be "rerank" or "exhaustive", got ${JSON.stringify(scoring)}`,
      );
    this.colbertScoring = scoring;
    this.capabilities = {
      ...EXACT_STORE_CAPABILITIES,
      ...(storage === 'int8' ? { scoreTolerance: INT8_COLBERT_TOLERANCE } : {}),
      ...(scoring === 'rerank'
        ? { accuracy: { ...EXACT_STORE_CAPABILITIES.accuracy, ...RERANK_ACCURACY } }
        : {}),
    };
  }

  get size(): number {
    return this.records.size;
  }

  async ensureCollection(options?: OperationOptions): Promise<{ created: boolean }> {
    throwIfAborted(options?.signal, 'ensureCollection');
    if (this.opened) return { created: false };
    return this.serialise(async () => {
      if (this.opened) return { created: false };
      let created = true;
      if (this.path !== undefined) {
        const { openExactStoreLog } = await import('./exact-store-log.js');
        const opened = await openExactStoreLog(this.path, this.collection, {
          readOnly: this.readOnly,
          repair: this.repair,
          colbertStorage: this.colbertStorage,
          ...(this.openSideFile ? { openSideFile: this.openSideFile } : {}),
        });
        this.log = opened.log;
        this.damage = opened.damage;
        for (const damage of opened.damage) this.onDamage?.(damage);
        created = opened.created;
        for (const record of opened.records.values()) this.records.set(record.id, record);
        for (const [id, rows] of opened.compact) this.compactColbert.set(id, rows);
      }
      this.opened = true;
      return { created };
    });
  }

  async exists(options?: OperationOptions): Promise<boolean> {
    return (await this.describeCollection(options)) !== undefined;
  }

  async describeCollection(
    options?: OperationOptions,
  ): Promise<ResolvedCollectionSpec | undefined> {
    throwIfAborted(options?.signal, 'describeCollection');
    if (this.path === undefined) return this.opened ? this.collection : undefined;
    const { readExactStoreSpec } = await import('./exact-store-log.js');
    return readExactStoreSpec(this.path);
  }

  async *scan(options?: ScanOptions): AsyncIterable<readonly ScannedRecord[]> {
    throwIfAborted(options?.signal, 'scan');
    this.assertOpen();
    const { pageSize } = resolveScanOptions(options);
    // A snapshot of the matching ids: writes that run while the caller consumes pages do not
    // make an id appear twice or shift the pages.
    const matching = [...this.records.values()].filter(
      (record) => options?.filter === undefined || evaluateFilter(options.filter, record.metadata),
    );
    for (let start = 0; start < matching.length; start += pageSize) {
      throwIfAborted(options?.signal, 'scan');
      yield matching.slice(start, start + pageSize).map((record) => ({
        id: record.id,
        ...(record.metadata !== undefined ? { metadata: record.metadata } : {}),
      }));
    }
  }

  async upsert(records: readonly M3Record[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'upsert');
    this.assertOpen();
    this.assertWritable();
    // The shared write validation: last occurrence of an id wins, each rejected record reported.
    const prepared = prepareWrites(records, this.collection, {
      backend: 'exact',
      prepare: (record) => copyRecord(record, this.collection),
    });
    const valid = prepared.items.map((item) => item.value);
    // int8 storage: the rows are quantised once here and kept (and logged) only in that form.
    const compact = new Map<string, Int8MultiVector>();
    if (this.colbertStorage === 'int8') {
      for (const [i, record] of valid.entries()) {
        const { colbert, ...embedding } = record.embedding;
        if (colbert === undefined) continue;
        compact.set(record.id, quantizeMultiVectorInt8(colbert));
        valid[i] = { ...record, embedding };
      }
    }
    const failed = [...prepared.failed];
    const written: string[] = [];
    // In parts, with the signal checked between them: an aborted large upsert stops early, keeps
    // the parts already written (each one whole log line) and reports the rest as failed.
    for (let start = 0; start < valid.length; start += UPSERT_PART) {
      if (options?.signal?.aborted) {
        const error = new AbortedError('upsert');
        for (const record of valid.slice(start)) failed.push({ id: record.id, error });
        break;
      }
      const part = valid.slice(start, start + UPSERT_PART);
      await this.serialise(async () => {
        const refs = await this.log?.appendUpsert(part, compact);
        for (const record of part) {
          this.records.set(record.id, record);
          const rows = refs?.get(record.id) ?? compact.get(record.id);
          if (rows !== undefined) this.compactColbert.set(record.id, rows);
          else this.compactColbert.delete(record.id);
        }
      });
      written.push(...part.map((r) => r.id));
    }
    return finishWrite('exact', { written, failed }, options);
  }

  async delete(ids: readonly string[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'delete');
    this.assertOpen();
    this.assertWritable();
    for (const id of ids) validateId(id);
    await this.serialise(async () => {
      await this.log?.appendDelete(ids);
      for (const id of ids) {
        this.records.delete(id);
        this.compactColbert.delete(id);
      }
    });
    return finishWrite('exact', { written: [...ids], failed: [] }, options);
  }

  async get(ids: readonly string[], options?: GetOptions): Promise<readonly StoredRecord[]> {
    throwIfAborted(options?.signal, 'get');
    this.assertOpen();
    const found: StoredRecord[] = [];
    for (const id of ids) {
      const record = this.records.get(id);
      if (!record) continue;
      found.push(
        options?.includeEmbedding ? await this.withColbert(record) : withoutEmbedding(record),
      );
    }
    return found;
  }

  async count(filter?: Filter, options?: OperationOptions): Promise<number> {
    throwIfAborted(options?.signal, 'count');
    this.assertOpen();
    if (filter === undefined) return this.records.size;
    resolveFilter(filter, 'count.filter');
    let n = 0;
    for (const record of this.records.values()) if (evaluateFilter(filter, record.metadata)) n++;
    return n;
  }

  async query(query: HybridQuery, options?: OperationOptions): Promise<QueryResult> {
    throwIfAborted(options?.signal, 'query');
    this.assertOpen();
    const resolved = resolveQuery(query, this.collection);
    const filtered: M3Record[] = [];
    for (const record of this.records.values()) {
      if (!resolved.query.filter || evaluateFilter(resolved.query.filter, record.metadata))
        filtered.push(record);
    }
    throwIfAborted(options?.signal, 'query');
    const { signals } = resolved;
    const rerank =
      this.colbertScoring === 'rerank' &&
      signals.includes('colbert') &&
      signals.some((s) => s !== 'colbert') &&
      query.embedding.colbert !== undefined;
    const warnings: string[] = [];
    let scores: Map<string, Partial<Record<Signal, number>>>;
    let reranked: M3Record[] | undefined;
    if (rerank) {
      // Dense and sparse over every document (a dot product each), then MaxSim only over the
      // union of their candidate lists: the ColBERT rows of the rest are never touched.
      const others = signals.filter((s) => s !== 'colbert');
      const first = scoreRecords(others, query.embedding, filtered);
      const chosen = new Set<string>();
      for (const signal of others)
        for (const id of signalList(first, signal, resolved.candidates[signal]).ids) chosen.add(id);
      const candidates = filtered.filter((record) => chosen.has(record.id));
      const colbert = scoreRecords(
        ['colbert'],
        query.embedding,
        candidates,
        await this.loadColbert(candidates, warnings),
      );
      scores = new Map();
      for (const record of candidates)
        scores.set(record.id, { ...first.get(record.id), ...colbert.get(record.id) });
      // Candidates covering every document: the answer is the exhaustive one, and says so.
      if (candidates.length < filtered.length) reranked = candidates;
    } else {
      scores = scoreRecords(
        signals,
        query.embedding,
        filtered,
        signals.includes('colbert') ? await this.loadColbert(filtered, warnings) : undefined,
      );
    }
    const others = signals.filter((s) => s !== 'colbert');
    const description =
      reranked === undefined
        ? `exact: scored ${filtered.length} documents by ${signals.join('+')}` +
          (signals.includes('colbert') ? ` (ColBERT ${this.colbertStorage})` : '')
        : `exact: scored ${filtered.length} documents by ${others.join('+')}, ColBERT ` +
          `(${this.colbertStorage}) reranked their ${reranked.length} candidates ` +
          `(${others.map((s) => `top ${resolved.candidates[s]} ${s}`).join(' + ')})`;
    const hits: QueryHit[] = rankCandidates(resolved, scores).map(({ id, score }) => {
      const record = this.records.get(id)!;
      return {
        id,
        score,
        signalScores: scores.get(id) ?? {},
        ...(resolved.includeText && record.text !== undefined ? { text: record.text } : {}),
        ...(resolved.includeMetadata && record.metadata !== undefined
          ? { metadata: record.metadata }
          : {}),
      };
    });
    return {
      hits,
      execution: {
        // Fused over candidates on the client, not over every document, when reranked.
        fusion: signals.length > 1 ? (reranked ? 'client' : 'exact') : 'none',
        colbert: signals.includes('colbert') ? (reranked ? 'client' : 'exact') : 'none',
        description: description + (signals.length > 1 ? `, ${resolved.fusion} fusion` : ''),
      },
      warnings,
    };
  }

  /** ColBERT bytes read from the side file since open (what queries cost in I/O). */
  get colbertBytesRead(): number {
    return this.log?.colbertBytesRead ?? 0;
  }

  /**
   * The int8 rows of these records, read from the side file where they lie there (positional
   * reads, each checked by its CRC-32). A damaged region is reported (onDamage, `damage`, and a
   * warning) and that record scored without rows. Undefined with float32 storage.
   */
  private async loadColbert(
    records: readonly M3Record[],
    warnings: string[],
  ): Promise<Map<string, Int8MultiVector> | undefined> {
    if (this.colbertStorage !== 'int8') return undefined;
    const rows = new Map<string, Int8MultiVector>();
    for (const record of records) {
      const held = this.compactColbert.get(record.id);
      if (held === undefined) continue;
      if (!isColbertRef(held)) {
        rows.set(record.id, held);
        continue;
      }
      const read = this.log
        ? await this.log.readColbert(record.id, held)
        : { path: this.path ?? 'memory', offset: held.at, reason: 'store closed' };
      if ('reason' in read) {
        this.damage = [...this.damage, read];
        this.onDamage?.(read);
        warnings.push(`${read.reason} (${read.path} at byte ${read.offset}); scored without them`);
      } else rows.set(record.id, read);
    }
    return rows;
  }

  async drop(options?: OperationOptions): Promise<void> {
    throwIfAborted(options?.signal, 'drop');
    this.assertWritable();
    await this.serialise(async () => {
      this.records.clear();
      this.compactColbert.clear();
      await this.log?.remove();
      this.log = undefined;
      this.opened = false;
    });
  }

  async close(): Promise<void> {
    await this.serialise(async () => {
      await this.log?.close();
      this.log = undefined;
      this.opened = false;
    });
  }

  /** The record with its ColBERT rows as float32 (expanded from int8 storage). */
  private async withColbert(record: M3Record): Promise<M3Record> {
    const rows = (await this.loadColbert([record], []))?.get(record.id);
    if (rows === undefined) return record;
    return {
      ...record,
      embedding: { ...record.embedding, colbert: dequantizeMultiVectorInt8(rows) },
    };
  }

  private assertOpen(): void {
    if (!this.opened) {
      throw new InvalidInputError(
        `collection "${this.collection.name}" is not open: call ensureCollection() first`,
      );
    }
  }

  private assertWritable(): void {
    if (this.readOnly)
      throw new InvalidInputError(
        `collection "${this.collection.name}" was opened read-only (${this.path ?? 'memory'})`,
      );
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

export { resolvePageSize } from '../query/resolve-scan.js';

/** Rejects a query whose vectors do not fit the collection, before any scoring. */
export function checkQueryDimensions(embedding: M3Embedding, spec: ResolvedCollectionSpec): void {
  if (embedding.dense && embedding.dense.length !== spec.denseDimension) {
    throw new InvalidInputError(
      `query dense vector has dimension ${embedding.dense.length}, collection has ${spec.denseDimension}`,
    );
  }
  if (embedding.colbert && embedding.colbert.dim !== spec.denseDimension) {
    throw new InvalidInputError(
      `query ColBERT vectors have dimension ${embedding.colbert.dim}, collection has ${spec.denseDimension}`,
    );
  }
}

/**
 * Exact per-signal scores of a query against records; ColBERT for all records in one kernel call
 * (the query is copied into the kernel once). `compact`: ColBERT rows kept in int8 form by id,
 * for records that hold none themselves.
 */
export function scoreRecords(
  signals: readonly Signal[],
  query: M3Embedding,
  records: readonly M3Record[],
  compact?: ReadonlyMap<string, Int8MultiVector>,
): Map<string, Partial<Record<Signal, number>>> {
  const scores = new Map<string, Partial<Record<Signal, number>>>();
  const empty = (dim: number): Int8MultiVector => ({
    codes: new Int8Array(0),
    scales: new Float32Array(0),
    rows: 0,
    dim,
  });
  const colbert =
    signals.includes('colbert') && query.colbert && compact !== undefined
      ? colbertScoresInt8(
          query.colbert,
          records.map((r) => compact.get(r.id) ?? empty(query.colbert!.dim)),
        )
      : signals.includes('colbert') && query.colbert
        ? colbertScores(
            query.colbert,
            records.map(
              (r) =>
                r.embedding.colbert ?? {
                  data: new Float32Array(0),
                  rows: 0,
                  dim: query.colbert!.dim,
                },
            ),
          )
        : undefined;
  records.forEach((record, i) => {
    const perSignal: Partial<Record<Signal, number>> = {};
    for (const signal of signals) {
      perSignal[signal] =
        signal === 'colbert' && colbert
          ? colbert[i]!
          : signalScore(signal, query, record.embedding);
    }
    scores.set(record.id, perSignal);
  });
  return scores;
}

function copyRecord(record: M3Record, spec: ResolvedCollectionSpec): M3Record {
  const { dense, lexical, colbert } = record.embedding;
  const embedding: M3Embedding = {
    ...(dense && spec.signals.includes('dense') ? { dense: dense.slice() } : {}),
    ...(lexical && spec.signals.includes('sparse')
      ? { lexical: { indices: lexical.indices.slice(), values: lexical.values.slice() } }
      : {}),
    ...(colbert && spec.signals.includes('colbert')
      ? { colbert: { data: colbert.data.slice(), rows: colbert.rows, dim: colbert.dim } }
      : {}),
  };
  return {
    id: record.id,
    ...(record.text !== undefined && spec.storeText ? { text: record.text } : {}),
    ...(record.metadata !== undefined ? { metadata: structuredClone(record.metadata) } : {}),
    embedding,
  };
}

function withoutEmbedding(record: M3Record): StoredRecord {
  const { embedding: _embedding, ...rest } = record;
  return rest;
}
