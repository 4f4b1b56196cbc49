import {
  ALL_SIGNALS,
  type MetadataFieldSpec,
  type MetadataFieldType,
  type Signal,
} from '@m3kit/core';
import type { CommandContext } from '../context.js';
import { UsageError } from '../usage-error.js';
import { readManifest } from './collection-manifest.js';
import { parseStoreTarget, resolveDataDir, type StoreTarget } from './store-target.js';

/** Flags that name a store and a collection, with the credentials to reach it. */
export const STORE_TARGET_OPTIONS = {
  store: { type: 'string', short: 's' },
  collection: { type: 'string', short: 'c' },
  'data-dir': { type: 'string' },
  'api-key': { type: 'string' },
  token: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
} as const;

/** Flags of every command that opens a store: the target, and the schema to open it with. */
export const STORE_OPTIONS = {
  ...STORE_TARGET_OPTIONS,
  signals: { type: 'string' },
  field: { type: 'string', multiple: true },
} as const;

export interface StoreFlagValues {
  readonly store?: string | undefined;
  readonly collection?: string | undefined;
  readonly 'data-dir'?: string | undefined;
  readonly signals?: string | undefined;
  readonly field?: string[] | undefined;
  readonly 'api-key'?: string | undefined;
  readonly token?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

export interface StoreSelection {
  readonly target: StoreTarget;
  /** Signals asked for with --signals; undefined = the collection's (all three for a new one). */
  readonly signals: readonly Signal[] | undefined;
  readonly metadataFields: readonly MetadataFieldSpec[];
}

const FIELD_TYPES: readonly MetadataFieldType[] = [
  'keyword',
  'keyword[]',
  'integer',
  'float',
  'boolean',
];

export function selectStore(values: StoreFlagValues, context: CommandContext): StoreSelection {
  const target = parseStoreTarget({
    store: values.store,
    collection: values.collection,
    dataDir: values['data-dir'],
    credentials: {
      apiKey: values['api-key'],
      token: values.token,
      username: values.username,
      password: values.password,
    },
    env: context.env,
    cwd: context.cwd,
    command: context.command,
    redactor: context.redactor,
  });
  return {
    target,
    signals:
      values.signals === undefined ? undefined : parseSignals(values.signals, context.command),
    metadataFields: (values.field ?? []).map((spec) => parseField(spec, context.command)),
  };
}

function parseSignals(value: string, command: string): Signal[] {
  const signals = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const signal of signals) {
    if (!(ALL_SIGNALS as readonly string[]).includes(signal)) {
      throw new UsageError(`--signals: unknown signal "${signal}" (dense, sparse, colbert)`, {
        command,
      });
    }
  }
  if (signals.length === 0)
    throw new UsageError('--signals needs at least one of dense, sparse, colbert', { command });
  return signals as Signal[];
}

/** `--field lang:keyword`: a metadata field the backend indexes for filtering. */
function parseField(spec: string, command: string): MetadataFieldSpec {
  const [name, type = 'keyword'] = spec.split(':');
  if (!name || !(FIELD_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(
      `--field ${spec}: expected NAME:TYPE with TYPE one of ${FIELD_TYPES.join(', ')}`,
      { command },
    );
  }
  return { name, type: type as MetadataFieldType };
}

/**
 * The schema to open a server collection with when reading it (query, stats): the flags, else
 * what `m3 ingest` remembered in the data dir for this store and collection.
 */
export async function remoteSchema(
  selection: StoreSelection,
  values: StoreFlagValues,
  context: CommandContext,
): Promise<{
  signals: readonly Signal[] | undefined;
  metadataFields: readonly MetadataFieldSpec[];
  denseDimension: number | undefined;
}> {
  const manifest = await readManifest(
    resolveDataDir(values['data-dir'], context.env, context.cwd),
    selection.target,
  );
  return {
    signals: selection.signals ?? manifest?.signals,
    metadataFields:
      values.field === undefined ? (manifest?.metadataFields ?? []) : selection.metadataFields,
    denseDimension: manifest?.denseDimension,
  };
}
