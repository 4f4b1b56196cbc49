import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { M3Document, Metadata } from '@m3kit/core';

export const TINY_MODEL = fileURLToPath(new URL('../../../../fixtures/tiny-m3', import.meta.url));
export const SAMPLE = fileURLToPath(
  new URL('../../../../examples/data/sample.jsonl', import.meta.url),
);

/** The bundled multilingual sample as documents (id, text, the rest as metadata). */
export function sampleDocuments(): M3Document[] {
  return readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { id, text, ...metadata } = JSON.parse(line) as { id: string; text: string } & Metadata;
      return { id, text, metadata };
    });
}

/**
 * A parsed response body. Test-only (never built or exported): tests read fields and check each
 * with expect(), so a strict type would add casts and catch nothing.
 */
// biome-ignore lint/suspicious/noExplicitAny: a test-only JSON body, read field by field and checked with expect().
export type ResponseBody = any;

/** POST/GET/DELETE JSON against a running server; returns status, headers and parsed body. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: ResponseBody }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics, HTML): keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}
