import {
  InvalidInputError,
  type LexicalWeights,
  type M3Embedding,
  type M3Record,
  type Metadata,
  type MultiVector,
  type ResolvedCollectionSpec,
  type StoredRecord,
} from '@m3kit/core';
import {
  COLBERT_FIELDS,
  FIELDS,
  TEXT_CHUNK_BYTES,
  colbertRowKey,
  documentKey,
} from './collection-layout.js';
import { filterTermsOf, numericMetadataOf } from './filter-translation.js';

/** A row as the Node SDK takes and returns it. */
export type Row = Record<string, unknown>;

/** Milvus' sparse vector as the Node SDK takes and returns it: `{ "<token id>": weight }`. */
export type SparseDict = Record<string, number>;

export function sparseToDict(lexical: LexicalWeights): SparseDict {
  const dict: SparseDict = {};
  for (let i = 0; i < lexical.indices.length; i++)
    dict[String(lexical.indices[i])] = lexical.values[i]!;
  return dict;
}

/** Back to core's form: ids ascending (the SDK returns object keys, whose order is not promised). */
export function sparseFromDict(
  dict: Readonly<Record<string, number>> | undefined | null,
): LexicalWeights {
  const entries = Object.entries(dict ?? {})
    .map(([key, value]) => [Number(key), value] as const)
    .sort((a, b) => a[0] - b[0]);
  return {
    indices: Uint32Array.from(entries.map(([id]) => id)),
    values: Float32Array.from(entries.map(([, value]) => value)),
  };
}

/** A MultiVector's rows as number arrays (the SDK's float vector form). */
export function multiVectorRows(vectors: MultiVector): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < vectors.rows; r++)
    rows.push(Array.from(vectors.data.subarray(r * vectors.dim, (r + 1) * vectors.dim)));
  return rows;
}

const encoder = new TextEncoder();

/**
 * Splits text into chunks of at most `maxBytes` UTF-8 bytes, never inside a character: Milvus
 * limits a VarChar to 65,535 bytes and core allows texts of up to 1,000,000.
 */
export function textToChunks(text: string, maxBytes = TEXT_CHUNK_BYTES): string[] {
  if (encoder.encode(text).length <= maxBytes) return [text];
  const chunks: string[] = [];
  let current = '';
  let bytes = 0;
  for (const char of text) {
    const size = utf8Length(char.codePointAt(0)!);
    if (bytes + size > maxBytes) {
      chunks.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  chunks.push(current);
  return chunks;
}

/** `[]` means no text was stored; `[""]` is the empty text. */
export function textFromChunks(chunks: readonly string[] | undefined | null): string | undefined {
  if (!chunks || chunks.length === 0) return undefined;
  return chunks.join('');
}

function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** A document's row in the main collection. */
export function mainRowOf(record: M3Record, spec: ResolvedCollectionSpec): Row {
  const { dense, lexical, colbert } = record.embedding;
  const signals = spec.signals;
  const row: Row = {
    [FIELDS.key]: documentKey(record.id),
    [FIELDS.id]: record.id,
    [FIELDS.metadata]: record.metadata ?? {},
    [FIELDS.filterTerms]: filterTermsOf(record.metadata),
  };
  if (signals.includes('dense')) row[FIELDS.dense] = Array.from(dense!);
  if (signals.includes('sparse')) row[FIELDS.sparse] = sparseToDict(lexical!);
  if (!signals.includes('dense') && !signals.includes('sparse')) row[FIELDS.placeholder] = [1, 0];
  if (spec.storeText) row[FIELDS.text] = record.text === undefined ? [] : textToChunks(record.text);
  if (signals.includes('colbert')) row[FIELDS.colbertRows] = colbert!.rows;
  return row;
}

/** A document's token-vector rows in the ColBERT collection, with the filter data of the document. */
export function colbertRowsOf(record: M3Record): Row[] {
  const colbert = record.embedding.colbert!;
  const metadata = numericMetadataOf(record.metadata);
  const terms = filterTermsOf(record.metadata);
  const rows: Row[] = [];
  for (let r = 0; r < colbert.rows; r++) {
    rows.push({
      [COLBERT_FIELDS.key]: colbertRowKey(record.id, r),
      [COLBERT_FIELDS.documentKey]: documentKey(record.id),
      [COLBERT_FIELDS.documentId]: record.id,
      [COLBERT_FIELDS.row]: r,
      [COLBERT_FIELDS.vector]: Array.from(
        colbert.data.subarray(r * colbert.dim, (r + 1) * colbert.dim),
      ),
      [COLBERT_FIELDS.metadata]: metadata,
      [COLBERT_FIELDS.filterTerms]: terms,
    });
  }
  return rows;
}

/** Which parts of a document row a read asks for. */
export interface RowParts {
  readonly text: boolean;
  readonly metadata: boolean;
  readonly embedding: boolean;
}

/** The main-collection fields a read of `want` needs. */
export function fieldsFor(want: RowParts, spec: ResolvedCollectionSpec): string[] {
  const signals = spec.signals;
  const fields: string[] = [FIELDS.id];
  if (want.text && spec.storeText) fields.push(FIELDS.text);
  if (want.metadata) fields.push(FIELDS.metadata);
  if (want.embedding) {
    if (signals.includes('dense')) fields.push(FIELDS.dense);
    if (signals.includes('sparse')) fields.push(FIELDS.sparse);
    if (signals.includes('colbert')) fields.push(FIELDS.colbertRows);
  }
  return fields;
}

/** A main-collection row back to a record (ColBERT rows come from the companion collection). */
export function recordOfRow(row: Row, want: RowParts, spec: ResolvedCollectionSpec): StoredRecord {
  const signals = spec.signals;
  const text = want.text ? textFromChunks(row[FIELDS.text] as string[] | undefined) : undefined;
  const metadata = want.metadata ? metadataOfRow(row) : undefined;
  const embedding: M3Embedding | undefined = want.embedding
    ? {
        ...(signals.includes('dense')
          ? { dense: Float32Array.from(row[FIELDS.dense] as number[]) }
          : {}),
        ...(signals.includes('sparse')
          ? { lexical: sparseFromDict(row[FIELDS.sparse] as Record<string, number>) }
          : {}),
      }
    : undefined;
  return {
    id: String(row[FIELDS.id]),
    ...(text !== undefined ? { text } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    ...(embedding !== undefined ? { embedding } : {}),
  };
}

/** A row's metadata; `{}` is what a record without metadata is stored as, so it reads as none. */
export function metadataOfRow(row: Row): Metadata | undefined {
  const metadata = row[FIELDS.metadata] as Metadata | undefined | null;
  return metadata !== undefined && metadata !== null && Object.keys(metadata).length > 0
    ? metadata
    : undefined;
}

/**
 * What core's validateRecord (run first, by prepareWrites) lets through but Milvus cannot keep: a
 * list in a field declared `keyword`. Core allows it (Elasticsearch and Qdrant match any element),
 * but Milvus compares a keyword field as one JSON string, so a list there would match no filter.
 */
export function checkDeclaredTypes(record: M3Record, spec: ResolvedCollectionSpec): void {
  if (record.metadata === undefined) return;
  for (const field of spec.metadataFields) {
    if (field.type === 'keyword' && Array.isArray(record.metadata[field.name])) {
      throw new InvalidInputError(
        `metadata field "${field.name}" is declared keyword, got a list`,
        { item: record.id },
      );
    }
  }
}
