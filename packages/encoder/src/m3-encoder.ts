import { stat } from 'node:fs/promises';
import { InvalidInputError, throwIfAborted } from '@m3kit/core';
import type {
  EncodeOptions,
  EncodedText,
  M3EncoderV1,
  TokenizeOptions,
  TokenizedText,
} from '@m3kit/core';
import { InferenceError } from './errors/inference-error.js';
import { downloadFromHub, looksLikeHubId } from './model/hub-download.js';
import type { DownloadProgress, HubDownloadOptions } from './model/hub-download.js';
import { loadModel } from './model/load-model.js';
import type { LoadedModel, RuntimeOptions } from './model/load-model.js';
import { planBatches } from './runtime/batch-plan.js';
import type { PlannedBatch } from './runtime/batch-plan.js';
import type { BatchOutputs, WantedOutputs } from './runtime/model-runner.js';
import { colbertOf, denseOf, lexicalOf } from './runtime/post-process.js';
import type { TokenizedItem } from './tokenizer/m3-tokenizer.js';

export interface M3EncoderLoadOptions
  extends RuntimeOptions,
    Omit<HubDownloadOptions, 'onProgress'> {
  /** The graph to load inside a directory, relative to it (default `onnx/model.onnx`, then `model.onnx`). */
  readonly onnxFile?: string;
  /** Default token limit of `encode` and `tokenize`, special tokens included (default: the model's, 8192). */
  readonly maxLength?: number;
  /** Default budget of padded tokens per batch (rows x longest row). Default 16384. */
  readonly batchTokens?: number;
  /** Most texts in one batch whatever their length. Default 256. */
  readonly maxBatchSize?: number;
  /** Download progress, when the source is a hub id. */
  readonly onDownloadProgress?: (event: DownloadProgress) => void;
}

/** Reported after each batch. */
export interface EncodeProgress {
  readonly textsDone: number;
  /** Known for `encode`; undefined for a stream. */
  readonly textsTotal: number | undefined;
  /** Tokens encoded so far (special tokens included, padding excluded). */
  readonly tokensDone: number;
  readonly batchesDone: number;
  /** Milliseconds spent so far in this call tokenising, in onnxruntime, and turning its outputs into results. */
  readonly tokenizeMs: number;
  readonly inferenceMs: number;
  readonly postProcessMs: number;
}

export interface M3EncodeOptions extends EncodeOptions {
  /** Budget of padded tokens per batch for this call. */
  readonly batchTokens?: number;
  readonly onProgress?: (progress: EncodeProgress) => void;
  /**
   * Texts tokenised, sorted and batched together (default 1024): bounds the memory of ids held
   * at once, whatever the input size.
   */
  readonly windowSize?: number;
}

/** One text's outputs and what the tokenizer did to it. */
export interface M3EncodedText extends EncodedText {
  /** True when the text held lone surrogates, replaced by U+FFFD before tokenising. */
  readonly replacedLoneSurrogates: boolean;
}

/** One text's tokens, and whether lone surrogates were replaced by U+FFFD first. */
export interface M3TokenizedText extends TokenizedText {
  readonly replacedLoneSurrogates: boolean;
}

type Progress = { -readonly [K in keyof EncodeProgress]: EncodeProgress[K] };

const DEFAULT_BATCH_TOKENS = 16384;
const DEFAULT_MAX_BATCH_SIZE = 256;
const DEFAULT_WINDOW_SIZE = 1024;

/**
 * BGE-M3 in onnxruntime-node: FlagEmbedding's dense, lexical and ColBERT outputs for the same
 * weights and text. `M3Encoder.load` takes a directory in BAAI/bge-m3's layout, an all-heads
 * `.onnx` file, or a hub id such as `BAAI/bge-m3` (downloaded once into a cache).
 */
export class M3Encoder implements M3EncoderV1 {
  readonly specificationVersion = 'v1' as const;
  readonly modelId: string;
  readonly denseDimension: number;
  readonly colbertDimension: number;
  /** The model's own limit (8192 for BAAI/bge-m3). */
  readonly maxLength: number;
  /** Default truncation limit of this encoder's calls. */
  readonly defaultMaxLength: number;
  /** `official`: hidden-state graph + heads from the .pt files; `all-heads`: one graph. */
  readonly layout: 'official' | 'all-heads';
  readonly onnxFile: string;

  private readonly specialIds: ReadonlySet<number>;
  private readonly batchTokens: number;
  private readonly maxBatchSize: number;
  /** Batches of concurrent calls take turns: onnxruntime already uses every thread it was given. */
  private runQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly model: LoadedModel,
    modelId: string,
    options: M3EncoderLoadOptions,
  ) {
    this.modelId = modelId;
    this.denseDimension = model.runner.denseDimension;
    this.colbertDimension = model.runner.colbertDimension;
    this.maxLength = model.maxLength;
    this.layout = model.runner.layout;
    this.onnxFile = model.onnxFile;
    const { cls, eos, pad, unk } = model.tokenizer.specialIds;
    this.specialIds = new Set([cls, eos, pad, unk]);
    this.batchTokens = positiveInteger(options.batchTokens ?? DEFAULT_BATCH_TOKENS, 'batchTokens');
    this.maxBatchSize = Math.min(
      positiveInteger(options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE, 'maxBatchSize'),
      model.runner.fixedBatchSize ?? Number.POSITIVE_INFINITY,
    );
    this.defaultMaxLength = this.checkMaxLength(options.maxLength ?? model.maxLength);
  }

  /**
   * Loads a local directory (BAAI/bge-m3 layout), an all-heads `.onnx` file, or a hub id
   * (`BAAI/bge-m3`, downloaded into `cacheDir` unless already there; `offline` fails fast).
   */
  static async load(source: string, options: M3EncoderLoadOptions = {}): Promise<M3Encoder> {
    let path = source;
    let modelId = source;
    const isLocal = await stat(source).then(
      () => true,
      () => false,
    );
    if (!isLocal && looksLikeHubId(source)) {
      path = await downloadFromHub(source, { ...options, onProgress: options.onDownloadProgress });
      modelId = source;
    }
    const model = await loadModel(path, options);
    try {
      return new M3Encoder(model, isLocal ? model.directory : modelId, options);
    } catch (error) {
      await model.runner.close();
      throw error;
    }
  }

  async encode(texts: readonly string[], options: M3EncodeOptions = {}): Promise<M3EncodedText[]> {
    checkTexts(texts);
    const results: M3EncodedText[] = [];
    for await (const result of this.encodeWindows(texts, options, texts.length))
      results.push(result);
    return results;
  }

  /**
   * Encodes texts as they arrive, in order, a window at a time: memory stays bounded however
   * long the stream is. Stops with an AbortedError when `signal` fires.
   */
  async *encodeStream(
    texts: AsyncIterable<string> | Iterable<string>,
    options: M3EncodeOptions = {},
  ): AsyncGenerator<M3EncodedText> {
    yield* this.encodeWindows(texts, options, undefined);
  }

  async tokenize(
    texts: readonly string[],
    options: TokenizeOptions = {},
  ): Promise<M3TokenizedText[]> {
    this.assertOpen();
    checkTexts(texts);
    const maxLength = this.checkMaxLength(options.maxLength ?? this.defaultMaxLength);
    const items = await this.model.tokenizer.tokenizeMany(texts, {
      maxLength,
      addSpecialTokens: options.addSpecialTokens ?? true,
      withOffsets: true,
    });
    return items.map((item) => ({
      ids: Array.from(item.ids),
      offsets: item.offsets ?? [],
      truncated: item.truncated,
      replacedLoneSurrogates: item.replacedLoneSurrogates,
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.runQueue.catch(() => undefined);
    await this.model.runner.close();
  }

  private async *encodeWindows(
    texts: AsyncIterable<string> | Iterable<string>,
    options: M3EncodeOptions,
    textsTotal: number | undefined,
  ): AsyncGenerator<M3EncodedText> {
    this.assertOpen();
    const maxLength = this.checkMaxLength(options.maxLength ?? this.defaultMaxLength);
    const batchTokens = positiveInteger(options.batchTokens ?? this.batchTokens, 'batchTokens');
    const windowSize = positiveInteger(options.windowSize ?? DEFAULT_WINDOW_SIZE, 'windowSize');
    const wanted: WantedOutputs = {
      dense: options.dense ?? true,
      sparse: options.sparse ?? true,
      colbert: options.colbert ?? true,
    };
    const progress: Progress = {
      textsDone: 0,
      textsTotal,
      tokensDone: 0,
      batchesDone: 0,
      tokenizeMs: 0,
      inferenceMs: 0,
      postProcessMs: 0,
    };
    let window: string[] = [];
    let seen = 0;
    for await (const text of texts) {
      if (typeof text !== 'string') {
        throw new InvalidInputError(
          `text must be a string, got ${text === null ? 'null' : typeof text}`,
          { item: `texts[${seen}]` },
        );
      }
      seen++;
      window.push(text);
      if (window.length >= windowSize) {
        yield* await this.encodeWindow(window, maxLength, batchTokens, wanted, options, progress);
        window = [];
      }
    }
    if (window.length > 0)
      yield* await this.encodeWindow(window, maxLength, batchTokens, wanted, options, progress);
  }

  private async encodeWindow(
    texts: readonly string[],
    maxLength: number,
    batchTokens: number,
    wanted: WantedOutputs,
    options: M3EncodeOptions,
    progress: Progress,
  ): Promise<M3EncodedText[]> {
    throwIfAborted(options.signal, 'encode');
    const tokenizeStarted = performance.now();
    const items = await this.model.tokenizer.tokenizeMany(texts, { maxLength });
    progress.tokenizeMs += performance.now() - tokenizeStarted;
    const results = new Array<M3EncodedText>(items.length);
    const needsModel = wanted.dense || wanted.sparse || wanted.colbert;
    const batches = needsModel
      ? planBatches(
          items.map((item) => item.ids.length),
          { batchTokens, maxBatchSize: this.maxBatchSize },
        )
      : [{ indices: items.map((_, index) => index), sequenceLength: 0 }];
    for (const batch of batches) {
      throwIfAborted(options.signal, 'encode');
      if (needsModel) await this.runBatch(batch, items, wanted, results, progress);
      else for (const index of batch.indices) results[index] = baseResult(items[index]!);
      progress.textsDone += batch.indices.length;
      progress.tokensDone += batch.indices.reduce(
        (sum, index) => sum + items[index]!.ids.length,
        0,
      );
      progress.batchesDone += 1;
      options.onProgress?.({ ...progress });
    }
    return results;
  }

  /** Runs one batch; on failure (e.g. out of memory) splits it in two and retries each half. */
  private async runBatch(
    batch: PlannedBatch,
    items: readonly TokenizedItem[],
    wanted: WantedOutputs,
    results: M3EncodedText[],
    progress: Progress,
  ): Promise<void> {
    let outputs: BatchOutputs;
    try {
      outputs = await this.exclusive(async () => {
        const started = performance.now();
        try {
          return await this.runPadded(batch, items, wanted);
        } finally {
          progress.inferenceMs += performance.now() - started;
        }
      });
    } catch (error) {
      if (batch.indices.length === 1) {
        throw new InferenceError({
          message: `onnxruntime failed on a text of ${batch.sequenceLength} tokens: ${error instanceof Error ? error.message : String(error)}`,
          batchTokens: batch.sequenceLength,
          cause: error,
        });
      }
      const half = Math.ceil(batch.indices.length / 2);
      for (const indices of [batch.indices.slice(0, half), batch.indices.slice(half)]) {
        const sequenceLength = Math.max(...indices.map((index) => items[index]!.ids.length));
        await this.runBatch({ indices, sequenceLength }, items, wanted, results, progress);
      }
      return;
    }
    const postProcessStarted = performance.now();
    batch.indices.forEach((index, row) => {
      const item = items[index]!;
      results[index] = {
        ...(wanted.dense ? { dense: denseOf(outputs, row, this.denseDimension) } : {}),
        ...(wanted.sparse ? { lexical: lexicalOf(outputs, row, item.ids, this.specialIds) } : {}),
        ...(wanted.colbert
          ? { colbert: colbertOf(outputs, row, item.ids.length, this.colbertDimension) }
          : {}),
        ...baseResult(item),
      };
    });
    progress.postProcessMs += performance.now() - postProcessStarted;
  }

  private runPadded(
    batch: PlannedBatch,
    items: readonly TokenizedItem[],
    wanted: WantedOutputs,
  ): Promise<BatchOutputs> {
    // A graph with a static batch dimension takes exactly that many rows: fill with `<s></s>`.
    const rows = Math.max(batch.indices.length, this.model.runner.fixedBatchSize ?? 0);
    const length = Math.max(batch.sequenceLength, 2);
    const inputIds = new BigInt64Array(rows * length).fill(BigInt(this.model.padId));
    const attentionMask = new BigInt64Array(rows * length);
    const { cls, eos } = this.model.tokenizer.specialIds;
    for (let row = 0; row < rows; row++) {
      const ids =
        row < batch.indices.length ? items[batch.indices[row]!]!.ids : Int32Array.of(cls, eos);
      const base = row * length;
      for (let position = 0; position < ids.length; position++) {
        inputIds[base + position] = BigInt(ids[position]!);
        attentionMask[base + position] = 1n;
      }
    }
    return this.model.runner.run(inputIds, attentionMask, rows, length, wanted);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.runQueue
      .catch(() => undefined)
      .then(() => {
        this.assertOpen();
        return work();
      });
    this.runQueue = next;
    return next;
  }

  private checkMaxLength(value: number): number {
    const least = this.model.tokenizer.specialTokenCount + 1;
    if (!Number.isInteger(value) || value < least || value > this.model.maxLength) {
      throw new InvalidInputError(
        `maxLength must be an integer from ${least} to ${this.model.maxLength}, got ${value}`,
        { item: 'maxLength' },
      );
    }
    return value;
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidInputError('the encoder is closed', { item: 'encoder' });
  }
}

function baseResult(item: TokenizedItem): M3EncodedText {
  return {
    tokenCount: item.ids.length,
    truncated: item.truncated,
    replacedLoneSurrogates: item.replacedLoneSurrogates,
  };
}

function checkTexts(texts: readonly string[]): void {
  if (!Array.isArray(texts))
    throw new InvalidInputError('texts must be an array of strings', { item: 'texts' });
  texts.forEach((text, index) => {
    if (typeof text !== 'string') {
      throw new InvalidInputError(
        `text must be a string, got ${text === null ? 'null' : typeof text}`,
        { item: `texts[${index}]` },
      );
    }
  });
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidInputError(`${name} must be a positive integer, got ${value}`, { item: name });
  return value;
}
