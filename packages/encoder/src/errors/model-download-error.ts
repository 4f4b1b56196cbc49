import { M3Error } from '@m3kit/core';

const MARKER = Symbol.for('m3kit.error.model-download');

/**
 * A model that could not be fetched from the hub: offline, refused, or damaged on the way.
 * The message says how to load a directory on disk instead.
 */
export class ModelDownloadError extends M3Error {
  readonly modelId: string;
  readonly url: string | undefined;
  readonly statusCode: number | undefined;
  /** True when the hub could not be reached at all (or offline mode is on). */
  readonly offline: boolean;

  constructor(options: {
    modelId: string;
    message: string;
    url?: string;
    statusCode?: number;
    offline?: boolean;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'ModelDownloadError';
    this.modelId = options.modelId;
    this.url = options.url;
    this.statusCode = options.statusCode;
    this.offline = options.offline ?? false;
  }

  static override isInstance(error: unknown): error is ModelDownloadError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
