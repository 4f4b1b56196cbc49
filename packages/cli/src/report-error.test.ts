import {
  AbortedError,
  BackendError,
  CollectionMismatchError,
  IngestError,
  InvalidInputError,
  PartialWriteError,
} from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { describeError, exitCodeFor } from './output/report-error.js';
import { UsageError } from './usage-error.js';

const backendDown = new BackendError({
  backend: 'qdrant',
  message: 'unreachable',
  isRetryable: true,
  cause: new Error('ECONNREFUSED'),
});

describe('exit codes and messages for errors', () => {
  it.each([
    [
      'usage error',
      new UsageError('--top-k must be a whole number', { command: 'query' }),
      EXIT_CODES.usage,
    ],
    ['invalid input', new InvalidInputError('bad'), EXIT_CODES.usage],
    [
      'schema mismatch',
      new CollectionMismatchError({
        backend: 'qdrant',
        collection: 'c',
        differences: ['dense dimension'],
      }),
      EXIT_CODES.usage,
    ],
    ['backend down', backendDown, EXIT_CODES.backend],
    [
      'ingest stopped by the backend',
      new IngestError('ingest stopped', 32, backendDown),
      EXIT_CODES.backend,
    ],
    [
      'ingest interrupted',
      new IngestError('ingest was interrupted', 16, new AbortedError('ingest')),
      EXIT_CODES.interrupted,
    ],
    [
      'rejected records only',
      new PartialWriteError('qdrant', {
        written: [],
        failed: [{ id: 'a#0', error: new InvalidInputError('bad vector') }],
      }),
      EXIT_CODES.usage,
    ],
    [
      'records failed on the server',
      new PartialWriteError('qdrant', { written: [], failed: [{ id: 'a#0', error: backendDown }] }),
      EXIT_CODES.backend,
    ],
    ['a bug', new TypeError('x is undefined'), EXIT_CODES.usage],
  ])('%s', (_, error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('user errors print a message and a hint, causes only with --verbose, never a stack', () => {
    const error = new IngestError(
      'ingest stopped: qdrant: unreachable; 32 documents are committed',
      32,
      backendDown,
    );
    const quiet = describeError(error, { command: 'ingest', verbose: false });
    expect(quiet).toEqual([
      'm3 ingest: ingest stopped: qdrant: unreachable; 32 documents are committed',
      'what is committed is kept: fix the backend and run the same command again to resume',
      '(--verbose shows the causes)',
    ]);
    const verbose = describeError(error, { command: 'ingest', verbose: true });
    expect(verbose.slice(2)).toEqual([
      '  caused by BackendError: qdrant: unreachable',
      '  caused by Error: ECONNREFUSED',
    ]);
    expect(
      describeError(new UsageError('bad flag', { command: 'query' }), {
        command: 'query',
        verbose: false,
      })[1],
    ).toBe('run `m3 query --help` for usage');
  });

  it('an unexpected error says so, and shows its stack only with --verbose', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(describeError(bug, { command: 'query', verbose: false })).toEqual([
      'm3 query: unexpected error: cannot read properties of undefined',
      '(--verbose shows the causes)',
    ]);
    expect(describeError(bug, { command: 'query', verbose: true }).join('\n')).toContain('at ');
  });
});
