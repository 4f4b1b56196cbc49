import { resolve } from 'node:path';
import {
  fileCheckpoint,
  ingest,
  type IngestReport,
  type M3Document,
  type M3EncoderV1,
  type M3StoreV1,
  type Signal,
} from '@m3kit/core';
import { COMMON_OPTIONS, choiceFlag, integerFlag, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { INPUT_FORMATS, estimateDocuments, readDocuments, type InputIssue } from '../input/documents.js';
import { inferMetadataFields, peek } from '../input/infer-fields.js';
import { openEncoder, resolveModelRef } from '../model.js';
import { ProgressReporter, formatCount, formatDuration } from '../output/progress.js';
import { readManifest, writeManifest } from '../store/collection-manifest.js';
import { ingestCheckpointLocation } from '../store/ingest-checkpoint-file.js';
import { openStore, readExactStoreSchema } from '../store/open-store.js';
import { lockStoreFile } from '../store/store-lock.js';
import { orderedCheckpoint } from '../store/ordered-checkpoint.js';
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
  json: { type: 'boolean' },
  'progress-interval': { type: 'string' },
} as const;

/** Issues printed one by one before the rest are only counted (the summary has the totals). */
const MAX_PRINTED_ISSUES = 100;
/** Documents read ahead to infer which metadata fields a new server collection indexes. */
const INFER_FIELDS_FROM = 100;

export async function ingestCommand(argv: readonly string[], context: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs('ingest', argv, INGEST_OPTIONS);
  const command = 'ingest';
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'give the input: a file, a folder, or - for stdin' : `one input only, got ${positionals.length}`, { command });
  }
  const input = positionals[0]!;
  const selection = selectStore(values, context);
  const { target } = selection;
  const modelRef = resolveModelRef(values.model, context.env, context.cwd, command);
  const maxTokens = integerFlag(values['max-tokens'], 'max-tokens', command, { min: 3, max: 8192 });
  const overlap = integerFlag(values.overlap, 'overlap', command, { min: 0 });
  const chunking = { ...(maxTokens !== undefined ? { maxTokens } : {}), ...(overlap !== undefined ? { overlap } : {}) };
  const format = choiceFlag(values.format, 'format', command, INPUT_FORMATS);
  const batchDocuments = integerFlag(values['batch-documents'], 'batch-documents', command, { min: 1, max: 100_000 });
  const onDocumentError = choiceFlag(values['on-error'], 'on-error', command, ['skip', 'stop'] as const) ?? 'skip';
  const maxFileBytes = integerFlag(values['max-file-bytes'], 'max-file-bytes', command, { min: 1 }) ?? 64 * 2 ** 20;
  const threads = integerFlag(values.threads, 'threads', command, { min: 1, max: 1024 });
  const progressInterval = integerFlag(values['progress-interval'], 'progress-interval', command, { min: 0 });

  const issues = new IssueLog(context, onDocumentError);
  const inputOptions = {
    path: input,
    format,
    idField: values['id-field'] ?? 'id',
    textField: values['text-field'] ?? 'text',
    cwd: context.cwd,
    stdin: context.io.stdin,
    maxFileBytes,
    onIssue: (issue: InputIssue) => issues.add(issue),
    command,
  };
  // Fail on a missing input before the model loads (seconds for the real one).
  const total = await estimateDocuments({ ...inputOptions, onIssue: () => {} });

  const dataDir = resolveDataDir(values['data-dir'], context.env, context.cwd);
  let documents: AsyncIterable<M3Document> = readDocuments(inputOptions);
  let signals: readonly Signal[] | undefined = selection.signals;
  let metadataFields = selection.metadataFields;
  if (target.kind === 'memory') {
    signals ??= (await readExactStoreSchema(target.path))?.signals;
  } else {
    // A server indexes metadata fields at creation and compares them when the collection is
    // opened again: reuse what an earlier ingest created, else infer from the first documents.
    const manifest = await readManifest(dataDir, target);
    signals ??= manifest?.signals;
    if (values.field === undefined && manifest) {
      metadataFields = manifest.metadataFields;
    } else if (values.field === undefined) {
      const peeked = await peek(documents, INFER_FIELDS_FROM);
      documents = peeked.all;
      metadataFields = inferMetadataFields(peeked.head);
      if (metadataFields.length > 0) {
        context.note(
          `indexing metadata for filters: ${metadataFields.map((f) => `${f.name}:${f.type}`).join(', ')} ` +
            `(inferred from the first ${Math.min(peeked.head.length, INFER_FIELDS_FROM)} documents; --field NAME:TYPE to choose)`,
        );
      }
    }
  }

  context.note(
    `ingest ${input === '-' ? '<stdin>' : input} -> ${target.display}, collection ${target.collection}, model ${modelRef.display}` +
      (total !== undefined ? `, ${formatCount(total)} documents` : ''),
  );
  const release = target.kind === 'memory' ? await lockStoreFile(target.path, command) : undefined;
  let encoder: M3EncoderV1 | undefined;
  let store: M3StoreV1 | undefined;
  try {
    encoder = await openEncoder(modelRef, {
      ...(threads !== undefined ? { threads } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      onNote: (line) => context.note(line),
    });
    store = await openStore({
      target,
      denseDimension: encoder.denseDimension,
      ...(signals ? { signals } : {}),
      metadataFields,
    });
    await store.ensureCollection(context.signal ? { signal: context.signal } : {});
    if (target.kind !== 'memory') {
      await writeManifest(dataDir, target, {
        denseDimension: store.collection.denseDimension,
        signals: store.collection.signals,
        metadataFields: store.collection.metadataFields,
        model: modelRef.display,
      });
    }

    const { key: checkpointKey, path: checkpointPath } = ingestCheckpointLocation(
      dataDir,
      input === '-' ? '-' : resolve(context.cwd, input),
      target,
    );
    const checkpoint = orderedCheckpoint(fileCheckpoint(checkpointPath));
    const previous = await checkpoint.load();
    const resumedFrom = previous?.key === checkpointKey ? previous.committedDocuments : 0;
    if (resumedFrom > 0) context.note(`resuming: the first ${formatCount(resumedFrom)} documents were committed by an earlier run`);

    const progress = new ProgressReporter(context.io.stderr, {
      total,
      resumedFrom,
      ...(progressInterval !== undefined ? { plainIntervalMs: progressInterval } : {}),
    });
    issues.beforePrint = () => progress.finish();
    let report: IngestReport;
    try {
      report = await ingest(documents, {
        encoder,
        store,
        chunking,
        checkpoint,
        checkpointKey,
        onDocumentError,
        ...(batchDocuments !== undefined ? { batchDocuments } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
        ...(total !== undefined ? { totalDocuments: Math.max(0, total - resumedFrom) } : {}),
        onProgress: (event) => progress.update(event),
      });
    } finally {
      progress.finish();
    }
    for (const skipped of report.skipped) {
      issues.add({ file: `document ${JSON.stringify(skipped.id)}`, message: skipped.reason, severity: 'skipped' });
    }
    const points = await store.count();
    await printSummary(context, { report, target, points, issues, json: values.json === true });
    return issues.skipped > 0 ? EXIT_CODES.skipped : EXIT_CODES.ok;
  } finally {
    await store?.close().catch(() => undefined);
    await encoder?.close().catch(() => undefined);
    await release?.();
  }
}

/** Input problems, printed as they are found (file:line: message) and counted for the summary. */
class IssueLog {
  skipped = 0;
  warnings = 0;
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
      this.context.note(`${issue.severity === 'skipped' ? 'skipped' : 'warning'}: ${where}: ${issue.message}`);
    } else if (this.printed === MAX_PRINTED_ISSUES) {
      this.printed++;
      this.context.note(`(more input problems are counted, not printed)`);
    }
    if (issue.severity === 'skipped' && this.policy === 'stop') {
      throw new UsageError(`stopped at the first bad input (--on-error stop): ${issue.file}${issue.line !== undefined ? `:${issue.line}` : ''}: ${issue.message}`, {
        command: 'ingest',
      });
    }
  }
}

async function printSummary(
  context: CommandContext,
  summary: { report: IngestReport; target: StoreTarget; points: number; issues: IssueLog; json: boolean },
): Promise<void> {
  const { report, target, points, issues } = summary;
  if (summary.json) {
    await context.out(
      JSON.stringify({
        store: target.display,
        collection: target.collection,
        documents: report.resumedFrom + report.documents,
        documentsThisRun: report.documents,
        resumedFrom: report.resumedFrom,
        chunks: report.chunks,
        tokens: report.tokens,
        seconds: Number(report.seconds.toFixed(3)),
        skipped: issues.skipped,
        warnings: issues.warnings,
        issues: issues.first,
        points,
      }),
    );
    return;
  }
  const rate = report.seconds > 0 ? ` (${formatCount(report.tokens / report.seconds)} tokens/s)` : '';
  await context.out(`ingested ${formatCount(report.resumedFrom + report.documents)} documents into ${target.display}, collection ${target.collection}`);
  await context.out(
    `  this run: ${formatCount(report.documents)} documents, ${formatCount(report.chunks)} chunks, ` +
      `${formatCount(report.tokens)} tokens in ${formatDuration(report.seconds)}${rate}`,
  );
  if (report.resumedFrom > 0) await context.out(`  resumed after ${formatCount(report.resumedFrom)} documents committed by an earlier run`);
  if (issues.skipped > 0) await context.out(`  skipped: ${formatCount(issues.skipped)} (listed on stderr)`);
  if (issues.warnings > 0) await context.out(`  warnings: ${formatCount(issues.warnings)} (listed on stderr)`);
  await context.out(`  points in the collection: ${formatCount(points)}`);
}
