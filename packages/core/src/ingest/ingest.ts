import type { M3Document, M3Record } from '../document.js';
import type { M3EncoderV1 } from '../encoder/encoder-v1.js';
import { AbortedError, throwIfAborted } from '../errors/aborted-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { M3Error } from '../errors/m3-error.js';
import { PartialWriteError } from '../errors/partial-write-error.js';
import type { M3StoreV1 } from '../store/store-v1.js';
import type { IngestCheckpoint } from './checkpoint.js';
import { type Chunk, type ChunkingOptions, chunkDocuments, resolveChunking } from './chunking.js';
import { IngestError } from './ingest-error.js';
import { ProgressMeter, type IngestProgress } from './progress.js';
import { removeStaleChunks } from './stale-chunks.js';

export interface IngestOptions {
  readonly encoder: M3EncoderV1;
  readonly store: M3StoreV1;
  readonly chunking?: ChunkingOptions;
  /** Documents read, chunked and encoded together (default 16). */
  readonly batchDocuments?: number;
  /** Encoded batches that may wait for their write (default 2): encoding never waits on the store unless they pile up. */
  readonly pendingWrites?: number;
  /** Where committed progress is kept, so a rerun after a crash resumes. */
  readonly checkpoint?: IngestCheckpoint;
  /** Identifies input + target in the checkpoint (default the collection name). */
  readonly checkpointKey?: string;
  /** `skip` (default): report a bad document and go on; `stop`: fail the run at the first one. */
  readonly onDocumentError?: 'skip' | 'stop';
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

export interface IngestReport {
  readonly documents: number;
  readonly chunks: number;
  readonly tokens: number;
  /** Documents passed over because a checkpoint said they were already written. */
  readonly resumedFrom: number;
  readonly skipped: readonly SkippedDocument[];
  readonly seconds: number;
}

interface Batch {
  readonly documents: readonly M3Document[];
  readonly firstPosition: number;
}

/**
 * Reads documents, chunks them with the model's tokenizer, encodes batch N+1 while batch N is
 * written, and keeps a checkpoint of what is committed. Chunk ids are `docId#n`, so a rerun
 * rewrites the same ids (idempotent) and removes chunks a shorter new version no longer has:
 * nothing lost, nothing duplicated.
 */
export async function ingest(
  documents: AsyncIterable<M3Document> | Iterable<M3Document>,
  options: IngestOptions,
): Promise<IngestReport> {
  const run = new IngestRun(options);
  return run.execute(documents);
}

class IngestRun {
  private readonly chunking: Required<ChunkingOptions>;
  private readonly meter: ProgressMeter;
  private readonly skipped: SkippedDocument[] = [];
  private readonly completed = new Map<number, { documents: number; chunks: number }>();
  private nextToCommit = 0;
  private committed = { documents: 0, chunks: 0 };
  private checkpointKey: string;

  constructor(private readonly options: IngestOptions) {
    this.chunking = resolveChunking(options.chunking);
    this.meter = new ProgressMeter(options.onProgress, options.totalDocuments);
    this.checkpointKey = options.checkpointKey ?? options.store.collection.name;
  }

  async execute(documents: AsyncIterable<M3Document> | Iterable<M3Document>): Promise<IngestReport> {
    const resumeFrom = await this.loadCheckpoint();
    this.committed = { documents: resumeFrom, chunks: 0 };
    const inFlight: Array<Promise<void>> = [];
    let batchIndex = 0;
    try {
      for await (const batch of readBatches(documents, this.options.batchDocuments ?? 16, resumeFrom)) {
        throwIfAborted(this.options.signal, 'ingest');
        const records = await this.encodeBatch(batch);
        const write = this.writeBatch(batchIndex++, batch, records);
        // Awaited below or in the catch; until then a failure must not count as an unhandled
        // rejection, which would end a Node process before the checkpoint is saved.
        write.catch(() => undefined);
        inFlight.push(write);
        if (inFlight.length > (this.options.pendingWrites ?? 2)) await inFlight.shift();
      }
      await Promise.all(inFlight);
    } catch (error) {
      await Promise.allSettled(inFlight);
      await this.saveCheckpoint();
      throw this.explain(error);
    }
    await this.options.checkpoint?.clear();
    const progress = this.meter.finish();
    return {
      documents: progress.documents,
      chunks: progress.chunks,
      tokens: progress.tokens,
      resumedFrom: resumeFrom,
      skipped: this.skipped,
      seconds: progress.elapsedSeconds,
    };
  }

  private async loadCheckpoint(): Promise<number> {
    const state = await this.options.checkpoint?.load();
    if (!state || state.key !== this.checkpointKey) return 0;
    return state.committedDocuments;
  }

  private async saveCheckpoint(): Promise<void> {
    await this.options.checkpoint?.save({
      key: this.checkpointKey,
      committedDocuments: this.committed.documents,
      committedChunks: this.committed.chunks,
      updatedAt: new Date().toISOString(),
    });
  }

  /** Chunks and encodes one batch; documents that cannot be chunked or encoded follow the error policy. */
  private async encodeBatch(batch: Batch): Promise<M3Record[]> {
    const valid = batch.documents.filter((document, i) => this.checkDocument(document, batch.firstPosition + i));
    const chunked = await chunkDocuments(valid, this.options.encoder, this.chunking);
    const chunks = chunked.flat();
    const encoded = await this.encodeChunks(chunks);
    this.meter.encoded(batch.documents.length, chunks.length, chunks.reduce((n, c) => n + c.tokens, 0));
    return encoded;
  }

  private async encodeChunks(chunks: readonly Chunk[]): Promise<M3Record[]> {
    const signals = this.options.store.collection.signals;
    const encodeOptions = {
      dense: signals.includes('dense'),
      sparse: signals.includes('sparse'),
      colbert: signals.includes('colbert'),
      maxLength: this.chunking.maxTokens,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
    if (chunks.length === 0) return [];
    const embeddings = await this.options.encoder.encode(chunks.map((c) => c.text), encodeOptions);
    return chunks.map((chunk, i) => {
      const { tokenCount: _tokens, truncated: _truncated, ...embedding } = embeddings[i]!;
      return { id: chunk.id, text: chunk.text, metadata: chunk.metadata, embedding };
    });
  }

  private checkDocument(document: M3Document, position: number): boolean {
    const problem = documentProblem(document);
    if (problem === undefined) return true;
    const id = typeof document?.id === 'string' ? document.id : `#${position}`;
    if (this.options.onDocumentError === 'stop') throw new InvalidInputError(problem, { item: id });
    this.skipped.push({ id, position, reason: problem });
    return false;
  }

  private async writeBatch(index: number, batch: Batch, records: readonly M3Record[]): Promise<void> {
    if (records.length > 0) {
      const report = await this.options.store.upsert(records, {
        onFailure: 'report',
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      if (report.failed.length > 0) this.handleWriteFailures(report.failed, batch);
      await removeStaleChunks(this.options.store, records, this.options.signal);
    }
    this.completed.set(index, { documents: batch.documents.length, chunks: records.length });
    await this.advanceCommitted();
    this.meter.written(records.length);
  }

  private handleWriteFailures(failed: PartialWriteError['report']['failed'], batch: Batch): void {
    const retryable = failed.find((f) => !InvalidInputError.isInstance(f.error));
    if (retryable || this.options.onDocumentError === 'stop') {
      throw new PartialWriteError(this.options.store.capabilities.backend, { written: [], failed });
    }
    for (const failure of failed) {
      const documentId = failure.id.replace(/#\d+$/, '');
      const offset = batch.documents.findIndex((d) => d.id === documentId);
      this.skipped.push({ id: documentId, position: batch.firstPosition + offset, reason: failure.error.message });
    }
  }

  /** Moves the committed mark over every batch that finished, in input order. */
  private async advanceCommitted(): Promise<void> {
    let moved = false;
    for (let done = this.completed.get(this.nextToCommit); done; done = this.completed.get(this.nextToCommit)) {
      this.completed.delete(this.nextToCommit++);
      this.committed = { documents: this.committed.documents + done.documents, chunks: this.committed.chunks + done.chunks };
      moved = true;
    }
    if (moved) await this.saveCheckpoint();
  }

  private explain(error: unknown): M3Error {
    const resume = `${this.committed.documents} documents are committed; run again to resume from there`;
    if (AbortedError.isInstance(error)) return new IngestError(`ingest was interrupted; ${resume}`, this.committed.documents, error);
    const message = error instanceof Error ? error.message : String(error);
    return new IngestError(`ingest stopped: ${message}; ${resume}`, this.committed.documents, error);
  }
}

function documentProblem(document: M3Document): string | undefined {
  if (typeof document !== 'object' || document === null) return 'document is not an object';
  if (typeof document.id !== 'string' || document.id.length === 0) return 'document has no id';
  if (document.id.includes('#')) return 'document id must not contain "#" (chunk ids are docId#n)';
  if (typeof document.text !== 'string') return 'document has no text';
  if (document.text.trim().length === 0) return 'document text is empty';
  if (!document.text.isWellFormed()) return 'document text contains a lone surrogate (broken UTF-16)';
  return undefined;
}

async function* readBatches(
  documents: AsyncIterable<M3Document> | Iterable<M3Document>,
  size: number,
  skip: number,
): AsyncGenerator<Batch> {
  let position = 0;
  let current: M3Document[] = [];
  let first = skip;
  for await (const document of documents) {
    if (position++ < skip) continue;
    current.push(document);
    if (current.length >= size) {
      yield { documents: current, firstPosition: first };
      first += current.length;
      current = [];
    }
  }
  if (current.length > 0) yield { documents: current, firstPosition: first };
}
