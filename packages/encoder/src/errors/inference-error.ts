import { M3Error } from '@m3kit/core';

const MARKER = Symbol.for('m3kit.error.inference');

/** onnxruntime failed on a batch even after splitting it down to one text (e.g. out of memory). */
export class InferenceError extends M3Error {
  /** Tokens in the smallest batch that still failed (padded). */
  readonly batchTokens: number;

  constructor(options: { message: string; batchTokens: number; cause?: unknown }) {
    super(options.message, { cause: options.cause });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'InferenceError';
    this.batchTokens = options.batchTokens;
  }

  static override isInstance(error: unknown): error is InferenceError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
