export type { StoreConformanceOptions } from './run-store-conformance.js';
export { runStoreConformance } from './run-store-conformance.js';
export { expectExactRanking, recallAt10, expectClose } from './compare.js';
export { FILTER_CASES } from './filter-cases.js';
export type { FilterCase } from './filter-cases.js';
export type { ConformanceContext } from './conformance-context.js';
export { copyAs } from './conformance-context.js';
export { fuzzTests } from './fuzz-tests.js';
export type { FuzzTestOptions } from './fuzz-tests.js';
export { DEFAULT_FUZZ_SEED, fuzzParameters } from './fuzz-parameters.js';
export {
  colbertArbitrary,
  denseArbitrary,
  idArbitrary,
  lexicalArbitrary,
  metadataArbitrary,
  queryArbitrary,
  recordArbitrary,
  textArbitrary,
} from './fuzz-arbitraries.js';
export type { Tagged } from './fuzz-arbitraries.js';
