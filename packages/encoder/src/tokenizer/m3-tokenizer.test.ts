import { createRequire } from 'node:module';
import tokenizers from 'tokenizers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  TINY_MODEL,
  fixtureTexts,
  realXlmrTokenizer,
  referenceEncodings,
  referenceTokenIds,
  referenceTokenizersVersion,
} from '../test-support/fixtures.js';
import { M3Tokenizer, TOKENIZERS_VERSION } from './m3-tokenizer.js';
import { codePointToUtf16 } from './utf16-offsets.js';

const UNLIMITED = Number.MAX_SAFE_INTEGER;
const texts = fixtureTexts();

let tokenizer: M3Tokenizer;
beforeAll(async () => {
  tokenizer = await M3Tokenizer.fromFile(
    `${TINY_MODEL}/tokenizer.json`,
    `${TINY_MODEL}/special_tokens_map.json`,
  );
});

describe('M3Tokenizer ids', () => {
  it('runs the tokenizers version the reference ids were made with', () => {
    const installed = (
      createRequire(import.meta.url)('tokenizers/package.json') as { version: string }
    ).version;
    expect(installed).toBe(TOKENIZERS_VERSION);
    expect(referenceTokenizersVersion()).toBe(TOKENIZERS_VERSION);
  });

  it('gives the ids of tokenizer.json in Python tokenizers for every fixture text', async () => {
    const expected = referenceTokenIds();
    const items = await tokenizer.tokenizeMany(
      texts.map((entry) => entry.text),
      { maxLength: UNLIMITED },
    );
    const mismatches = texts.filter(
      (entry, index) => Array.from(items[index]!.ids).join() !== expected.get(entry.id)!.join(),
    );
    expect(mismatches.map((entry) => entry.id)).toEqual([]);
    expect(items.length).toBe(expected.size);
  });

  it.each([8192, 32] as const)(
    "gives FlagEmbedding's input_ids at max_length %i, truncation reported",
    async (maxLength) => {
      const reference = referenceEncodings(maxLength);
      const items = await tokenizer.tokenizeMany(
        texts.map((entry) => entry.text),
        { maxLength },
      );
      reference.forEach((expected, index) => {
        expect(Array.from(items[index]!.ids), expected.id).toEqual(expected.inputIds);
        const full = referenceTokenIds().get(expected.id)!;
        expect(items[index]!.truncated, expected.id).toBe(full.length > maxLength);
      });
    },
  );

  it('knows the special ids FlagEmbedding leaves out of lexical weights', () => {
    expect(tokenizer.specialIds).toEqual({ cls: 0, eos: 2, pad: 1, unk: 3 });
    expect(tokenizer.specialTokenCount).toBe(2);
  });

  it('can leave out the special tokens', async () => {
    const [withSpecial] = await tokenizer.tokenizeMany(['hello world'], { maxLength: 512 });
    const [without] = await tokenizer.tokenizeMany(['hello world'], {
      maxLength: 512,
      addSpecialTokens: false,
    });
    expect(Array.from(withSpecial!.ids)).toEqual([0, ...Array.from(without!.ids), 2]);
  });

  it('replaces lone surrogates with U+FFFD (what UTF-8 encoding gives Python) and flags them', async () => {
    const lone = texts.find((entry) => entry.id === 'lone-surrogate')!.text;
    const replaced = texts.find((entry) => entry.id === 'replacement-char')!.text;
    const [a, b] = await tokenizer.tokenizeMany([lone, replaced], { maxLength: 512 });
    expect(Array.from(a!.ids)).toEqual(Array.from(b!.ids));
    expect(a!.replacedLoneSurrogates).toBe(true);
    expect(b!.replacedLoneSurrogates).toBe(false);
    expect(new TextDecoder().decode(new TextEncoder().encode(lone))).toBe(replaced);
  });
});

const xlmr = realXlmrTokenizer();
if (!xlmr)
  console.warn(
    '[m3-tokenizer.test] real XLM-R tokenizer.json not found: set M3KIT_XLMR_TOKENIZER (see fixtures/README.md); skipping its parity test',
  );

describe.skipIf(!xlmr)('M3Tokenizer on the real XLM-R vocabulary (250,002 ids)', () => {
  it('gives the ids of Python tokenizers 0.23.2 for every fixture text', async () => {
    const real = await M3Tokenizer.fromFile(xlmr!.file);
    expect(real.vocabSize).toBe(250002);
    expect(real.specialIds).toEqual({ cls: 0, eos: 2, pad: 1, unk: 3 });
    const items = await real.tokenizeMany(
      texts.map((entry) => entry.text),
      { maxLength: UNLIMITED },
    );
    const mismatches = texts.filter(
      (entry, index) => Array.from(items[index]!.ids).join() !== xlmr!.ids.get(entry.id)?.join(),
    );
    expect(mismatches.map((entry) => entry.id)).toEqual([]);
    // The documented XLM-R ids for "hello " (a trailing space keeps a lone ▁, id 6).
    const [hello] = await real.tokenizeMany(['hello '], { maxLength: 512 });
    expect(Array.from(hello!.ids)).toEqual([0, 33600, 31, 6, 2]);
  }, 60_000);
});

describe('M3Tokenizer on very long texts', () => {
  const long: Record<string, string> = {
    multilingual:
      'Information retrieval in many languages: 情報検索, поиск информации, การค้นหาข้อมูล, 정보 검색. '.repeat(
        3000,
      ),
    'thai without spaces': 'การค้นหาข้อมูลในเอกสารจำนวนมากเป็นเรื่องสำคัญ'.repeat(3000),
    'chinese without spaces': '信息检索是一门研究如何查找信息的科学。'.repeat(5000),
    'one endless word': 'x'.repeat(150_001),
    'space runs': 'word   next  '.repeat(20_000),
    'nbsp before space': 'x\u00a0 y '.repeat(30_000),
    'emoji run': '😀👍🏽'.repeat(40_000),
    'ideographic spaces': '東京\u3000大阪\u3000'.repeat(30_000),
  };

  // Each case tokenises ~150-450k characters once in full (~0.3-1 s on an idle core here) and three
  // prefixes: a minute leaves room for a machine loaded many times over, not vitest's 5 s default.
  it.each(Object.keys(long))(
    'truncates %s to the leading ids of the whole text',
    async (name) => {
      const text = long[name]!;
      const [full] = await tokenizer.tokenizeMany([text], { maxLength: UNLIMITED });
      for (const maxLength of [64, 512, 8192]) {
        const [cut] = await tokenizer.tokenizeMany([text], { maxLength });
        const expected =
          full!.ids.length <= maxLength
            ? Array.from(full!.ids)
            : [...Array.from(full!.ids).slice(0, maxLength - 1), 2];
        expect(Array.from(cut!.ids), `${name} at ${maxLength}`).toEqual(expected);
        expect(cut!.truncated).toBe(full!.ids.length > maxLength);
      }
    },
    60_000,
  );

  it('reads only a prefix of a huge text: work bounded by maxLength, not by the text', async () => {
    const text = 'Information retrieval in many languages. '.repeat(1_000_000); // 41 million characters
    // Counted, not timed: the characters handed to the Rust tokenizer are the work done, and they
    // do not change with the machine's load (a wall-clock bound failed on a busy 2-core machine).
    const encode = vi.spyOn(tokenizers.Tokenizer.prototype, 'encode');
    const encodeBatch = vi.spyOn(tokenizers.Tokenizer.prototype, 'encodeBatch');
    try {
      const [item] = await tokenizer.tokenizeMany([text], { maxLength: 256 });
      expect(item!.ids.length).toBe(256);
      expect(item!.truncated).toBe(true);
      const examined =
        encode.mock.calls.reduce((sum, call) => sum + String(call[0]).length, 0) +
        encodeBatch.mock.calls.reduce(
          (sum, call) => sum + (call[0] as string[]).reduce((n, t) => n + t.length, 0),
          0,
        );
      // The first window is max(4096, 16 x 254) characters; a space-cut prefix needs one pass.
      expect(examined).toBeGreaterThan(0);
      expect(examined).toBeLessThanOrEqual(3 * 4096);
    } finally {
      encode.mockRestore();
      encodeBatch.mockRestore();
    }
  });
});

describe('M3Tokenizer offsets', () => {
  it('reports [start, end) in UTF-16 code units, specials at [0, 0]', async () => {
    const text = 'I love pizza 🍕 and 👨‍👩‍👧 naïve';
    const [item] = await tokenizer.tokenizeMany([text], { maxLength: 512, withOffsets: true });
    const offsets = item!.offsets!;
    expect(offsets[0]).toEqual([0, 0]);
    expect(offsets.at(-1)).toEqual([0, 0]);
    const inner = offsets.slice(1, -1);
    for (const [start, end] of inner) {
      expect(start).toBeLessThanOrEqual(end);
      expect(end).toBeLessThanOrEqual(text.length);
    }
    // Offsets never split a surrogate pair and the last token ends at the end of the text.
    expect(inner.at(-1)![1]).toBe(text.length);
    expect(inner.some(([start, end]) => text.slice(start, end).includes('🍕'))).toBe(true);
    for (const [start, end] of inner) {
      expect(text.slice(start, end).isWellFormed()).toBe(true);
    }
  });

  it('converts code-point indices to UTF-16 indices', () => {
    const convert = codePointToUtf16('a😀b𝄞c');
    expect([0, 1, 2, 3, 4, 5].map(convert)).toEqual([0, 1, 3, 4, 6, 7]);
    expect(codePointToUtf16('plain')(3)).toBe(3);
  });
});
