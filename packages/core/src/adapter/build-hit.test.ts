import { describe, expect, it } from 'vitest';
import { buildHit } from './build-hit.js';

describe('buildHit', () => {
  const fields = {
    id: 'a',
    score: 0.5,
    signalScores: { dense: 0.5 },
    text: 'hello',
    metadata: { lang: 'en' },
  };

  it('keeps text and metadata when the query asks for them', () => {
    expect(buildHit(fields, { includeText: true, includeMetadata: true })).toEqual(fields);
  });

  it('leaves out what the query does not want, as absent keys', () => {
    const hit = buildHit(fields, { includeText: false, includeMetadata: false });
    expect(hit).toEqual({ id: 'a', score: 0.5, signalScores: { dense: 0.5 } });
    expect('text' in hit).toBe(false);
    expect('metadata' in hit).toBe(false);
  });

  it('copies signal scores and never invents absent fields', () => {
    const hit = buildHit({ id: 'b', score: 1 }, { includeText: true, includeMetadata: true });
    expect(hit).toEqual({ id: 'b', score: 1, signalScores: {} });
  });
});
