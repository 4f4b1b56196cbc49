import {
  AbortedError,
  BackendError,
  CollectionMismatchError,
  DimensionMismatchError,
  InvalidInputError,
  M3Error,
  PartialWriteError,
  UnsupportedError,
} from '@m3kit/core';
import { HttpError } from './http-error.js';
import { QueueFullError } from './queue-full-error.js';

/** What the client gets for an error: a status, headers, and `{ error: { code, message, field? } }`. */
export interface ErrorReply {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: {
    readonly error: { readonly code: string; readonly message: string; readonly field?: string };
  };
  /** Unexpected: log it with its stack (expected errors are the client's, not the operator's). */
  readonly unexpected: boolean;
}

interface AjvError {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

interface FastifyLikeError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly validation?: readonly AjvError[];
  readonly validationContext?: string;
  readonly message?: string;
}

const reply = (
  statusCode: number,
  code: string,
  message: string,
  field?: string,
  headers: Record<string, string> = {},
): ErrorReply => ({
  statusCode,
  headers,
  body: { error: { code, message, ...(field !== undefined ? { field } : {}) } },
  unexpected: false,
});

/** Maps any error a route or Fastify raised to the reply; never leaks a stack or a credential. */
export function errorReply(error: unknown): ErrorReply {
  const fastify = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError;
  if (fastify.validation)
    return validationReply(fastify.validation, fastify.validationContext ?? 'body');
  if (HttpError.isInstance(error))
    return reply(error.statusCode, error.code, error.message, error.field);
  if (QueueFullError.isInstance(error)) {
    return reply(503, 'queue_full', error.message, undefined, {
      'retry-after': String(error.retryAfterSeconds),
    });
  }
  if (M3Error.isInstance(error)) {
    // A wrapper (ingest's IngestError) keeps its message; the cause decides the status.
    const decisive = causes(error).find(
      (e) =>
        QueueFullError.isInstance(e) ||
        BackendError.isInstance(e) ||
        UnsupportedError.isInstance(e) ||
        AbortedError.isInstance(e),
    );
    if (decisive && decisive !== error) {
      const inner = QueueFullError.isInstance(decisive)
        ? errorReply(decisive)
        : m3ErrorReply(decisive);
      return { ...inner, body: { error: { ...inner.body.error, message: error.message } } };
    }
    return m3ErrorReply(error);
  }
  if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return reply(413, 'body_too_large', `body: ${fastify.message ?? 'too large'}`, 'body');
  if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return reply(
      415,
      'unsupported_media_type',
      'send Content-Type: application/json',
      'content-type',
    );
  if (fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return reply(400, 'invalid_json', 'body: empty JSON body', 'body');
  if (fastify.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return reply(
      400,
      'invalid_json',
      `body: not valid JSON (${fastify.message ?? 'parse error'})`,
      'body',
    );
  }
  if (
    typeof fastify.statusCode === 'number' &&
    fastify.statusCode >= 400 &&
    fastify.statusCode < 500
  ) {
    return reply(
      fastify.statusCode,
      fastify.code ?? 'bad_request',
      fastify.message ?? 'bad request',
    );
  }
  return { ...reply(500, 'internal', 'internal error (logged on the server)'), unexpected: true };
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let e = error;
    e !== undefined && e !== null && chain.length < 8;
    e = (e as { cause?: unknown }).cause
  )
    chain.push(e);
  return chain;
}

function m3ErrorReply(error: unknown): ErrorReply {
  if (InvalidInputError.isInstance(error) || DimensionMismatchError.isInstance(error)) {
    const item = InvalidInputError.isInstance(error) ? error.item : undefined;
    return reply(400, 'invalid_input', error.message, item);
  }
  if (CollectionMismatchError.isInstance(error))
    return reply(409, 'collection_mismatch', error.message);
  if (UnsupportedError.isInstance(error)) return reply(501, 'unsupported', error.message);
  if (AbortedError.isInstance(error)) return reply(503, 'aborted', error.message);
  if (PartialWriteError.isInstance(error)) {
    const invalidOnly = error.report.failed.every((f) => InvalidInputError.isInstance(f.error));
    return reply(
      invalidOnly ? 400 : 502,
      invalidOnly ? 'invalid_input' : 'backend_error',
      error.message,
    );
  }
  if (BackendError.isInstance(error)) {
    return error.isRetryable
      ? reply(503, 'backend_unavailable', error.message, undefined, { 'retry-after': '1' })
      : reply(502, 'backend_error', error.message);
  }
  return reply(400, 'invalid_input', error instanceof Error ? error.message : String(error));
}

/**
 * Ajv reports every branch of a `oneOf`; the deepest error is the one that names what is wrong
 * (`sentences[3] must NOT have fewer than 1 characters`, not `sentences must match one schema`).
 */
function validationReply(errors: readonly AjvError[], context: string): ErrorReply {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const candidates = specific.length > 0 ? specific : errors;
  const deepest = candidates.reduce(
    (best, e) => (depth(e) > depth(best) ? e : best),
    candidates[0]!,
  );
  const field = fieldName(context, deepest);
  const message = describe(deepest);
  return reply(400, 'invalid_input', `${field}: ${message}`, field);
}

function depth(error: AjvError): number {
  const base = (error.instancePath ?? '').split('/').length;
  return (
    base +
    (error.params?.missingProperty !== undefined || error.params?.additionalProperty !== undefined
      ? 1
      : 0)
  );
}

/** `/sentences/3` in the body -> `body.sentences[3]`; a missing or unknown property is named too. */
function fieldName(context: string, error: AjvError): string {
  let name = context;
  for (const part of (error.instancePath ?? '').split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    name += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  const extra = error.params?.missingProperty ?? error.params?.additionalProperty;
  return typeof extra === 'string' ? `${name}.${extra}` : name;
}

function describe(error: AjvError): string {
  if (error.keyword === 'additionalProperties') return 'unknown field';
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'enum' && Array.isArray(error.params?.allowedValues)) {
    return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return error.message ?? 'is invalid';
}
