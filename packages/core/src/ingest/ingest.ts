import type { M3Document, M3Record, Metadata } from '../document.js';
import type { M3EncoderV1 } from '../encoder/encoder-v1.js';
import { AbortedError, throwIfAborted } from '../errors/aborted-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { M3Error } from '../errors/m3-error.js';
import { PartialWriteError } from '../errors/partial-write-error.js';
import type { M3StoreV1, WriteFailure } from '../store/store-v1.js';
import { type Chunk, type ChunkingOptions, chunkDocuments, resolveChunking } from './chunking.js';
import { documentProblem } from './document-checks.js';
import { documentFingerprint, shardOf } from './fingerprint.js';
import { IngestError } from './ingest-error.js';
import { ProgressMeter, type IngestProgress } from './progress.js';
import { pruneAbsent, type PruneReport } from './prune.js';
import { checkShard, type ShardSpec } from './shard.js';
import { sha256Hex } from './sha256.js';
import { SYNC_FIELDS, checkSyncFields } from './sync-fields.js';
import { scanVersions, deleteChunks } from './sync-scan.js';
import { staleChunkIds, winningVersion, type DocumentVersion } from './versions.js';

export interface IngestOptions {
  readonly encoder: M3EncoderV1;
  /** A server collection must index SYNC_METADATA_FIELDS (create it with `withSyncFields(spec)`); the exact store filters any field. */
  readonly store: M3StoreV1;
  readonly chunking?: ChunkingOptions;
  /** Documents looked up, chunked and encoded together (default 16). */
  readonly batchDocuments?: number;
  /** Encoded batches that may wait for their write (default 2): encoding never waits on the store unless they pile up. */
  readonly pendingWrites?: number;
  /** `skip` (default): report a bad document and go on; `stop`: fail the run at the first one. */
  readonly onDocumentError?: 'skip' | 'stop';
  /**
   * The scope these documents belong to (e.g. a folder or feed name), stored on every chunk as
   * `m3_source`; `cleanup: 'full'` prunes only within it. Default: none (the whole collection).
   */
  readonly source?: string;
  /**
   * `incremental` (default): new and changed documents are written and their older versions
   * removed. `full`: in addition, documents of the source scope (and of this shard) that the
   * input no longer holds are deleted.
   */
  readonly cleanup?: 'incremental' | 'full';
  /**
   * Asked before pruning: a reason not to prune (e.g. input records that could not be read, whose
   * documents would look absent), or undefined to go ahead.
   */
  readonly canPrune?: () => string | undefined;
  /** Look everything up, write and delete nothing; the report says what a real run would do. */
  readonly dryRun?: boolean;
  /** Only the documents whose id hashes into this share; n runs with index 0..n-1 cover the input once. */
  readonly shard?: ShardSpec;
  /** Model identity for fingerprints (default: the collection's `model`, else `encoder.modelId`). */
  readonly modelIdentity?: string;
  /** SHA-256 of a string as hex (default: core's own; Node callers may pass node:crypto's, same output). */
  readonly hash?: (text: string) => string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Total documents, if known, for the ETA. */
  readonly totalDocuments?: number;
}

export interface SkippedDocument {
  readonly id: string;
  /** 0-based position of the document in the input. */
  readonly position: number;
  readonly reason: string;
}

/** An id seen again in the same input: the last occurrence is the one kept, alone. */
export interface DuplicateDocument {
  readonly id: string;
  readonly firstPosition: number;
  readonly position: number;
}

export interface IngestReport {
  /** Documents whose every chunk is in the store after the run (written now or already up to date). */
  readonly documents: number;
  /** Documents encoded and written by this run. */
  readonly written: number;
  /** Documents whose current version was already stored whole: not encoded. */
  readonly unchanged: number;
  /** Chunks written by this run. */
  readonly chunks: number;
  readonly tokens: number;
  /** Chunks of older versions (or of interrupted runs) deleted. */
  readonly deletedChunks: number;
  /** Documents a concurrent writer replaced with a newer version while this run wrote them. */
  readonly superseded: readonly string[];
  readonly duplicates: readonly DuplicateDocument[];
  readonly skipped: readonly SkippedDocument[];
  /** Documents of the input left to other shards. */
  readonly otherShards: number;
  /** With `cleanup: 'full'`: what was (or, in a dry run, would be) deleted. */
  readonly pruned: PruneReport | undefined;
  readonly dryRun: boolean;
  /** Chunks whose encoding reported a truncation (should be 0: chunks fit the model by construction). */
  readonly truncatedChunks: number;
  readonly seconds: number;
}

interface Entry {
  readonly document: M3Document;
  readonly position: number;
  readonly fingerprint: string;
}

interface Batch {
  readonly entries: readonly Entry[];
  /** Orders versions: a later batch (or a later run) wins over an earlier one. */
  readonly generation: number;
  /** An id of it came earlier in this run: its lookup must see the earlier occurrence's write. */
  readonly repeats: boolean;
}

/**
 * Documents looked up in the store with one scan: lookups cost per request (a round trip, or a
 * pass over the embedded store), so an unchanged rerun in batches of 16 spent its time there.
 */
const LOOKUP_DOCUMENTS = 256;

interface EncodedBatch {
  readonly batch: Batch;
  /** Documents to encode and write, with their records. */
  readonly writes: ReadonlyMap<string, { entry: Entry; records: M3Record[] }>;
  /** Stale chunks to delete for documents already stored whole. */
  readonly staleOnly: ReadonlyMap<string, string[]>;
  /** Documents already stored whole under their current fingerprint. */
  readonly current: readonly string[];
}

/**
 * Content-addressed sync of documents into a store. Every chunk carries its document id, a
 * fingerprint of what produced it (text, metadata, chunking, model, source) and a generation;
 * chunk ids are `docId#fingerprint#n`, so a new version never overwrites an old one. Per batch:
 * look the documents up in the store (a scan by `m3_document_id`, 256 documents at a time), skip those stored whole under
 * the current fingerprint, encode and write the others, then look again and delete every version
 * but the newest complete one. Interrupt it anywhere and run it again: what was written is
 * found, what was not is written, leftovers are removed. Two writers of the same document end
 * with one whole version (the newer generation's), never a mix.
 */
export async function ingest(
  documents: AsyncIterable<M3Document> | Iterable<M3Document>,
  options: IngestOptions,
): Promise<IngestReport> {
  return new IngestRun(options).execute(documents);
}

class IngestRun {
  private readonly chunking: Required<ChunkingOptions>;
  private readonly meter: ProgressMeter;
  private readonly shard: ShardSpec;
  private readonly hash: (text: string) => string;
  private readonly model: string;
  private readonly skipped: SkippedDocument[] = [];
  private readonly duplicates: DuplicateDocument[] = [];
  private readonly superseded: string[] = [];
  /** Every document id of this shard in the input (kept for pruning and duplicate detection). */
  private readonly seen = new Map<string, number>();
  private readonly completeIds = new Set<string>();
  private otherShards = 0;
  private lastGeneration = 0;
  private counts = {
    documents: 0,
    written: 0,
    unchanged: 0,
    chunks: 0,
    deletedChunks: 0,
    truncatedChunks: 0,
  };

  constructor(private readonly options: IngestOptions) {
    checkSyncFields(options.store.collection, options.store.capabilities.backend);
    this.chunking = resolveChunking(options.chunking);
    this.meter = new ProgressMeter(options.onProgress, options.totalDocuments);
    this.shard = checkShard(options.shard);
    this.hash = options.hash ?? sha256Hex;
    this.model = options.modelIdentity ?? options.store.collection.model ?? options.encoder.modelId;
    if (
      options.source !== undefined &&
      (typeof options.source !== 'string' || options.source.length === 0)
    ) {
      throw new InvalidInputError('source must be a non-empty string', { item: 'source' });
    }
  }

  async execute(
    documents: AsyncIterable<M3Document> | Iterable<M3Document>,
  ): Promise<IngestReport> {
    const inFlight: Array<Promise<void>> = [];
    try {
      for await (const group of this.lookupGroups(documents)) {
        throwIfAborted(this.options.signal, 'ingest');
        // A repeated id is looked up only once the writes of its earlier occurrence are done,
        // so the last occurrence is compared with what the run itself wrote.
        if (group.some((b) => b.repeats)) await Promise.all(inFlight.splice(0));
        const ids = [...new Set(group.flatMap((b) => b.entries.map((e) => e.document.id)))];
        const stored = await scanVersions(this.options.store, ids, this.options.signal);
        for (const batch of group) {
          throwIfAborted(this.options.signal, 'ingest');
          const encoded = await this.prepareBatch(batch, stored);
          if (this.options.dryRun) continue;
          const write = this.writeBatch(encoded);
          // Awaited below or in the catch; until then a failure must not count as an unhandled rejection.
          write.catch(() => undefined);
          inFlight.push(write);
          if (inFlight.length > (this.options.pendingWrites ?? 2)) await inFlight.shift();
        }
      }
      await Promise.all(inFlight);
      throwIfAborted(this.options.signal, 'ingest');
    } catch (error) {
      await Promise.allSettled(inFlight);
      throw this.explain(error);
    }
    let pruned: PruneReport | undefined;
    const refused = this.options.cleanup === 'full' ? this.options.canPrune?.() : undefined;
    if (refused !== undefined) {
      pruned = {
        documents: 0,
        chunks: 0,
        sample: [],
        dryRun: this.options.dryRun === true,
        refused,
      };
    } else if (this.options.cleanup === 'full') {
      pruned = await pruneAbsent(this.options.store, {
        present: this.seen,
        source: this.options.source,
        inShard: (id) => shardOf(id, this.shard.count, this.hash) === this.shard.index,
        dryRun: this.options.dryRun === true,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      }).catch((error: unknown) => {
        throw this.explain(error);
      });
    }
    const progress = this.meter.finish();
    return {
      ...this.counts,
      tokens: progress.tokens,
      superseded: this.superseded,
      duplicates: this.duplicates,
      skipped: this.skipped,
      otherShards: this.otherShards,
      pruned,
      dryRun: this.options.dryRun === true,
      seconds: progress.elapsedSeconds,
    };
  }

  /**
   * Batches grouped for one store lookup of up to LOOKUP_DOCUMENTS documents, each id once per
   * group: a batch that repeats an earlier id is a group of its own.
   */
  private async *lookupGroups(
    documents: AsyncIterable<M3Document> | Iterable<M3Document>,
  ): AsyncGenerator<Batch[]> {
    let group: Batch[] = [];
    let size = 0;
    // The first group is one batch, so the first write comes as early as before; groups then
    // double up to LOOKUP_DOCUMENTS.
    let limit = 1;
    const next = (): Batch[] => {
      const full = group;
      limit = Math.min(Math.max(limit, size) * 2, LOOKUP_DOCUMENTS);
      group = [];
      size = 0;
      return full;
    };
    for await (const batch of this.readBatches(documents)) {
      if (batch.repeats && group.length > 0) yield next();
      group.push(batch);
      size += batch.entries.length;
      if (size >= limit || batch.repeats) yield next();
    }
    if (group.length > 0) yield group;
  }

  /**
   * Valid documents of this shard, fingerprinted, in batches. A duplicate id closes the batch it
   * would join, so the later occurrence gets a later generation and wins.
   */
  private async *readBatches(
    documents: AsyncIterable<M3Document> | Iterable<M3Document>,
  ): AsyncGenerator<Batch> {
    const size = this.options.batchDocuments ?? 16;
    let current: Entry[] = [];
    let inBatch = new Set<string>();
    let position = -1;
    let repeats = false;
    const flush = (): Batch => {
      const batch = { entries: current, generation: this.nextGeneration(), repeats };
      current = [];
      inBatch = new Set();
      repeats = false;
      return batch;
    };
    for await (const document of documents) {
      position++;
      const id =
        typeof document?.id === 'string' && document.id.length > 0 ? document.id : undefined;
      if (id !== undefined && shardOf(id, this.shard.count, this.hash) !== this.shard.index) {
        this.otherShards++;
        continue;
      }
      let repeated = false;
      if (id !== undefined) {
        const first = this.seen.get(id);
        repeated = first !== undefined;
        if (first !== undefined) this.duplicates.push({ id, firstPosition: first, position });
        this.seen.set(id, position);
      }
      if (!this.checkDocument(document, position)) continue;
      if (inBatch.has(document.id)) {
        yield flush();
      }
      if (repeated) repeats = true;
      const fingerprint = documentFingerprint(document, {
        chunking: this.chunking,
        model: this.model,
        source: this.options.source,
        hash: this.hash,
      });
      current.push({ document, position, fingerprint });
      inBatch.add(document.id);
      if (current.length >= size) yield flush();
    }
    if (current.length > 0) yield flush();
  }

  /** Counts a document as stored whole, once however often its id occurs. */
  private complete(id: string): void {
    if (this.completeIds.has(id)) return;
    this.completeIds.add(id);
    this.counts.documents++;
  }

  private nextGeneration(): number {
    this.lastGeneration = Math.max(Date.now(), this.lastGeneration + 1);
    return this.lastGeneration;
  }

  /** Plans the batch against what its group's lookup found, and encodes what is new or changed. */
  private async prepareBatch(
    batch: Batch,
    stored: ReadonlyMap<string, DocumentVersion[]>,
  ): Promise<EncodedBatch> {
    const toEncode: Entry[] = [];
    const staleOnly = new Map<string, string[]>();
    const current: string[] = [];
    for (const entry of batch.entries) {
      const versions = stored.get(entry.document.id) ?? [];
      const plan = planDocument(versions, entry.fingerprint);
      if (plan.kind === 'write') {
        toEncode.push(entry);
      } else {
        current.push(entry.document.id);
        if (plan.stale.length > 0) staleOnly.set(entry.document.id, plan.stale);
      }
    }
    const writes = new Map<string, { entry: Entry; records: M3Record[] }>();
    if (!this.options.dryRun && toEncode.length > 0) {
      const chunked = await chunkDocuments(
        toEncode.map((e) => e.document),
        this.options.encoder,
        this.chunking,
      );
      const records = await this.encodeChunks(chunked, toEncode, batch.generation);
      toEncode.forEach((entry, i) => {
        writes.set(entry.document.id, { entry, records: records[i]! });
      });
    } else if (this.options.dryRun) {
      this.counts.written += toEncode.length;
      this.counts.unchanged += current.length;
      for (const id of current) this.complete(id);
    }
    return { batch, writes, staleOnly, current };
  }

  private async encodeChunks(
    chunked: readonly Chunk[][],
    entries: readonly Entry[],
    generation: number,
  ): Promise<M3Record[][]> {
    const signals = this.options.store.collection.signals;
    const all = chunked.flat();
    const embeddings = await this.options.encoder.encode(
      all.map((c) => c.text),
      {
        dense: signals.includes('dense'),
        sparse: signals.includes('sparse'),
        colbert: signals.includes('colbert'),
        maxLength: this.chunking.maxTokens,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      },
    );
    this.meter.encoded(
      entries.length,
      all.length,
      all.reduce((n, c) => n + c.tokens, 0),
    );
    let k = 0;
    return chunked.map((chunks, d) => {
      const entry = entries[d]!;
      return chunks.map((chunk) => {
        const { tokenCount: _tokens, truncated, ...embedding } = embeddings[k++]!;
        if (truncated) this.counts.truncatedChunks++;
        return {
          id: `${entry.document.id}#${entry.fingerprint}#${chunk.index}`,
          text: chunk.text,
          metadata: this.chunkMetadata(entry, chunk, chunks.length, generation),
          embedding,
        };
      });
    });
  }

  private chunkMetadata(entry: Entry, chunk: Chunk, count: number, generation: number): Metadata {
    return {
      ...entry.document.metadata,
      [SYNC_FIELDS.documentId]: entry.document.id,
      [SYNC_FIELDS.fingerprint]: entry.fingerprint,
      [SYNC_FIELDS.generation]: generation,
      [SYNC_FIELDS.chunk]: chunk.index,
      [SYNC_FIELDS.chunkCount]: count,
      [SYNC_FIELDS.chunkStart]: chunk.start,
      [SYNC_FIELDS.chunkEnd]: chunk.end,
      ...(this.options.source !== undefined ? { [SYNC_FIELDS.source]: this.options.source } : {}),
    };
  }

  private checkDocument(document: M3Document, position: number): boolean {
    const problem = documentProblem(document, this.options.store.collection);
    if (problem === undefined) return true;
    const id = typeof document?.id === 'string' ? document.id : `#${position}`;
    if (this.options.onDocumentError === 'stop') throw new InvalidInputError(problem, { item: id });
    this.skipped.push({ id, position, reason: problem });
    return false;
  }

  /** Writes new versions, removes stale chunks, and settles which version of each document stays. */
  private async writeBatch(encoded: EncodedBatch): Promise<void> {
    const store = this.options.store;
    const signal = this.options.signal;
    const records = [...encoded.writes.values()].flatMap((w) => w.records);
    const failedDocuments = new Map<string, WriteFailure>();
    if (records.length > 0) {
      const report = await store.upsert(records, {
        onFailure: 'report',
        ...(signal ? { signal } : {}),
      });
      if (report.failed.length > 0) this.collectFailures(report.failed, failedDocuments);
    }
    // A document with a rejected chunk keeps its previous version: the chunks of the new one
    // that did land are removed, so no incomplete version lingers.
    const orphans = [...failedDocuments.keys()].flatMap((id) =>
      encoded.writes.get(id)!.records.map((r) => r.id),
    );
    const stale = [...encoded.staleOnly.values()].flat();
    const written = [...encoded.writes.keys()].filter((id) => !failedDocuments.has(id));
    const after = await scanVersions(store, written, signal);
    const settled = written.map((id) => ({
      id,
      ...this.settle(encoded.writes.get(id)!.entry.fingerprint, after.get(id) ?? []),
    }));
    await deleteChunks(store, [...orphans, ...stale, ...settled.flatMap((s) => s.stale)], signal);
    this.counts.deletedChunks += stale.length + settled.reduce((n, s) => n + s.stale.length, 0);
    for (const [id, failure] of failedDocuments) {
      const entry = encoded.writes.get(id)!.entry;
      this.skipped.push({
        id,
        position: entry.position,
        reason: `the store rejected it: ${failure.error.message}`,
      });
    }
    for (const outcome of settled) {
      const entry = encoded.writes.get(outcome.id)!;
      if (outcome.kind === 'missing') {
        this.skipped.push({
          id: outcome.id,
          position: entry.entry.position,
          reason:
            'its chunks vanished while it was written (collection dropped or emptied meanwhile?); run again',
        });
        continue;
      }
      this.complete(outcome.id);
      if (outcome.kind === 'superseded') this.superseded.push(outcome.id);
      else {
        this.counts.written++;
        this.counts.chunks += entry.records.length;
      }
    }
    for (const id of encoded.current) this.complete(id);
    this.counts.unchanged += encoded.current.length;
    this.meter.written(records.length);
  }

  private settle(
    fingerprint: string,
    versions: readonly DocumentVersion[],
  ): { kind: 'won' | 'superseded' | 'missing'; stale: string[] } {
    const winner = winningVersion(versions);
    if (!winner) return { kind: 'missing', stale: [] };
    return {
      kind: winner.fingerprint === fingerprint ? 'won' : 'superseded',
      stale: staleChunkIds(versions),
    };
  }

  private collectFailures(failed: readonly WriteFailure[], into: Map<string, WriteFailure>): void {
    const retryable = failed.find((f) => !InvalidInputError.isInstance(f.error));
    if (retryable || this.options.onDocumentError === 'stop') {
      throw new PartialWriteError(this.options.store.capabilities.backend, { written: [], failed });
    }
    for (const failure of failed) {
      const documentId = failure.id.slice(0, failure.id.indexOf('#'));
      if (!into.has(documentId)) into.set(documentId, failure);
    }
  }

  private explain(error: unknown): M3Error {
    const done = this.counts.documents;
    const rerun = `${done} documents are stored whole; run again: they are skipped, the rest is written`;
    if (IngestError.isInstance(error)) return error;
    if (AbortedError.isInstance(error))
      return new IngestError(`ingest was interrupted; ${rerun}`, done, error);
    const message = error instanceof Error ? error.message : String(error);
    return new IngestError(`ingest stopped: ${message}; ${rerun}`, done, error);
  }
}

type DocumentPlan =
  | { readonly kind: 'write' }
  | { readonly kind: 'current'; readonly stale: string[] };

/**
 * Skip a document when its current version is stored whole and is the newest complete one, with
 * nothing in the way but stale chunks (deleted without encoding). Anything else (not stored, a
 * changed document, an interrupted write, a newer version by another writer) is written again.
 */
function planDocument(versions: readonly DocumentVersion[], fingerprint: string): DocumentPlan {
  const winner = winningVersion(versions);
  if (!winner || winner.fingerprint !== fingerprint) return { kind: 'write' };
  const stale = staleChunkIds(versions);
  const others = versions.filter((v) => v !== winner).reduce((n, v) => n + v.chunkIds.length, 0);
  return stale.length === others ? { kind: 'current', stale } : { kind: 'write' };
}
