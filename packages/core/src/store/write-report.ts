import { PartialWriteError } from '../errors/partial-write-error.js';
import type { WriteOptions, WriteReport } from './store-v1.js';

/** Applies the caller's failure policy: throw a PartialWriteError (default) or return the report. */
export function finishWrite(
  backend: string,
  report: WriteReport,
  options?: WriteOptions,
): WriteReport {
  if (report.failed.length > 0 && (options?.onFailure ?? 'throw') === 'throw') {
    throw new PartialWriteError(backend, report);
  }
  return report;
}
