import type { ResolvedCollectionSpec, StoredRecord } from '@m3kit/core';
import { COLBERT_FIELDS, FIELDS, colbertCollectionName, documentKey } from './collection-layout.js';
import { inList } from './filter-translation.js';
import { fieldsFor, recordOfRow, type RowParts } from './record-codec.js';
import { MILVUS_MAX_LIMIT } from './server-features.js';
import { chunk } from '@m3kit/core/adapter';
import { IDS_PER_EXPRESSION, queryRows, type RequestContext } from './transport.js';

/** A document read by id, with the number of token vectors its row says it has. */
export interface FetchedDocument {
  record: StoredRecord;
  readonly colbertRows: number;
}

/** Reads documents by id (each id once), keyed by id; missing ids are absent. */
export async function fetchDocuments(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  ids: readonly string[],
  want: RowParts,
): Promise<Map<string, FetchedDocument>> {
  const fields = fieldsFor(want, spec);
  const found = new Map<string, FetchedDocument>();
  for (const piece of chunk(ids, IDS_PER_EXPRESSION)) {
    const rows = await queryRows(
      context,
      spec.name,
      inList(FIELDS.key, piece.map(documentKey)),
      fields,
      piece.length,
    );
    for (const row of rows) {
      const record = recordOfRow(row, want, spec);
      found.set(record.id, { record, colbertRows: Number(row[FIELDS.colbertRows] ?? 0) });
    }
  }
  return found;
}

/** Reads the documents' token vectors from the ColBERT collection into their embeddings. */
export async function attachColbert(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  found: Map<string, FetchedDocument>,
): Promise<void> {
  const dim = spec.denseDimension;
  for (const group of groupsWithinRowLimit(found)) {
    const limit = Math.max(
      1,
      group.reduce((sum, id) => sum + (found.get(id)?.colbertRows ?? 0), 0),
    );
    const rows = await queryRows(
      context,
      colbertCollectionName(spec.name),
      inList(COLBERT_FIELDS.documentKey, group.map(documentKey)),
      [COLBERT_FIELDS.documentId, COLBERT_FIELDS.row, COLBERT_FIELDS.vector],
      Math.min(limit, MILVUS_MAX_LIMIT),
    );
    const byDocument = new Map<string, Float32Array>();
    for (const id of group)
      byDocument.set(id, new Float32Array((found.get(id)?.colbertRows ?? 0) * dim));
    for (const row of rows) {
      const data = byDocument.get(String(row[COLBERT_FIELDS.documentId]));
      const index = Number(row[COLBERT_FIELDS.row]);
      if (data !== undefined && index * dim < data.length)
        data.set(row[COLBERT_FIELDS.vector] as number[], index * dim);
    }
    for (const id of group) {
      const entry = found.get(id)!;
      entry.record = {
        ...entry.record,
        embedding: {
          ...entry.record.embedding,
          colbert: { data: byDocument.get(id)!, rows: entry.colbertRows, dim },
        },
      };
    }
  }
}

/** Groups documents so that each query returns at most Milvus' row limit. */
function groupsWithinRowLimit(found: ReadonlyMap<string, FetchedDocument>): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let rowsInCurrent = 0;
  for (const [id, { colbertRows }] of found) {
    if (
      current.length > 0 &&
      (rowsInCurrent + colbertRows > MILVUS_MAX_LIMIT || current.length >= IDS_PER_EXPRESSION)
    ) {
      groups.push(current);
      current = [];
      rowsInCurrent = 0;
    }
    current.push(id);
    rowsInCurrent += colbertRows;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** `get`: the records found, in the order asked, with embeddings when asked for. */
export async function getRecords(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  ids: readonly string[],
  includeEmbedding: boolean,
): Promise<StoredRecord[]> {
  const found = await fetchDocuments(context, spec, [...new Set(ids)], {
    text: true,
    metadata: true,
    embedding: includeEmbedding,
  });
  if (includeEmbedding && spec.signals.includes('colbert'))
    await attachColbert(context, spec, found);
  return ids.flatMap((id) => {
    const row = found.get(id);
    return row === undefined ? [] : [row.record];
  });
}
