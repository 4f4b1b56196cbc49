import type { M3Document, M3Record, Metadata } from '../document.js';
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

export interface ScanOptions extends OperationOptions {
  /** Only records whose metadata matches (validated like a query filter). */
  readonly filter?: Filter;
  /** Records per page; adapters may cap it at what their backend allows (default 1000). */
  readonly pageSize?: number;
}

/** What `scan` yields per record: enough for sync and pruning, no text and no vectors. */
export interface ScannedRecord {
  readonly id: string;
  readonly metadata?: Metadata;
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
  /**
   * Creates the collection, or validates an existing one (CollectionMismatchError on difference).
   * The spec (signals, dimension, metadata fields, model) is kept with the data on the server, so
   * `describeCollection` can reopen the collection from any machine.
   */
  ensureCollection(options?: OperationOptions): Promise<{ readonly created: boolean }>;
  /** Whether the collection exists. Never creates anything. */
  exists(options?: OperationOptions): Promise<boolean>;
  /**
   * The spec the backend holds for the collection named `collection.name` (the rest of this
   * store's spec is not used), or undefined when no such collection exists. Never creates anything.
   */
  describeCollection(options?: OperationOptions): Promise<ResolvedCollectionSpec | undefined>;
  /**
   * Every record (matching `filter`) as id + metadata, a page at a time. Each id appears once when
   * no write runs concurrently; order is unspecified. Aborting stops between pages.
   */
  scan(options?: ScanOptions): AsyncIterable<readonly ScannedRecord[]>;
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
