import type { M3Document, M3Record } from '../document.js';
import type { M3Embedding, Signal } from '../embedding/types.js';
import type { M3Error } from '../errors/m3-error.js';
import type { Filter, FilterOp } from '../filter/filter.js';
import type { FusionKind, HybridQuery, QueryResult } from '../query/hybrid-query.js';
import type { ResolvedCollectionSpec } from './collection-spec.js';

/** Query modes the conformance suite measures: one signal alone, or all signals fused. */
export type QueryMode = Signal | FusionKind;

/** How close a store's answer to a query mode is to the exact store's. */
export type ModeAccuracy = 'exact' | { readonly minRecallAt10: number };

/** What a store can do, as data: callers and the conformance suite read it, nothing guesses. */
export interface StoreCapabilities {
  readonly backend: string;
  /** Signals the backend can hold. */
  readonly signals: readonly Signal[];
  /** Fusions the backend runs server-side (others run on the client, exactly, over candidates). */
  readonly nativeFusion: readonly FusionKind[];
  /** Whether ColBERT MaxSim runs server-side. */
  readonly nativeColbert: boolean;
  readonly filterOps: readonly FilterOp[];
  /** Per query mode: exact (top-k equals the exact store's up to near-ties) or a recall bound. */
  readonly accuracy: Readonly<Record<QueryMode, ModeAccuracy>>;
  /** Relative score tolerance for exact modes (e.g. Elasticsearch keeps 9 bits of sparse weights). */
  readonly scoreTolerance: number;
  /** Largest request body the adapter sends, in bytes. */
  readonly maxBatchBytes?: number;
}

export interface OperationOptions {
  readonly signal?: AbortSignal;
}

export interface WriteOptions extends OperationOptions {
  /** Wait until the write is visible to queries (default true). */
  readonly wait?: boolean;
  /**
   * `throw` (default): a PartialWriteError carries the report when any id failed.
   * `report`: return the report; the caller must look at `failed`.
   */
  readonly onFailure?: 'throw' | 'report';
}

export interface WriteFailure {
  readonly id: string;
  readonly error: M3Error;
}

/** Every id of a write lands in exactly one of the two lists: nothing is dropped silently. */
export interface WriteReport {
  readonly written: readonly string[];
  readonly failed: readonly WriteFailure[];
}

export interface GetOptions extends OperationOptions {
  readonly includeEmbedding?: boolean;
}

/** A stored document; `embedding` only when asked for (and holding the stored signals). */
export interface StoredRecord extends M3Document {
  readonly embedding?: M3Embedding;
}

/**
 * The store contract, version 1: one collection of BGE-M3 records. Published versions are never
 * edited; a v2 would be added beside it.
 */
export interface M3StoreV1 {
  readonly specificationVersion: 'v1';
  readonly capabilities: StoreCapabilities;
  readonly collection: ResolvedCollectionSpec;
  /** Creates the collection, or validates an existing one (CollectionMismatchError on difference). */
  ensureCollection(options?: OperationOptions): Promise<{ readonly created: boolean }>;
  /** Inserts or replaces records by id: writing the same record twice leaves one copy. */
  upsert(records: readonly M3Record[], options?: WriteOptions): Promise<WriteReport>;
  /** Deletes by id; ids that do not exist count as written. */
  delete(ids: readonly string[], options?: WriteOptions): Promise<WriteReport>;
  /** Returns the records found, in the order asked; missing ids are left out. */
  get(ids: readonly string[], options?: GetOptions): Promise<readonly StoredRecord[]>;
  count(filter?: Filter, options?: OperationOptions): Promise<number>;
  query(query: HybridQuery, options?: OperationOptions): Promise<QueryResult>;
  /** Deletes the collection and everything in it. */
  drop(options?: OperationOptions): Promise<void>;
  /** Releases what the store opened itself (never a client the caller passed in). */
  close(): Promise<void>;
}
