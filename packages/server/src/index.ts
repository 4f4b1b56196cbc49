/** `@m3kit/server`: BGE-M3 over HTTP (embed, hybrid query, ingest, OpenAI embeddings) with a playground. */
export { createM3Server } from './create-server.js';
export type { M3Server, ServerContext } from './create-server.js';
export type { M3ServerOptions, ServerLimits } from './server-options.js';
export { DEFAULT_LIMITS } from './server-options.js';
export { EncodeBatcher } from './encode-batcher.js';
export type {
  EncodeBatcherOptions,
  EncodeBatcherObserver,
  EncodeRequest,
} from './encode-batcher.js';
export { QueueFullError } from './queue-full-error.js';
export { HttpError } from './http-error.js';
export { explainMatch } from './explain.js';
export type { ColbertMatch, Explanation, LexicalMatch } from './explain.js';
