import { M3Error, hasErrorMarker } from '../errors/m3-error.js';

const MARKER = Symbol.for('m3kit.error.ingest');

/** An ingest run that stopped; `committedDocuments` is where a rerun with the same checkpoint resumes. */
export class IngestError extends M3Error {
  readonly committedDocuments: number;

  constructor(message: string, committedDocuments: number, cause: unknown) {
    super(message, { cause });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'IngestError';
    this.committedDocuments = committedDocuments;
  }

  static override isInstance(error: unknown): error is IngestError {
    return hasErrorMarker(error, MARKER);
  }
}
