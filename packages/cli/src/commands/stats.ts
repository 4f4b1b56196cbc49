import { ExactStore, type M3StoreV1 } from '@m3kit/core';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { parseFilter } from '../filter-syntax.js';
import { formatCount } from '../output/progress.js';
import { lookUpCollection } from '../store/collection-spec-lookup.js';
import { describeDamage, openStore } from '../store/open-store.js';
import { lockStoreFile } from '../store/store-lock.js';
import { STORE_OPTIONS, selectStore } from '../store/store-options.js';
import { resolveDataDir } from '../store/store-target.js';
import { UsageError } from '../usage-error.js';

export const STATS_OPTIONS = {
  ...COMMON_OPTIONS,
  ...STORE_OPTIONS,
  model: { type: 'string', short: 'm' },
  filter: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
  repair: { type: 'boolean' },
} as const;

/**
 * Counts the points of a collection without loading a model. The collection's spec comes from
 * the backend itself (describeCollection), so any machine and directory sees the same; a
 * collection that does not exist is an error, and nothing is ever created.
 */
export async function statsCommand(
  argv: readonly string[],
  context: CommandContext,
): Promise<ExitCode> {
  const command = 'stats';
  const { values, positionals } = parseCommandArgs(command, argv, STATS_OPTIONS);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, { command });
  const filter = values.filter === undefined ? undefined : parseFilter(values.filter, command);
  const { target } = selectStore(values, context);
  const options = context.signal ? { signal: context.signal } : {};
  const dataDir = resolveDataDir(values['data-dir'], context.env, context.cwd);
  const lookup = await lookUpCollection(target, dataDir, options);
  if (lookup.state === 'missing') {
    throw new UsageError(
      `no collection "${target.collection}" in ${target.display}: nothing to count (m3 ingest creates it)`,
      { command },
    );
  }
  if (lookup.state === 'unknown') {
    throw new UsageError(
      `${target.display}: this backend's adapter cannot describe collection "${target.collection}" yet, and the data dir holds no copy of its schema`,
      { command },
    );
  }
  const spec = lookup.spec;
  let store: M3StoreV1 | undefined;
  let points: number;
  const repair = values.repair === true;
  if (repair && target.kind !== 'memory')
    throw new UsageError('--repair applies to the embedded store (memory) only', { command });
  // The embedded store reads its file without the writer's lock (an ingest may be running);
  // --repair rewrites it, so it takes the lock.
  const release =
    repair && target.kind === 'memory' ? await lockStoreFile(target.path, command) : undefined;
  try {
    store =
      target.kind === 'memory'
        ? new ExactStore({
            collection: spec,
            path: target.path,
            readOnly: !repair,
            repair,
            onDamage: (d) => context.note(describeDamage(d)),
          })
        : await openStore({
            target,
            denseDimension: spec.denseDimension,
            signals: spec.signals,
            metadataFields: spec.metadataFields,
            ...(spec.model ? { model: spec.model } : {}),
            storeText: spec.storeText,
          });
    await store.ensureCollection(options);
    points = await store.count(filter, options);
    if (repair && store instanceof ExactStore) {
      context.note(
        store.damage.length > 0
          ? `repaired ${target.display}: ${store.damage.length} damaged line(s) left out, ${points} records kept`
          : `${target.display} had no damage; rewritten clean`,
      );
    }
  } finally {
    await store?.close().catch(() => undefined);
    await release?.();
  }
  const backend = store.capabilities.backend;
  if (values.json) {
    await context.out(
      JSON.stringify({
        points,
        store: target.display,
        collection: target.collection,
        backend,
        dimension: spec.denseDimension,
        signals: spec.signals,
        metadataFields: spec.metadataFields,
        ...(spec.model ? { model: spec.model } : {}),
        ...(filter ? { filter } : {}),
      }),
    );
  } else {
    await context.out(`store:      ${target.display}`);
    await context.out(`collection: ${target.collection}`);
    await context.out(`backend:    ${backend}`);
    await context.out(`dimension:  ${spec.denseDimension}`);
    await context.out(`signals:    ${spec.signals.join(', ')}`);
    if (spec.model) await context.out(`model:      ${spec.model}`);
    await context.out(`points:     ${formatCount(points)}${filter ? ' (matching --filter)' : ''}`);
  }
  return EXIT_CODES.ok;
}
