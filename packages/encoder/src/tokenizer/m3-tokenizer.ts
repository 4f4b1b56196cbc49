import { readFileSync } from 'node:fs';
import tokenizers from 'tokenizers';
import type { Encoding, Tokenizer } from 'tokenizers';
import { codePointToUtf16 } from './utf16-offsets.js';

/** The version of Hugging Face `tokenizers` (Rust core) whose ids this package reproduces. */
export const TOKENIZERS_VERSION = '0.23.2';

/** Ids FlagEmbedding leaves out of lexical weights: cls, eos, pad and unk of the tokenizer. */
export interface SpecialTokenIds {
  readonly cls: number;
  readonly eos: number;
  readonly pad: number;
  readonly unk: number;
}

/** One text after tokenisation, special tokens included. */
export interface TokenizedItem {
  readonly ids: Int32Array;
  /** [start, end) per token in UTF-16 code units of the input; only when asked for. */
  readonly offsets?: readonly (readonly [number, number])[];
  readonly truncated: boolean;
  /** True when lone surrogates were replaced by U+FFFD before tokenising. */
  readonly replacedLoneSurrogates: boolean;
}

export interface TokenizeManyOptions {
  /** Tokens kept, special tokens included (Hugging Face's `max_length` with `truncation=True`). */
  readonly maxLength: number;
  readonly addSpecialTokens?: boolean;
  readonly withOffsets?: boolean;
}

/** Tokens past the limit a cut-off prefix must still produce when it could not end at a space. */
const CUT_MARGIN_TOKENS = 64;
/**
 * The same when it ends before a space: a character that normalises to a space right before the
 * cut can add one trailing `▁` that the whole text would not have; a few spare tokens cover it.
 */
const SPACE_CUT_MARGIN_TOKENS = 8;
/** Characters read per kept token before a long text is cut to a prefix (doubled until enough). */
const CHARS_PER_TOKEN_WINDOW = 16;
const MIN_WINDOW_CHARS = 4096;

/**
 * BGE-M3's tokenizer (XLM-RoBERTa SentencePiece Unigram) through the official Rust `tokenizers`
 * binding, loaded from `tokenizer.json`: the same normaliser, pre-tokeniser, model and template as
 * the Python `tokenizers` package that FlagEmbedding's AutoTokenizer runs on.
 *
 * Truncation is done here, per call, exactly as the Rust post-processing does it (keep the first
 * `maxLength - 2` content tokens, then add `<s>` and `</s>`), so one tokenizer serves every limit.
 * Very long texts are tokenised from a prefix ending before a space, grown until it holds more
 * tokens than are kept: the words before a space do not depend on what follows it, so the ids are
 * those of the whole text while time and memory stay bounded by `maxLength`.
 */
export class M3Tokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly specialIds: SpecialTokenIds,
    /** Tokens the template adds to a single text (`<s>` and `</s>`: 2). */
    readonly specialTokenCount: number,
  ) {}

  /** Loads `tokenizer.json`; `specialTokensMapFile` (special_tokens_map.json) names the special tokens when given. */
  static async fromFile(
    tokenizerFile: string,
    specialTokensMapFile?: string,
  ): Promise<M3Tokenizer> {
    const tokenizer = tokenizers.Tokenizer.fromFile(tokenizerFile);
    tokenizer.disableTruncation();
    tokenizer.disablePadding();
    const names = { cls: '<s>', eos: '</s>', pad: '<pad>', unk: '<unk>' };
    if (specialTokensMapFile) {
      const map = JSON.parse(readFileSync(specialTokensMapFile, 'utf8')) as Record<string, unknown>;
      const content = (value: unknown): string | undefined =>
        typeof value === 'string'
          ? value
          : typeof value === 'object' && value !== null
            ? String((value as { content?: unknown }).content)
            : undefined;
      names.cls = content(map['cls_token']) ?? names.cls;
      names.eos = content(map['eos_token']) ?? names.eos;
      names.pad = content(map['pad_token']) ?? names.pad;
      names.unk = content(map['unk_token']) ?? names.unk;
    }
    const id = (token: string): number => {
      const value = tokenizer.tokenToId(token);
      if (value === null || value === undefined)
        throw new Error(`special token ${token} is not in the vocabulary`);
      return value;
    };
    const specialIds = {
      cls: id(names.cls),
      eos: id(names.eos),
      pad: id(names.pad),
      unk: id(names.unk),
    };
    const empty = await tokenizer.encode('', null, { addSpecialTokens: true });
    return new M3Tokenizer(tokenizer, specialIds, empty.getLength());
  }

  get vocabSize(): number {
    return this.tokenizer.getVocabSize(true);
  }

  async tokenizeMany(
    texts: readonly string[],
    options: TokenizeManyOptions,
  ): Promise<TokenizedItem[]> {
    const addSpecial = options.addSpecialTokens ?? true;
    const limit = options.maxLength - (addSpecial ? this.specialTokenCount : 0);
    if (limit < 0)
      throw new Error(`maxLength ${options.maxLength} leaves no room for the special tokens`);
    const prepared = texts.map((text) => {
      const wellFormed = text.isWellFormed();
      return { text: wellFormed ? text : text.toWellFormed(), replaced: !wellFormed };
    });
    const results = new Array<TokenizedItem | undefined>(texts.length);
    // Short texts in one native batch call; long ones one at a time through a growing prefix.
    const shortIndices: number[] = [];
    const windowChars = Math.max(MIN_WINDOW_CHARS, limit * CHARS_PER_TOKEN_WINDOW);
    prepared.forEach((item, index) => {
      if (item.text.length <= windowChars) shortIndices.push(index);
    });
    if (shortIndices.length > 0) {
      const encodings = await this.tokenizer.encodeBatch(
        shortIndices.map((index) => prepared[index]!.text),
        { addSpecialTokens: false },
      );
      encodings.forEach((encoding, k) => {
        const index = shortIndices[k]!;
        results[index] = this.finish(
          encoding,
          prepared[index]!,
          limit,
          addSpecial,
          options.withOffsets ?? false,
          false,
        );
      });
    }
    for (let index = 0; index < texts.length; index++) {
      if (results[index]) continue;
      const item = prepared[index]!;
      const encoding = await this.encodeLongText(item.text, limit, windowChars);
      results[index] = this.finish(
        encoding.encoding,
        item,
        limit,
        addSpecial,
        options.withOffsets ?? false,
        encoding.cut,
      );
    }
    return results as TokenizedItem[];
  }

  /**
   * Tokenises a prefix of `text` big enough to hold more than `limit` tokens. A prefix that ends
   * right before a space (not after another space) yields exactly the whole text's leading
   * tokens: the pre-tokeniser splits there and nothing after a space changes what comes before
   * it. A prefix that cannot end at a space (a long run of CJK, Thai, or one endless "word") cuts
   * a word, and the Unigram segmentation of that word could depend on where it ends: such a
   * prefix must overshoot the limit by a margin of tokens and agree, over the kept tokens, with
   * a prefix half as long again; otherwise the window doubles (up to the whole text).
   */
  private async encodeLongText(
    text: string,
    limit: number,
    startChars: number,
  ): Promise<{ encoding: Encoding; cut: boolean }> {
    let window = startChars;
    for (;;) {
      if (window >= text.length) {
        return {
          encoding: await this.tokenizer.encode(text, null, { addSpecialTokens: false }),
          cut: false,
        };
      }
      const spaceCut = cutBeforeSpace(text, window);
      if (spaceCut !== undefined) {
        const encoding = await this.tokenizer.encode(text.slice(0, spaceCut), null, {
          addSpecialTokens: false,
        });
        if (encoding.getLength() > limit + SPACE_CUT_MARGIN_TOKENS) return { encoding, cut: true };
      } else {
        const encoding = await this.tokenizer.encode(text.slice(0, cutAt(text, window)), null, {
          addSpecialTokens: false,
        });
        if (encoding.getLength() > limit + CUT_MARGIN_TOKENS) {
          const longer = Math.floor(window * 1.5);
          const check = await this.tokenizer.encode(text.slice(0, cutAt(text, longer)), null, {
            addSpecialTokens: false,
          });
          if (sameLeadingIds(encoding.getIds(), check.getIds(), limit))
            return { encoding, cut: true };
        }
      }
      window *= 2;
    }
  }

  private finish(
    encoding: Encoding,
    item: { text: string; replaced: boolean },
    limit: number,
    addSpecial: boolean,
    withOffsets: boolean,
    cut: boolean,
  ): TokenizedItem {
    const truncated = cut || encoding.getLength() > limit;
    if (truncated) encoding.truncate(limit, 0, 'right');
    const final = addSpecial ? this.tokenizer.postProcess(encoding, null, true) : encoding;
    const ids = Int32Array.from(final.getIds());
    if (!withOffsets) return { ids, truncated, replacedLoneSurrogates: item.replaced };
    const toUtf16 = codePointToUtf16(item.text);
    const offsets = final
      .getOffsets()
      .map(([start, end]) => [toUtf16(start ?? 0), toUtf16(end ?? 0)] as const);
    return { ids, offsets, truncated, replacedLoneSurrogates: item.replaced };
  }
}

/** A cut point right before a single space, in the second half of the window; undefined if none. */
function cutBeforeSpace(text: string, window: number): number | undefined {
  let end = text.lastIndexOf(' ', window);
  while (end > window / 2 && text[end - 1] === ' ') end = text.lastIndexOf(' ', end - 1);
  return end > window / 2 ? end : undefined;
}

/** `end`, moved back one unit if it would split a surrogate pair. */
function cutAt(text: string, end: number): number {
  if (end >= text.length) return text.length;
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

function sameLeadingIds(a: readonly number[], b: readonly number[], count: number): boolean {
  if (a.length < count || b.length < count) return false;
  for (let i = 0; i < count; i++) if (a[i] !== b[i]) return false;
  return true;
}
