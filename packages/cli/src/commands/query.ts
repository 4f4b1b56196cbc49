import {
  InvalidInputError,
  defaultCandidateDepth,
  type Fusion,
  type HybridQuery,
  type M3EncoderV1,
  type M3StoreV1,
  type ResolvedCollectionSpec,
  type Signal,
} from '@m3kit/core';
import { COMMON_OPTIONS, choiceFlag, integerFlag, numberFlag, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { parseFilter } from '../filter-syntax.js';
import { type ModelRef, modelDimension, openEncoder, resolveModelRef } from '../model.js';
import { renderQueryTable } from '../output/table.js';
import { lookUpCollection } from '../store/collection-spec-lookup.js';
import { hubModelOf, modelIdentity } from '../store/model-identity.js';
import { openStore } from '../store/open-store.js';
import { STORE_OPTIONS, remoteSchema, selectStore } from '../store/store-options.js';
import { resolveDataDir } from '../store/store-target.js';
import { UsageError } from '../usage-error.js';

export const QUERY_OPTIONS = {
  ...COMMON_OPTIONS,
  ...STORE_OPTIONS,
  model: { type: 'string', short: 'm' },
  mode: { type: 'string' },
  fusion: { type: 'string' },
  filter: { type: 'string', short: 'f' },
  'top-k': { type: 'string', short: 'k' },
  candidates: { type: 'string' },
  weights: { type: 'string' },
  'rrf-k': { type: 'string' },
  'max-length': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const MODES = ['dense', 'sparse', 'colbert', 'hybrid'] as const;
/** FlagEmbedding's query max length (`query_max_length`): queries are short; passages get the model's. */
export const QUERY_MAX_LENGTH = 512;
const FUSIONS = ['weighted', 'rrf', 'dbsf'] as const;

export async function queryCommand(
  argv: readonly string[],
  context: CommandContext,
): Promise<ExitCode> {
  const command = 'query';
  const { values, positionals } = parseCommandArgs(command, argv, QUERY_OPTIONS);
  if (positionals.length !== 1 || positionals[0]!.trim() === '') {
    throw new UsageError(
      positionals.length > 1
        ? 'quote the query text: m3 query "your question"'
        : 'give the query text: m3 query "your question"',
      { command },
    );
  }
  const text = positionals[0]!;
  const mode = choiceFlag(values.mode, 'mode', command, MODES) ?? 'hybrid';
  const fusionKind = choiceFlag(values.fusion, 'fusion', command, FUSIONS) ?? 'weighted';
  const topK = integerFlag(values['top-k'], 'top-k', command, { min: 1, max: 10_000 }) ?? 10;
  const candidates = integerFlag(values.candidates, 'candidates', command, { min: 1, max: 10_000 });
  const rrfK =
    values['rrf-k'] === undefined ? undefined : numberFlag(values['rrf-k'], 'rrf-k', command);
  const maxLength = integerFlag(values['max-length'], 'max-length', command, { min: 3 });
  const filter = values.filter === undefined ? undefined : parseFilter(values.filter, command);
  const weights = values.weights === undefined ? undefined : parseWeights(values.weights, command);
  checkFusionFlags({ mode, fusionKind, weights: values.weights, rrfK: values['rrf-k'] }, command);
  if (mode !== 'hybrid' && values.fusion !== undefined) {
    context.note(`note: --fusion applies to --mode hybrid; --mode ${mode} ranks by ${mode} alone`);
  }
  const selection = selectStore(values, context);
  const { target } = selection;
  // Every collection records its spec (fields, signals, dimension, model): a server's on the
  // server, the embedded store's in its file's header. Read it there, never from this directory,
  // and never create a collection by asking.
  const lookup = await lookUpCollection(
    target,
    resolveDataDir(values['data-dir'], context.env, context.cwd),
    context.signal ? { signal: context.signal } : {},
  );
  if (lookup.state === 'missing') {
    if (target.kind === 'memory') {
      throw new InvalidInputError(
        `there is no collection "${target.collection}" at ${target.path}: run \`m3 ingest\` first (or give --store/--data-dir)`,
      );
    }
    throw new UsageError(
      `no collection "${target.collection}" in ${target.display}: nothing to query (m3 ingest creates it)`,
      { command },
    );
  }
  const recorded = lookup.state === 'exists' ? lookup.spec : undefined;
  const modelRef = await queryModel(values.model, recorded, context, command);

  let signals = selection.signals;
  let metadataFields = selection.metadataFields;
  let denseDimension: number | undefined;
  if (recorded) {
    signals ??= recorded.signals;
    metadataFields = recorded.metadataFields;
    denseDimension = recorded.denseDimension;
    // A store file from before the model was recorded: the dimension is all there is to compare.
    const modelDense = modelDimension(modelRef);
    if (recorded.model === undefined && modelDense !== denseDimension) {
      throw new InvalidInputError(
        `the collection "${target.collection}" holds ${denseDimension}-dimensional vectors but --model ${modelRef.display} makes ${modelDense}: query with the model it was ingested with`,
      );
    }
  } else if (target.kind !== 'memory') {
    ({ signals, metadataFields } = await remoteSchema(selection, values, context));
  }
  const querySignals: readonly Signal[] =
    mode === 'hybrid' ? (signals ?? ['dense', 'sparse', 'colbert']) : [mode];

  let encoder: M3EncoderV1 | undefined;
  let store: M3StoreV1 | undefined;
  try {
    encoder = await openEncoder(modelRef, {
      ...(maxLength !== undefined ? { maxLength } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      onNote: (line) => context.note(line),
    });
    store = await openStore({
      target,
      denseDimension: denseDimension ?? encoder.denseDimension,
      ...(signals ? { signals } : {}),
      metadataFields,
      ...(recorded?.model ? { model: recorded.model } : {}),
      ...(recorded ? { storeText: recorded.storeText } : {}),
      // The embedded store is read without the writer's lock: a running ingest does not lock
      // readers out (its file is an append-only log; a torn last line is skipped).
      readOnly: true,
    });
    const options = context.signal ? { signal: context.signal } : {};
    await store.ensureCollection(options);
    const queryMaxLength = maxLength ?? Math.min(QUERY_MAX_LENGTH, encoder.maxLength);
    const [embedding] = await encoder.encode([text], {
      dense: querySignals.includes('dense'),
      sparse: querySignals.includes('sparse'),
      colbert: querySignals.includes('colbert'),
      maxLength: queryMaxLength,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    const { tokenCount: _tokens, truncated, ...queryEmbedding } = embedding!;
    if (truncated) {
      const more =
        queryMaxLength < encoder.maxLength
          ? ` (--max-length takes up to ${encoder.maxLength})`
          : '';
      context.note(`note: the query was truncated to ${queryMaxLength} tokens${more}`);
    }
    const fusion: Fusion =
      fusionKind === 'rrf'
        ? { kind: 'rrf', ...(rrfK !== undefined ? { k: rrfK } : {}) }
        : { kind: fusionKind };
    const query: HybridQuery = {
      embedding: queryEmbedding,
      signals: querySignals,
      fusion,
      topK,
      ...(weights ? { weights } : {}),
      candidates: candidates ?? defaultCandidateDepth(topK),
      ...(filter ? { filter } : {}),
    };
    const result = await store.query(query, options);
    if (values.json) {
      await context.out(
        JSON.stringify({
          query: text,
          mode,
          ...(mode === 'hybrid' ? { fusion: fusionKind } : {}),
          ...(filter ? { filter } : {}),
          store: target.display,
          collection: target.collection,
          hits: result.hits.map((hit, i) => ({ rank: i + 1, ...hit })),
          execution: result.execution,
          warnings: result.warnings,
        }),
      );
    } else {
      const columns = context.io.stdout.columns ?? 120;
      for (const line of renderQueryTable(result, querySignals, columns)) await context.out(line);
      await context.out('');
      await context.out(
        `execution: fusion ${result.execution.fusion}, colbert ${result.execution.colbert}: ${result.execution.description}`,
      );
      for (const warning of result.warnings) await context.out(`warning: ${warning}`);
    }
    return EXIT_CODES.ok;
  } finally {
    await store?.close().catch(() => undefined);
    await encoder?.close().catch(() => undefined);
  }
}

/** Flags a fusion would ignore are refused: a weight or k that changes nothing is a mistake. */
function checkFusionFlags(
  flags: {
    mode: string;
    fusionKind: string;
    weights: string | undefined;
    rrfK: string | undefined;
  },
  command: string,
): void {
  const { mode, fusionKind } = flags;
  const ranking = mode === 'hybrid' ? `--fusion ${fusionKind}` : `--mode ${mode}`;
  if (flags.weights !== undefined && (mode !== 'hybrid' || fusionKind !== 'weighted')) {
    throw new UsageError(
      `--weights applies to --fusion weighted of --mode hybrid; ${ranking} does not use weights`,
      { command },
    );
  }
  if (flags.rrfK !== undefined && (mode !== 'hybrid' || fusionKind !== 'rrf')) {
    throw new UsageError(
      `--rrf-k applies to --fusion rrf of --mode hybrid; ${ranking} does not use it`,
      { command },
    );
  }
}

const SIGNAL_ORDER: readonly Signal[] = ['dense', 'sparse', 'colbert'];

/**
 * `--weights dense=0.4,sparse=0.2,colbert=0.4` or `--weights 0.4,0.2,0.4` (that order). The given
 * weights replace the defaults: a signal left out weighs 0 (`--weights dense=1` ranks by dense
 * alone), so the result never depends on defaults the user did not see.
 */
function parseWeights(value: string, command: string): Record<Signal, number> {
  const usage = (why: string): UsageError =>
    new UsageError(
      `--weights: ${why}; expected dense=W,sparse=W,colbert=W, got ${JSON.stringify(value)}`,
      { command },
    );
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length > SIGNAL_ORDER.length) throw usage('at most three weights');
  const weights: Record<Signal, number> = { dense: 0, sparse: 0, colbert: 0 };
  const seen = new Set<string>();
  parts.forEach((part, i) => {
    const [name, raw, extra] = part.includes('=') ? part.split('=') : [SIGNAL_ORDER[i], part];
    if (
      !name ||
      !(SIGNAL_ORDER as readonly string[]).includes(name) ||
      raw === undefined ||
      extra !== undefined
    )
      throw usage(`cannot read ${JSON.stringify(part)}`);
    if (seen.has(name)) throw usage(`${name} given twice`);
    seen.add(name);
    const weight = numberFlag(raw, 'weights', command);
    if (weight < 0) throw new UsageError('--weights must not be negative', { command });
    weights[name as Signal] = weight;
  });
  if (SIGNAL_ORDER.every((signal) => weights[signal] === 0)) throw usage('the weights sum to 0');
  return weights;
}

/**
 * The model to encode the query with: `--model` (or M3_MODEL) when given, which must be the model
 * the collection records; else the recorded one, a hub id loaded as such. A local model cannot
 * be found from its identity (`local:<name>:<config hash>`), so its absence is an error naming it.
 * The same on every store: the embedded store's file records the model as a server does.
 */
async function queryModel(
  flag: string | undefined,
  collection: ResolvedCollectionSpec | undefined,
  context: CommandContext,
  command: string,
): Promise<ModelRef> {
  const recorded = collection?.model;
  const given = flag ?? context.env.M3_MODEL;
  if (given === undefined && recorded !== undefined) {
    const hub = hubModelOf(recorded);
    if (hub === undefined) {
      throw new UsageError(
        `the collection was ingested with the local model ${recorded}, which is not available here: give its directory with --model DIR (or M3_MODEL)`,
        { command },
      );
    }
    return resolveModelRef(hub, context.env, context.cwd, command);
  }
  const ref = resolveModelRef(flag, context.env, context.cwd, command);
  if (recorded !== undefined) {
    const identity = await modelIdentity(ref);
    if (identity !== recorded) {
      // A local directory says its dimension without loading: when it differs, say that too.
      const dense = ref.kind === 'directory' ? modelDimension(ref) : undefined;
      const dimensions =
        dense !== undefined && dense !== collection!.denseDimension
          ? `; the collection holds ${collection!.denseDimension}-dimensional vectors but --model ${ref.display} makes ${dense}`
          : '';
      throw new UsageError(
        `--model ${ref.display} is ${identity}, but the collection was ingested with ${recorded}${dimensions}: query with that model (or leave --model out${hubModelOf(recorded) ? ' to use it' : ''})`,
        { command },
      );
    }
  }
  return ref;
}
