import { fuzzParameters } from '@m3kit/core/conformance';
import fc from 'fast-check';
import tokenizers from 'tokenizers';
import type { Tokenizer } from 'tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_MODEL } from '../test-support/fixtures.js';
import { M3Tokenizer } from './m3-tokenizer.js';

let tokenizer: M3Tokenizer;
/**
 * The reference: the same tokenizer.json in the Rust `tokenizers` core (what Python's
 * tokenizers and FlagEmbedding run), tokenising the whole text and cutting with its own
 * truncation. M3Tokenizer's prefix reading and surrogate handling must agree with it.
 */
let reference: Tokenizer;
beforeAll(async () => {
  tokenizer = await M3Tokenizer.fromFile(
    `${TINY_MODEL}/tokenizer.json`,
    `${TINY_MODEL}/special_tokens_map.json`,
  );
  reference = tokenizers.Tokenizer.fromFile(`${TINY_MODEL}/tokenizer.json`);
  reference.disablePadding();
});

async function referenceIds(text: string, maxLength: number): Promise<number[]> {
  reference.setTruncation(maxLength);
  // Python encodes str to UTF-8 with errors="surrogatepass"-free behaviour: a lone surrogate
  // becomes U+FFFD on the way into the Rust core, as toWellFormed() does here.
  const encoding = await reference.encode(text.toWellFormed(), null, { addSpecialTokens: true });
  return encoding.getIds();
}

/** Characters that stress a tokenizer: every UTF-16 unit, marks, RTL, ZWJ emoji, spaces, NUL. */
const hostileUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), // lone surrogates too
  fc.integer({ min: 0x300, max: 0x36f }).map((code) => String.fromCharCode(code)), // combining marks
  fc.constantFrom(
    '\u0000',
    ' ',
    '  ',
    '\t',
    '\n',
    '\r\n',
    '\u00a0',
    '\u3000',
    '\u200b',
    '\u200d',
    '\u200f', // right-to-left mark
    '\u202e', // right-to-left override
    'مرحبا',
    'עברית',
    '👨\u200d👩\u200d👧\u200d👦',
    '🏳️\u200d🌈',
    '👍🏽',
    'ｶﾞ', // half-width katakana with a voicing mark
    '한국어',
    'ﬁ',
    'Ⅻ',
    'e\u0301',
    'word',
    '.',
  ),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
);
const hostileText = fc.array(hostileUnit, { maxLength: 60 }).map((units) => units.join(''));

function checkItem(
  text: string,
  item: { ids: Int32Array; offsets?: readonly (readonly [number, number])[]; truncated: boolean },
  maxLength: number,
): void {
  const vocab = tokenizer.vocabSize;
  const ids = Array.from(item.ids);
  expect(ids.length).toBeLessThanOrEqual(maxLength);
  expect(ids[0]).toBe(tokenizer.specialIds.cls);
  expect(ids.at(-1)).toBe(tokenizer.specialIds.eos);
  for (const id of ids) expect(id >= 0 && id < vocab, `id ${id} of ${vocab}`).toBe(true);
  const offsets = item.offsets!;
  expect(offsets.length).toBe(ids.length);
  let previous: readonly [number, number] = [0, 0];
  for (const [i, [start, end]] of offsets.entries()) {
    expect(Number.isInteger(start) && Number.isInteger(end)).toBe(true);
    expect(
      0 <= start && start <= end && end <= text.length,
      `[${start}, ${end}) of ${text.length}`,
    ).toBe(true);
    if (i === 0 || i === offsets.length - 1) continue; // <s> and </s> sit at [0, 0]
    expect(start >= previous[0] && end >= previous[1], `token ${i} goes back`).toBe(true);
    previous = [start, end];
  }
}

describe('M3Tokenizer under fuzzing', () => {
  it('any text: ids in the vocabulary, offsets within the text and monotone, ids those of the reference', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText, fc.constantFrom(8, 32, 512), async (text, maxLength) => {
        const [item] = await tokenizer.tokenizeMany([text], { maxLength, withOffsets: true });
        checkItem(text, item!, maxLength);
        expect(item!.replacedLoneSurrogates).toBe(!text.isWellFormed());
        expect(Array.from(item!.ids)).toEqual(await referenceIds(text, maxLength));
      }),
      fuzzParameters(400),
    );
    // Runs are counted, not timed: the timeout only catches a hang, with room for a loaded machine.
  }, 60_000);

  it('long texts read through a prefix: the same ids as the reference on the whole text', async () => {
    // Past the 4096-character window, so the prefix path (space cuts and word cuts) runs.
    const long = fc
      .tuple(hostileText, fc.integer({ min: 80, max: 400 }))
      .map(([unit, repeat]) => (unit.length === 0 ? 'x' : unit).repeat(repeat))
      .filter((text) => text.length > 4096);
    await fc.assert(
      fc.asyncProperty(long, fc.constantFrom(16, 64, 256), async (text, maxLength) => {
        const [item] = await tokenizer.tokenizeMany([text], { maxLength, withOffsets: true });
        checkItem(text, item!, maxLength);
        expect(Array.from(item!.ids)).toEqual(await referenceIds(text, maxLength));
      }),
      // A run tokenises up to ~100 KB twice: the long run (bench/fuzz-bench) stops at 1,000.
      fuzzParameters(40, { maxRuns: 1_000 }),
    );
  }, 120_000);

  it('a 1 MB string of hostile characters: no crash, the reference ids, offsets in range', async () => {
    const units = fc.sample(hostileUnit, { numRuns: 400_000, seed: fuzzParameters(1).seed! });
    const text = units.join('').slice(0, 1_000_000);
    const [item] = await tokenizer.tokenizeMany([text], { maxLength: 512, withOffsets: true });
    checkItem(text, item!, 512);
    expect(item!.truncated).toBe(true);
    expect(Array.from(item!.ids)).toEqual(await referenceIds(text, 512));
  }, 120_000);
});
