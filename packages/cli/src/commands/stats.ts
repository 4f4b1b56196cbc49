import { CollectionMismatchError, ExactStore, InvalidInputError, type Filter, type M3StoreV1, type OperationOptions } from '@m3kit/core';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { parseFilter } from '../filter-syntax.js';
import { modelDimension, resolveModelRef } from '../model.js';
import { formatCount } from '../output/progress.js';
import { openStore, readExactStoreSchema } from '../store/open-store.js';
import { lockStoreFile } from '../store/store-lock.js';
import { STORE_OPTIONS, remoteSchema, selectStore } from '../store/store-options.js';
import { UsageError } from '../usage-error.js';

export const STATS_OPTIONS = {
  ...COMMON_OPTIONS,
  ...STORE_OPTIONS,
  model: { type: 'string', short: 'm' },
  filter: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
} as const;

/**
 * Counts the points of a collection without loading a model. The embedded store's schema is read
 * from its file; a server's collection is counted as it is (nothing is created or changed).
 */
export async function statsCommand(argv: readonly string[], context: CommandContext): Promise<ExitCode> {
  const command = 'stats';
  const { values, positionals } = parseCommandArgs(command, argv, STATS_OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, { command });
  const filter = values.filter === undefined ? undefined : parseFilter(values.filter, command);
  const selection = selectStore(values, context);
  const { target } = selection;
  const options = context.signal ? { signal: context.signal } : {};
  let stats: { points: number; backend: string; dimension?: number; signals?: readonly string[] };
  if (target.kind === 'memory') {
    const schema = await readExactStoreSchema(target.path);
    if (!schema) {
      stats = { points: 0, backend: 'exact' };
      context.note(`note: no collection "${target.collection}" at ${target.path} yet`);
    } else {
      const release = await lockStoreFile(target.path, command);
      const store = new ExactStore({ collection: { name: target.collection, ...schema }, path: target.path });
      try {
        await store.ensureCollection(options);
        stats = { points: await store.count(filter, options), backend: 'exact', dimension: schema.denseDimension, signals: schema.signals };
      } finally {
        await store.close();
        await release();
      }
    }
  } else {
    const modelRef = resolveModelRef(values.model, context.env, context.cwd, command);
    const { signals, metadataFields, denseDimension } = await remoteSchema(selection, values, context);
    const dimension = values.model === undefined && denseDimension !== undefined ? denseDimension : modelDimension(modelRef);
    let store: M3StoreV1 | undefined;
    try {
      store = await openStore({ target, denseDimension: dimension, ...(signals ? { signals } : {}), metadataFields });
      stats = { points: await countOpening(store, filter, options, modelRef.display), backend: store.capabilities.backend };
    } finally {
      await store?.close().catch(() => undefined);
    }
  }
  if (values.json) {
    await context.out(
      JSON.stringify({
        points: stats.points,
        store: target.display,
        collection: target.collection,
        backend: stats.backend,
        ...(stats.dimension !== undefined ? { dimension: stats.dimension } : {}),
        ...(stats.signals !== undefined ? { signals: stats.signals } : {}),
        ...(filter ? { filter } : {}),
      }),
    );
  } else {
    await context.out(`store:      ${target.display}`);
    await context.out(`collection: ${target.collection}`);
    await context.out(`backend:    ${stats.backend}`);
    if (stats.dimension !== undefined) await context.out(`dimension:  ${stats.dimension}`);
    if (stats.signals !== undefined) await context.out(`signals:    ${stats.signals.join(', ')}`);
    await context.out(`points:     ${formatCount(stats.points)}${filter ? ' (matching --filter)' : ''}`);
  }
  return EXIT_CODES.ok;
}

/**
 * Counts without opening the collection where the adapter allows it (so `stats` on a name that
 * does not exist creates nothing); an adapter that needs ensureCollection() first gets it.
 */
async function countOpening(store: M3StoreV1, filter: Filter | undefined, options: OperationOptions, model: string): Promise<number> {
  try {
    return await store.count(filter, options);
  } catch (error) {
    if (!InvalidInputError.isInstance(error)) throw error;
  }
  try {
    await store.ensureCollection(options);
  } catch (error) {
    if (CollectionMismatchError.isInstance(error)) {
      throw new InvalidInputError(`${error.message} (give --model: the model the collection was ingested with, not ${model})`, { cause: error });
    }
    throw error;
  }
  return store.count(filter, options);
}
