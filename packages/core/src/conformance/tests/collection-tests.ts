import { expect, it } from 'vitest';
import { CollectionMismatchError } from '../../errors/collection-mismatch-error.js';
import type { ConformanceContext } from '../conformance-context.js';
import type { StoreConformanceOptions } from '../run-store-conformance.js';

export function collectionTests(
  context: ConformanceContext,
  options: StoreConformanceOptions,
): void {
  it('declares its capabilities as data', () => {
    const { capabilities } = context;
    expect(capabilities.backend.length).toBeGreaterThan(0);
    expect(capabilities.signals.length).toBeGreaterThan(0);
    for (const mode of ['dense', 'sparse', 'colbert', 'weighted', 'rrf', 'dbsf'] as const) {
      expect(capabilities.accuracy[mode], `accuracy for ${mode}`).toBeDefined();
    }
    expect(context.store.specificationVersion).toBe('v1');
  });

  it('holds every document written', async () => {
    expect(await context.store.count()).toBe(context.corpus.records.length);
  });

  it('finds the existing collection again instead of creating it', async () => {
    const again = await options.create(context.spec);
    try {
      expect(await again.ensureCollection()).toEqual({ created: false });
      expect(await again.count()).toBe(context.corpus.records.length);
    } finally {
      await again.close();
    }
  });

  it('rejects an existing collection with another dense dimension, naming the difference', async () => {
    const other = await options.create({
      ...context.spec,
      denseDimension: context.spec.denseDimension / 2,
    });
    try {
      const error = await other.ensureCollection().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(CollectionMismatchError.isInstance(error), `got ${String(error)}`).toBe(true);
      expect((error as CollectionMismatchError).differences.join(' ')).toMatch(/dim/i);
    } finally {
      await other.close();
    }
  });
}
