import { lexicalFromPairs } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import {
  multiVectorRows,
  sparseFromDict,
  sparseToDict,
  textFromChunks,
  textToChunks,
} from './record-codec.js';

describe('text chunks', () => {
  it('keeps short text whole and tells no text from empty text', () => {
    expect(textToChunks('hello')).toEqual(['hello']);
    expect(textToChunks('')).toEqual(['']);
    expect(textFromChunks([''])).toBe('');
    expect(textFromChunks([])).toBeUndefined();
  });

  it('splits by UTF-8 bytes, never inside a character', () => {
    const text = 'aé東🙂'.repeat(1000);
    const chunks = textToChunks(text, 100);
    const encoder = new TextEncoder();
    for (const piece of chunks) {
      expect(encoder.encode(piece).length).toBeLessThanOrEqual(100);
      expect(piece.isWellFormed()).toBe(true);
    }
    expect(textFromChunks(chunks)).toBe(text);
  });
});

describe('sparse vectors', () => {
  it('round-trip through the SDK form, ids ascending', () => {
    const lexical = lexicalFromPairs([
      [250_001, 0.5],
      [3, 0.25],
      [70_000, 0.125],
    ]);
    const dict = sparseToDict(lexical);
    expect(dict).toEqual({ '3': 0.25, '70000': 0.125, '250001': 0.5 });
    const back = sparseFromDict({ '250001': 0.5, '3': 0.25, '70000': 0.125 });
    expect(Array.from(back.indices)).toEqual([3, 70_000, 250_001]);
    expect(Array.from(back.values)).toEqual([0.25, 0.125, 0.5]);
    expect(sparseFromDict(undefined).indices.length).toBe(0);
  });
});

describe('multi-vectors', () => {
  it('become one number array per row', () => {
    expect(multiVectorRows({ data: Float32Array.of(1, 2, 3, 4, 5, 6), rows: 3, dim: 2 })).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });
});
