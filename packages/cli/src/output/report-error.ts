import {
  AbortedError,
  BackendError,
  CollectionMismatchError,
  IngestError,
  InvalidInputError,
  M3Error,
  PartialWriteError,
  UnsupportedError,
} from '@m3kit/core';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';

const MAX_CAUSES = 8;

/** The errors a run may end with, from the outermost to the innermost cause. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let current = error;
    current !== undefined && current !== null && chain.length <= MAX_CAUSES;
  ) {
    chain.push(current);
    current =
      current instanceof Error || M3Error.isInstance(current)
        ? (current as Error).cause
        : undefined;
  }
  return chain;
}

/** What went wrong, as an exit code: the innermost error that decides it wins. */
export function exitCodeFor(error: unknown): ExitCode {
  const chain = causeChain(error);
  if (chain.some((e) => AbortedError.isInstance(e))) return EXIT_CODES.interrupted;
  if (chain.some((e) => BackendError.isInstance(e))) return EXIT_CODES.backend;
  const partial = chain.find((e) => PartialWriteError.isInstance(e));
  if (partial && PartialWriteError.isInstance(partial)) {
    const invalidOnly = partial.report.failed.every((f) => InvalidInputError.isInstance(f.error));
    return invalidOnly ? EXIT_CODES.usage : EXIT_CODES.backend;
  }
  return EXIT_CODES.usage;
}

function isExpected(error: unknown): boolean {
  return causeChain(error).some(
    (e) =>
      M3Error.isInstance(e) &&
      (InvalidInputError.isInstance(e) ||
        BackendError.isInstance(e) ||
        CollectionMismatchError.isInstance(e) ||
        UnsupportedError.isInstance(e) ||
        AbortedError.isInstance(e) ||
        IngestError.isInstance(e) ||
        PartialWriteError.isInstance(e)),
  );
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (M3Error.isInstance(error)) return (error as Error).message;
  return String(error);
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The lines to print on stderr for an error that ended a command. User errors (bad flags, bad
 * input, a backend that is down) print their message and a hint, never a stack; `--verbose` adds
 * the cause chain. An unexpected error (a bug) says so and shows its stack under `--verbose`.
 */
export function describeError(
  error: unknown,
  options: { command: string; verbose: boolean },
): string[] {
  const prefix = options.command ? `m3 ${options.command}` : 'm3';
  const lines = [`${prefix}: ${isExpected(error) ? '' : 'unexpected error: '}${messageOf(error)}`];
  const code = exitCodeFor(error);
  if (UsageError.isInstance(error)) {
    const topic = error.command ?? options.command;
    lines.push(topic ? `run \`m3 ${topic} --help\` for usage` : 'run `m3 --help` for usage');
  } else if (causeChain(error).some((e) => CollectionMismatchError.isInstance(e))) {
    lines.push(
      'the collection exists with another schema: give the --model, --signals and --field it was created with',
    );
  } else if (code === EXIT_CODES.backend) {
    lines.push(
      'what is committed is kept: fix the backend and run the same command again to resume',
    );
  } else if (code === EXIT_CODES.interrupted && options.command === 'ingest') {
    lines.push('run the same command again to resume');
  }
  if (options.verbose) {
    for (const cause of causeChain(error).slice(1))
      lines.push(`  caused by ${nameOf(cause)}: ${messageOf(cause)}`);
    if (!isExpected(error) && error instanceof Error && error.stack) lines.push(error.stack);
  } else if (causeChain(error).length > 1 || !isExpected(error)) {
    lines.push('(--verbose shows the causes)');
  }
  return lines;
}
