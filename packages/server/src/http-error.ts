import { M3Error } from '@m3kit/core';

const MARKER = Symbol.for('m3kit.error.server.http');

/** A request the server refuses with a given status; `field` names the part of the request at fault. */
export class HttpError extends M3Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'HttpError';
  }

  static override isInstance(error: unknown): error is HttpError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}

/** 400 naming the field: the shape every bad-input answer takes. */
export function badRequest(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_input', `${field}: ${message}`, field);
}
