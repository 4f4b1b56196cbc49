// The bundled multilingual sample (sample.jsonl beside this file) as m3kit documents: every
// example ingests the same data. Fields other than id and text become metadata (lang, tags, year).
import { readFileSync } from 'node:fs';

export function loadSample() {
  const text = readFileSync(new URL('./sample.jsonl', import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { id, text: body, ...metadata } = JSON.parse(line);
      return { id, text: body, metadata };
    });
}

/** The metadata fields of the sample, for collections that index what they filter on. */
export const SAMPLE_FIELDS = [
  { name: 'lang', type: 'keyword' },
  { name: 'tags', type: 'keyword[]' },
  { name: 'year', type: 'integer' },
];
