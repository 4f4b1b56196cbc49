import type { M3Document, Metadata } from '../document.js';

/**
 * Documents from JSONL text, one object a line: `id` and `text`, every other field as metadata
 * (the shape of examples/data/sample.jsonl and of `m3 ingest` input). For tests and examples, so
 * each reads a corpus file one way; blank lines are skipped and a bad line throws naming it.
 */
export function jsonlDocuments(text: string): M3Document[] {
  const documents: M3Document[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const parsed: unknown = JSON.parse(line);
    if (!isDocumentLine(parsed))
      throw new TypeError(`line ${index + 1}: expected an object with string "id" and "text"`);
    const { id, text: body, ...metadata } = parsed;
    documents.push({ id, text: body, metadata: metadata as Metadata });
  }
  return documents;
}

function isDocumentLine(value: unknown): value is { id: string; text: string } & Metadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { id, text } = value as Record<string, unknown>;
  return typeof id === 'string' && typeof text === 'string';
}
