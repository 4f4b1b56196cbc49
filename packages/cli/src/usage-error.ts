import { InvalidInputError } from '@m3kit/core';

const MARKER = Symbol.for('m3kit.error.cli-usage');

/** A command line the `m3` command cannot run: an unknown flag, a missing argument, a bad value. */
export class UsageError extends InvalidInputError {
  /** The command whose `--help` explains the fix, if there is one. */
  readonly command: string | undefined;

  constructor(message: string, options?: { command?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'UsageError';
    this.command = options?.command;
  }

  static override isInstance(error: unknown): error is UsageError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
