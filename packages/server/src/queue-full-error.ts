import { M3Error } from '@m3kit/core';

const MARKER = Symbol.for('m3kit.error.server.queue-full');

/** The encoder queue is full: the server answers 503 with Retry-After instead of queueing without bound. */
export class QueueFullError extends M3Error {
  constructor(
    readonly queuedTexts: number,
    readonly maxQueuedTexts: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `the encoder queue is full (${queuedTexts} of ${maxQueuedTexts} texts waiting): retry after ${retryAfterSeconds} s`,
    );
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'QueueFullError';
  }

  static override isInstance(error: unknown): error is QueueFullError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
