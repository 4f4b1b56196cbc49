export { SeededRandom } from './random.js';
export type { SyntheticCorpus, SyntheticCorpusOptions } from './synthetic-corpus.js';
export {
  HOSTILE_VALUE,
  SYNTHETIC_LANGUAGES,
  SYNTHETIC_METADATA_FIELDS,
  SYNTHETIC_TAGS,
  syntheticCorpus,
} from './synthetic-corpus.js';
export { HashingEncoder } from './hashing-encoder.js';
export { uniqueCollectionName } from './unique-collection-name.js';
export type { ServerFromEnv } from './server-from-env.js';
export { serverFromEnv } from './server-from-env.js';
export type { RealisticCorpusOptions, RealisticQuery } from './realistic-corpus.js';
export { RealisticCorpus } from './realistic-corpus.js';
export { jsonlDocuments } from './jsonl-documents.js';
