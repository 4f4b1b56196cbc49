/** The `m3` command as a library: run it in-process, or reuse its parsers. */
export { runCli, VERSION } from './main.js';
export type { CliIo } from './io.js';
export { EXIT_CODES } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { parseFilter } from './filter-syntax.js';
export { parseStoreTarget, redactUrl } from './store/store-target.js';
export type { StoreTarget } from './store/store-target.js';
export { UsageError } from './usage-error.js';
