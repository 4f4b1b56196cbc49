import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './sha256.js';

describe('sha256Hex', () => {
  it('equals node:crypto on block edges, multi-byte text and a large input', () => {
    const inputs = [
      '',
      'abc',
      'a'.repeat(55),
      'a'.repeat(56),
      'a'.repeat(63),
      'a'.repeat(64),
      'a'.repeat(65),
      'é€😀'.repeat(100),
      'x'.repeat(1_000_003),
    ];
    for (const text of inputs)
      expect(sha256Hex(text), `length ${text.length}`).toBe(
        createHash('sha256').update(text).digest('hex'),
      );
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
