import { M3Error } from '@m3kit/core';

const MARKER = Symbol.for('m3kit.error.model-file');

/** A model file that is missing, damaged or not what the encoder expects; `file` names it. */
export class ModelFileError extends M3Error {
  readonly file: string;

  constructor(options: { file: string; message: string; cause?: unknown }) {
    super(`model file ${options.file}: ${options.message}`, { cause: options.cause });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'ModelFileError';
    this.file = options.file;
  }

  static override isInstance(error: unknown): error is ModelFileError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
