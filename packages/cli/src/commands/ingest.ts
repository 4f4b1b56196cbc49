import { isAbsolute, relative, resolve } from 'node:path';
import {
  ingest,
  withSyncFields,
  type IngestReport,
  type M3Document,
  type M3EncoderV1,
  type M3StoreV1,
  type MetadataFieldSpec,
  type Signal,
} from '@m3kit/core';
import { COMMON_OPTIONS, choiceFlag, integerFlag, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import {
  INPUT_FORMATS,
  estimateDocuments,
  readLocatedDocuments,
  type InputIssue,
  type LocatedDocument,
} from '../input/documents.js';
import { inferMetadataFields, peek } from '../input/infer-fields.js';
import { openEncoder, resolveModelRef } from '../model.js';
import { ProgressReporter, formatCount, formatDuration } from '../output/progress.js';
import { writeManifest } from '../store/collection-manifest.js';
import { lookUpCollection } from '../store/collection-spec-lookup.js';
import { modelIdentity, nodeSha256 } from '../store/model-identity.js';
import { openStore } from '../store/open-store.js';
import { parseShard } from '../store/shard-flags.js';
import { lockStoreFile } from '../store/store-lock.js';
import { STORE_OPTIONS, selectStore } from '../store/store-options.js';
import { resolveDataDir, type StoreTarget } from '../store/store-target.js';
import { UsageError } from '../usage-error.js';

export const INGEST_OPTIONS = {
  ...COMMON_OPTIONS,
  ...STORE_OPTIONS,
  model: { type: 'string', short: 'm' },
  'max-tokens': { type: 'string' },
  overlap: { type: 'string' },
  format: { type: 'string' },
  'id-field': { type: 'string' },
  'text-field': { type: 'string' },
  'batch-documents': { type: 'string' },
  'on-error': { type: 'string' },
  'max-file-bytes': { type: 'string' },
  threads: { type: 'string' },
  source: { type: 'string' },
  prune: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  shard: { type: 'string' },
  'shard-count': { type: 'string' },
  json: { type: 'boolean' },
  'progress-interval': { type: 'string' },
} as const;

/** Issues printed one by one before the rest are only counted (the summary has the totals). */
const MAX_PRINTED_ISSUES = 100;
/** Documents read ahead to infer which metadata fields a new server collection indexes. */
const INFER_FIELDS_FROM = 100;
/** Ids a dry run of --prune lists. */
const MAX_LISTED_PRUNES = 20;

/**
 * `m3 ingest`: content-addressed sync of the input into a collection. Documents already stored
 * whole under the same fingerprint are skipped, changed ones re-encoded and their old chunks
 * removed; a rerun after any interruption picks up whatever is missing. `--prune` also removes
 * documents of the same `--source` that the input no longer holds.
 */
export async function ingestCommand(
  argv: readonly string[],
  context: CommandContext,
): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs('ingest', argv, INGEST_OPTIONS);
  const command = 'ingest';
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'give the input: a file, a folder, or - for stdin'
        : `one input only, got ${positionals.length}`,
      { command },
    );
  }
  const input = positionals[0]!;
  const selection = selectStore(values, context);
  const { target } = selection;
  const maxTokens = integerFlag(values['max-tokens'], 'max-tokens', command, { min: 3, max: 8192 });
  const overlap = integerFlag(values.overlap, 'overlap', command, { min: 0 });
  const chunking = {
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(overlap !== undefined ? { overlap } : {}),
  };
  const format = choiceFlag(values.format, 'format', command, INPUT_FORMATS);
  const batchDocuments = integerFlag(values['batch-documents'], 'batch-documents', command, {
    min: 1,
    max: 100_000,
  });
  const onDocumentError =
    choiceFlag(values['on-error'], 'on-error', command, ['skip', 'stop'] as const) ?? 'skip';
  const maxFileBytes =
    integerFlag(values['max-file-bytes'], 'max-file-bytes', command, { min: 1 }) ?? 64 * 2 ** 20;
  const threads = integerFlag(values.threads, 'threads', command, { min: 1, max: 1024 });
  const progressInterval = integerFlag(values['progress-interval'], 'progress-interval', command, {
    min: 0,
  });
  const shard = parseShard(values.shard, values['shard-count'], context.env, command);
  const source = values.source ?? defaultSource(input, context.cwd);
  if (source.length === 0 || source.length > 512)
    throw new UsageError('--source must be 1 to 512 characters', { command });
  const dryRun = values['dry-run'] === true;
  const prune = values.prune === true;

  const issues = new IssueLog(context, onDocumentError);
  const inputOptions = {
    path: input,
    format,
    idField: values['id-field'] ?? 'id',
    textField: values['text-field'] ?? 'text',
    cwd: context.cwd,
    stdin: context.io.stdin,
    maxFileBytes,
    onIssue: (issue: InputIssue) => {
      if (issue.severity === 'skipped') issues.unreadable++;
      issues.add(issue);
    },
    command,
  };
  // Fail on a missing input before the model loads (seconds for the real one).
  const total = await estimateDocuments({ ...inputOptions, onIssue: () => {} });
  const dataDir = resolveDataDir(values['data-dir'], context.env, context.cwd);
  const options = context.signal ? { signal: context.signal } : {};

  const release = target.kind === 'memory' ? await lockStoreFile(target.path, command) : undefined;
  let encoder: M3EncoderV1 | undefined;
  let store: M3StoreV1 | undefined;
  try {
    const existing = await lookUpCollection(target, dataDir, options);
    const collectionModel = existing.state === 'exists' ? existing.spec.model : undefined;
    const modelRef = resolveModelRef(
      values.model ?? (collectionModel?.startsWith('local:') ? undefined : collectionModel),
      context.env,
      context.cwd,
      command,
    );
    const model = await modelIdentity(modelRef);
    let documents: AsyncIterable<LocatedDocument> = readLocatedDocuments(inputOptions);
    let signals: readonly Signal[] | undefined = selection.signals;
    let metadataFields: readonly MetadataFieldSpec[] = selection.metadataFields;
    if (existing.state === 'exists') {
      // The collection's own spec: a second machine or directory ingests into it alike.
      signals ??= existing.spec.signals;
      if (values.field === undefined) metadataFields = existing.spec.metadataFields;
    } else if (target.kind !== 'memory' && values.field === undefined) {
      // A server indexes metadata fields at creation: infer them from the first documents.
      const peeked = await peek(documents, INFER_FIELDS_FROM);
      documents = peeked.all;
      metadataFields = inferMetadataFields(peeked.head.map((d) => d.document));
      if (metadataFields.length > 0) {
        context.note(
          `indexing metadata for filters: ${metadataFields.map((f) => `${f.name}:${f.type}`).join(', ')} ` +
            `(inferred from the first ${Math.min(peeked.head.length, INFER_FIELDS_FROM)} documents; --field NAME:TYPE to choose)`,
        );
      }
    }
    if (dryRun && existing.state === 'missing') {
      await context.out(
        `dry run: no collection "${target.collection}" in ${target.display} yet; every document would be written`,
      );
      return EXIT_CODES.ok;
    }

    context.note(
      `ingest ${input === '-' ? '<stdin>' : input} -> ${target.display}, collection ${target.collection}, model ${modelRef.display}, source ${JSON.stringify(source)}` +
        (shard.count > 1 ? `, shard ${shard.index}/${shard.count}` : '') +
        (total !== undefined ? `, ${formatCount(total)} documents` : '') +
        (dryRun ? ' (dry run: nothing is written)' : ''),
    );
    encoder = await openEncoder(modelRef, {
      ...(threads !== undefined ? { threads } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      onNote: (line) => context.note(line),
    });
    store = await openStore({
      target,
      denseDimension: encoder.denseDimension,
      ...(signals ? { signals } : {}),
      metadataFields:
        withSyncFields({
          name: target.collection,
          denseDimension: encoder.denseDimension,
          metadataFields,
        }).metadataFields ?? [],
      model: collectionModel ?? model,
      onDamage: (message) => context.note(message),
    });
    if (!dryRun) await store.ensureCollection(options);
    else await store.ensureCollection(options).catch(() => undefined);
    if (target.kind !== 'memory' && !dryRun) {
      // A cache for adapters that cannot describe a collection yet; the server's spec comes first.
      await writeManifest(dataDir, target, {
        denseDimension: store.collection.denseDimension,
        signals: store.collection.signals,
        metadataFields: store.collection.metadataFields,
        model: store.collection.model ?? model,
      });
    }

    const progress = new ProgressReporter(context.io.stderr, {
      total,
      resumedFrom: 0,
      ...(progressInterval !== undefined ? { plainIntervalMs: progressInterval } : {}),
    });
    issues.beforePrint = () => progress.finish();
    const duplicates = new DuplicateLog(issues);
    let report: IngestReport;
    try {
      report = await ingest(duplicates.track(documents), {
        encoder,
        store,
        chunking,
        onDocumentError,
        source,
        cleanup: prune ? 'full' : 'incremental',
        canPrune: () =>
          issues.unreadable > 0
            ? `${formatCount(issues.unreadable)} input records could not be read, and their documents would be deleted`
            : undefined,
        dryRun,
        shard,
        modelIdentity: store.collection.model ?? model,
        hash: nodeSha256,
        ...(batchDocuments !== undefined ? { batchDocuments } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
        ...(total !== undefined && shard.count === 1 ? { totalDocuments: total } : {}),
        onProgress: (event) => progress.update(event),
      });
    } finally {
      progress.finish();
    }
    for (const skipped of report.skipped) {
      issues.add({
        file: duplicates.where(skipped.id) ?? `document ${JSON.stringify(skipped.id)}`,
        message: `document ${JSON.stringify(skipped.id)}: ${skipped.reason}`,
        severity: 'skipped',
      });
    }
    for (const id of report.superseded) {
      issues.add({
        file: duplicates.where(id) ?? `document ${JSON.stringify(id)}`,
        message: `document ${JSON.stringify(id)}: a concurrent ingest stored a newer version; that one is kept`,
        severity: 'warning',
      });
    }
    const points = await store.count(undefined, options).catch(() => undefined);
    await printSummary(context, {
      report,
      target,
      points,
      issues,
      json: values.json === true,
      source,
    });
    return issues.skipped > 0 ? EXIT_CODES.skipped : EXIT_CODES.ok;
  } finally {
    await store?.close().catch(() => undefined);
    await encoder?.close().catch(() => undefined);
    await release?.();
  }
}

/** The default prune scope: the input as given, relative to the current directory where it is inside it. */
function defaultSource(input: string, cwd: string): string {
  if (input === '-') return 'stdin';
  const absolute = isAbsolute(input) ? input : resolve(cwd, input);
  const fromCwd = relative(cwd, absolute);
  const shown =
    fromCwd === '' ? '.' : fromCwd.startsWith('..') || isAbsolute(fromCwd) ? absolute : fromCwd;
  return shown.split('\\').join('/');
}

/**
 * Remembers where each id was read, so a repeated id is reported with both places. The last
 * occurrence wins (core gives it the later generation); the first is replaced, never mixed in.
 */
class DuplicateLog {
  private readonly places = new Map<string, string>();

  constructor(private readonly issues: IssueLog) {}

  async *track(documents: AsyncIterable<LocatedDocument>): AsyncGenerator<M3Document> {
    for await (const located of documents) {
      const place = located.line !== undefined ? `${located.file}:${located.line}` : located.file;
      const id = located.document.id;
      const first = this.places.get(id);
      if (first !== undefined) {
        this.issues.add({
          file: located.file,
          ...(located.line !== undefined ? { line: located.line } : {}),
          message: `duplicate id ${JSON.stringify(id)}, first at ${first}: this later occurrence is kept, the earlier one is not stored`,
          severity: 'warning',
        });
      }
      this.places.set(id, place);
      yield located.document;
    }
  }

  where(id: string): string | undefined {
    return this.places.get(id);
  }
}

/** Input problems, printed as they are found (file:line: message) and counted for the summary. */
class IssueLog {
  skipped = 0;
  warnings = 0;
  /** Input records the reader skipped (their ids may be unknown, so a prune could delete their documents). */
  unreadable = 0;
  printed = 0;
  readonly first: InputIssue[] = [];
  beforePrint: () => void = () => {};

  constructor(
    private readonly context: CommandContext,
    private readonly policy: 'skip' | 'stop',
  ) {}

  add(issue: InputIssue): void {
    if (issue.severity === 'skipped') this.skipped++;
    else this.warnings++;
    if (this.first.length < MAX_PRINTED_ISSUES) this.first.push(issue);
    if (this.printed < MAX_PRINTED_ISSUES) {
      this.printed++;
      this.beforePrint();
      const where = issue.line !== undefined ? `${issue.file}:${issue.line}` : issue.file;
      this.context.note(
        `${issue.severity === 'skipped' ? 'skipped' : 'warning'}: ${where}: ${issue.message}`,
      );
    } else if (this.printed === MAX_PRINTED_ISSUES) {
      this.printed++;
      this.context.note(`(more input problems are counted, not printed)`);
    }
    if (issue.severity === 'skipped' && this.policy === 'stop') {
      throw new UsageError(
        `stopped at the first bad input (--on-error stop): ${issue.file}${issue.line !== undefined ? `:${issue.line}` : ''}: ${issue.message}`,
        {
          command: 'ingest',
        },
      );
    }
  }
}

async function printSummary(
  context: CommandContext,
  summary: {
    report: IngestReport;
    target: StoreTarget;
    points: number | undefined;
    issues: IssueLog;
    json: boolean;
    source: string;
  },
): Promise<void> {
  const { report, target, points, issues } = summary;
  if (summary.json) {
    await context.out(
      JSON.stringify({
        store: target.display,
        collection: target.collection,
        source: summary.source,
        dryRun: report.dryRun,
        documents: report.documents,
        written: report.written,
        unchanged: report.unchanged,
        chunks: report.chunks,
        deletedChunks: report.deletedChunks,
        tokens: report.tokens,
        seconds: Number(report.seconds.toFixed(3)),
        duplicates: report.duplicates.length,
        superseded: report.superseded.length,
        otherShards: report.otherShards,
        pruned: report.pruned ?? null,
        skipped: issues.skipped,
        warnings: issues.warnings,
        issues: issues.first,
        points: points ?? null,
      }),
    );
    return;
  }
  const rate =
    report.seconds > 0 && report.tokens > 0
      ? ` (${formatCount(report.tokens / report.seconds)} tokens/s)`
      : '';
  const verb = report.dryRun ? 'dry run: would write' : 'wrote';
  await context.out(
    `${report.dryRun ? 'checked' : 'synced'} ${formatCount(report.documents + (report.dryRun ? report.written : 0))} documents with ${target.display}, collection ${target.collection}`,
  );
  await context.out(
    `  ${verb} ${formatCount(report.written)} new or changed documents (${formatCount(report.chunks)} chunks, ${formatCount(report.tokens)} tokens) in ${formatDuration(report.seconds)}${rate}; ` +
      `${formatCount(report.unchanged)} unchanged, not encoded`,
  );
  if (report.deletedChunks > 0)
    await context.out(`  removed ${formatCount(report.deletedChunks)} chunks of older versions`);
  if (report.otherShards > 0)
    await context.out(`  left ${formatCount(report.otherShards)} documents to the other shards`);
  if (report.pruned) {
    const pruned = report.pruned;
    if (pruned.refused !== undefined) await context.out(`  --prune not done: ${pruned.refused}`);
    else if (pruned.dryRun) {
      await context.out(
        `  --prune would delete ${formatCount(pruned.documents)} documents (${formatCount(pruned.chunks)} chunks) of source ${JSON.stringify(summary.source)} absent from the input${pruned.documents > 0 ? ':' : ''}`,
      );
      for (const id of pruned.sample.slice(0, MAX_LISTED_PRUNES)) await context.out(`    ${id}`);
      if (pruned.documents > MAX_LISTED_PRUNES)
        await context.out(`    ... and ${formatCount(pruned.documents - MAX_LISTED_PRUNES)} more`);
    } else {
      await context.out(
        `  pruned ${formatCount(pruned.documents)} documents (${formatCount(pruned.chunks)} chunks) absent from the input`,
      );
    }
  }
  if (report.duplicates.length > 0)
    await context.out(
      `  duplicate ids: ${formatCount(report.duplicates.length)} (the last occurrence kept; listed on stderr)`,
    );
  if (issues.skipped > 0)
    await context.out(`  skipped: ${formatCount(issues.skipped)} (listed on stderr)`);
  if (issues.warnings > 0)
    await context.out(`  warnings: ${formatCount(issues.warnings)} (listed on stderr)`);
  if (points !== undefined) await context.out(`  points in the collection: ${formatCount(points)}`);
}
