import { M3Error, hasErrorMarker } from './m3-error.js';
import type { WriteReport } from '../store/store-v1.js';

const MARKER = Symbol.for('m3kit.error.partial-write');

/** Some ids of a write failed; `report` says which were written and why the others were not. */
export class PartialWriteError extends M3Error {
  readonly report: WriteReport;

  constructor(backend: string, report: WriteReport) {
    const first = report.failed[0];
    super(
      `${backend}: ${report.failed.length} of ${report.failed.length + report.written.length} ids failed` +
        (first ? `; first: ${first.id}: ${first.error.message}` : ''),
      { cause: first?.error },
    );
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'PartialWriteError';
    this.report = report;
  }

  static override isInstance(error: unknown): error is PartialWriteError {
    return hasErrorMarker(error, MARKER);
  }
}
