import { afterAll, beforeAll, describe } from 'vitest';
import type { CollectionSpec } from '../store/collection-spec.js';
import { ExactStore } from '../store/exact-store.js';
import type { M3StoreV1, StoreCapabilities } from '../store/store-v1.js';
import { syntheticCorpus, type SyntheticCorpusOptions } from '../testing/synthetic-corpus.js';
import {
  CONFORMANCE_METADATA_FIELDS,
  type ConformanceContext,
  writeBoth,
} from './conformance-context.js';
import { uniqueCollectionName } from '../testing/unique-collection-name.js';
import { collectionTests } from './tests/collection-tests.js';
import { collectionContractTests, inputContractTests } from './tests/contract-tests.js';
import { filterTests } from './tests/filter-tests.js';
import { fuzzTests } from './fuzz-tests.js';
import { hostileInputTests } from './tests/hostile-input-tests.js';
import { queryTests } from './tests/query-tests.js';
import { writeTests } from './tests/write-tests.js';

export interface StoreConformanceOptions {
  /** Shown in test names, e.g. "qdrant 1.16.2". */
  readonly name: string;
  /** Makes a store for a collection spec (the suite calls ensureCollection itself). */
  readonly create: (spec: CollectionSpec) => Promise<M3StoreV1>;
  /** Overrides of the store's declared capabilities, e.g. a looser recall bound for one setup. */
  readonly capabilities?: Partial<StoreCapabilities>;
  /** When set, the whole suite is skipped and the reason printed loudly. */
  readonly skipReason?: string | undefined;
  /** Corpus shape; the default is full-size BGE-M3 output (1024-d, 250,002 ids, 20-300 rows). */
  readonly corpus?: SyntheticCorpusOptions;
  /** Per-test timeout in ms (default 120 s: real servers on small CI machines are slow). */
  readonly timeoutMs?: number;
  /**
   * Adapter-specific tests registered inside the suite, after the shared ones: they get the
   * loaded store and its exact twin (`context.store`, `context.exact`, `context.corpus`).
   */
  readonly additionalTests?: (context: ConformanceContext) => void;
  /**
   * Property runs of each fuzz test (default 20; each write run is a few requests, so keep it to
   * 20-50 on a real server; M3KIT_FUZZ_RUNS overrides it for a long run).
   */
  readonly fuzzRuns?: number;
}

/**
 * One vitest suite every adapter runs in a few lines: collection creation and validation,
 * idempotent writes, deletes, every filter kind, each query mode against the exact store,
 * hostile input and concurrent writers. Exact modes must reproduce the exact store's top-k up to
 * near-ties; approximate modes must reach their declared recall@10.
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  if (options.skipReason !== undefined) {
    console.warn(`SKIPPED: ${options.name} store conformance suite: ${options.skipReason}`);
    describe.skip(`M3StoreV1 conformance: ${options.name} (SKIPPED: ${options.skipReason})`, () => {});
    return;
  }
  const timeout = options.timeoutMs ?? 120_000;
  const spec: CollectionSpec = {
    name: uniqueCollectionName('m3conf'),
    denseDimension: options.corpus?.dimension ?? 1024,
    metadataFields: CONFORMANCE_METADATA_FIELDS,
  };
  const context = { spec, corpus: syntheticCorpus(options.corpus) } as ConformanceContext;

  describe(`M3StoreV1 conformance: ${options.name}`, { timeout }, () => {
    beforeAll(async () => {
      context.store = await options.create(spec);
      context.capabilities = { ...context.store.capabilities, ...options.capabilities };
      await context.store.ensureCollection();
      context.exact = new ExactStore({ collection: spec });
      await context.exact.ensureCollection();
      await writeBoth(context, context.corpus.records);
    }, timeout * 5);

    afterAll(async () => {
      await context.store?.drop().catch(() => undefined);
      await context.store?.close();
    }, timeout);

    collectionTests(context, options);
    writeTests(context);
    collectionContractTests(context, options);
    filterTests(context);
    queryTests(context);
    inputContractTests(context);
    hostileInputTests(context);
    fuzzTests(context, options.fuzzRuns === undefined ? {} : { fuzzRuns: options.fuzzRuns });
    options.additionalTests?.(context);
  });
}
