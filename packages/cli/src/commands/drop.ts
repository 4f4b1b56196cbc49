import { rm } from 'node:fs/promises';
import {
  removeExactStoreSideFiles,
  BGE_M3_DENSE_DIMENSION,
  CollectionMismatchError,
  ExactStore,
  InvalidInputError,
  type M3StoreV1,
  type OperationOptions,
} from '@m3kit/core';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { formatCount } from '../output/progress.js';
import { removeManifest } from '../store/collection-manifest.js';
import { openStore, readExactStoreSchema } from '../store/open-store.js';
import { lockStoreFile } from '../store/store-lock.js';
import { STORE_TARGET_OPTIONS, selectStore } from '../store/store-options.js';
import { resolveDataDir, type StoreTarget } from '../store/store-target.js';
import { UsageError } from '../usage-error.js';

export const DROP_OPTIONS = {
  ...COMMON_OPTIONS,
  ...STORE_TARGET_OPTIONS,
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
} as const;

/**
 * Deletes a collection and every point in it, then the data dir's copy of its schema, so the
 * next `m3 ingest` of that name starts from nothing.
 * Nothing happens without --yes: the refusal says what would go. A collection that does not
 * exist is not an error (exit 0), so a script may drop twice.
 */
export async function dropCommand(
  argv: readonly string[],
  context: CommandContext,
): Promise<ExitCode> {
  const command = 'drop';
  const { values, positionals } = parseCommandArgs(command, argv, DROP_OPTIONS);
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])}: name the collection with --collection or in --store`,
      { command },
    );
  }
  const { target } = selectStore(values, context);
  const dataDir = resolveDataDir(values['data-dir'], context.env, context.cwd);
  const options = context.signal ? { signal: context.signal } : {};
  const confirmed = values.yes === true;

  const presence =
    target.kind === 'memory'
      ? await dropExact(target, confirmed, options)
      : await dropRemote(target, confirmed, options);
  if (!presence.exists) {
    if (confirmed) await forgetCollection(context, dataDir, target);
    if (values.json) {
      await context.out(
        JSON.stringify({
          dropped: null,
          collection: target.collection,
          points: 0,
          store: target.display,
        }),
      );
    } else {
      await context.out(
        `no collection "${target.collection}" in ${target.display}: nothing to drop`,
      );
    }
    return EXIT_CODES.ok;
  }
  const what = `collection "${target.collection}"${describePoints(presence.points)}`;
  if (!confirmed) {
    throw new UsageError(
      `this would drop ${what} from ${target.display}; run it again with --yes to drop it`,
      { command },
    );
  }
  await forgetCollection(context, dataDir, target);
  if (values.json) {
    await context.out(
      JSON.stringify({
        dropped: target.collection,
        points: presence.points ?? null,
        store: target.display,
      }),
    );
  } else {
    await context.out(`dropped ${what} from ${target.display}`);
  }
  return EXIT_CODES.ok;
}

/** Whether the collection was there, and its point count where it could be read. */
interface CollectionPresence {
  readonly exists: boolean;
  readonly points: number | undefined;
}

/**
 * The embedded store, under the store file's lock (an ingest appending to the file must not
 * interleave with its removal): opened with the schema in its header to count it, then dropped
 * (the file deleted) when confirmed.
 */
/** The store file and its ColBERT side files (format 4 keeps the rows beside the file). */
async function removeExactStoreFile(path: string): Promise<void> {
  await rm(path, { force: true });
  await removeExactStoreSideFiles(path);
}

async function dropExact(
  target: Extract<StoreTarget, { kind: 'memory' }>,
  confirmed: boolean,
  options: OperationOptions,
): Promise<CollectionPresence> {
  const release = await lockStoreFile(target.path, 'drop');
  try {
    // A file whose header cannot be read is still dropped: drop must always work.
    let schema: Awaited<ReturnType<typeof readExactStoreSchema>>;
    try {
      schema = await readExactStoreSchema(target.path);
    } catch {
      if (confirmed) await removeExactStoreFile(target.path);
      return { exists: true, points: undefined };
    }
    if (!schema) {
      // No file, or an empty one a crash left before its header: nothing is lost by removing it.
      if (confirmed) await removeExactStoreFile(target.path);
      return { exists: false, points: undefined };
    }
    // Counting reads the file; a damaged one still drops (the count is then unknown).
    const store = new ExactStore({
      collection: { name: target.collection, ...schema },
      path: target.path,
    });
    let points: number | undefined;
    try {
      await store.ensureCollection(options);
      points = await store.count(undefined, options);
    } catch {
      points = undefined;
    } finally {
      await store.close().catch(() => undefined);
    }
    if (confirmed) await removeExactStoreFile(target.path);
    return { exists: true, points };
  } finally {
    await release();
  }
}

/**
 * A server collection, through the store contract alone: exists() says whether it is there
 * (nothing is created), its count comes from a store opened with the spec the server records,
 * and drop() removes it when confirmed. A collection m3kit did not make, or whose spec cannot be
 * read, is still dropped; its count is then unknown.
 */
async function dropRemote(
  target: Exclude<StoreTarget, { kind: 'memory' }>,
  confirmed: boolean,
  options: OperationOptions,
): Promise<CollectionPresence> {
  const probe = await openStore({ target, denseDimension: BGE_M3_DENSE_DIMENSION });
  let counter: M3StoreV1 | undefined;
  try {
    if (!(await probe.exists(options))) return { exists: false, points: undefined };
    let points: number | undefined;
    try {
      const spec = await probe.describeCollection(options);
      if (spec) {
        counter = await openStore({
          target,
          denseDimension: spec.denseDimension,
          signals: spec.signals,
          metadataFields: spec.metadataFields,
          ...(spec.model ? { model: spec.model } : {}),
          storeText: spec.storeText,
        });
        await counter.ensureCollection(options);
        points = await counter.count(undefined, options);
      }
    } catch (error) {
      // Not m3kit's layout: drop it all the same. A server that fails is not hidden.
      if (!CollectionMismatchError.isInstance(error) && !InvalidInputError.isInstance(error))
        throw error;
    }
    if (confirmed) await probe.drop(options);
    return { exists: true, points };
  } finally {
    await counter?.close().catch(() => undefined);
    await probe.close().catch(() => undefined);
  }
}

/** Removes the schema copy the data dir may hold for a collection that is gone. */
async function forgetCollection(
  _context: CommandContext,
  dataDir: string,
  target: StoreTarget,
): Promise<void> {
  await removeManifest(dataDir, target);
}

function describePoints(points: number | undefined): string {
  if (points === undefined) return '';
  return ` (${formatCount(points)} point${points === 1 ? '' : 's'})`;
}
