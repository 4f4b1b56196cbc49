#!/usr/bin/env python3
"""Train the tiny XLM-RoBERTa-style tokenizer used by fixtures/tiny-m3.

The real XLM-R / BGE-M3 vocabulary cannot be downloaded here, so we train a
small SentencePiece *Unigram* model ourselves (same algorithm and the same
``nmt_nfkc`` normalisation rule as XLM-R, hence a ``precompiled_charsmap`` in
tokenizer.json) on text from tools/tokenizer_corpus.py, then wrap it exactly
the way transformers' XLMRobertaTokenizer wraps XLM-R's sentencepiece.bpe.model:

    <s>=0  <pad>=1  </s>=2  <unk>=3  piece ids = sentencepiece id + 1
    (fairseq offset)  ...  <mask> = last id

Output files (in --out): sentencepiece.bpe.model, tokenizer.json,
tokenizer_config.json, special_tokens_map.json.

Usage: python tools/make_tokenizer.py --out fixtures/tiny-m3 [--vocab-size 8000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tokenizer_corpus import corpus_lines  # noqa: E402

SPM_VOCAB_SIZE = 8000
MODEL_MAX_LENGTH = 8192


def train_spm(workdir: str, vocab_size: int) -> str:
    import sentencepiece as spm

    corpus = os.path.join(workdir, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        for line in corpus_lines():
            f.write(line.replace("\n", " ") + "\n")
    prefix = os.path.join(workdir, "spm")
    spm.SentencePieceTrainer.train(
        input=corpus,
        model_prefix=prefix,
        model_type="unigram",
        vocab_size=vocab_size,
        normalization_rule_name="nmt_nfkc",  # XLM-R's rule: precompiled charsmap
        character_coverage=0.9995,  # rare characters stay <unk>, like XLM-R
        # XLM-R's sentencepiece ids: <unk>=0 <s>=1 </s>=2, no <pad> piece.
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        byte_fallback=False,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        num_threads=1,  # deterministic
        minloglevel=2,
    )
    return prefix + ".model"


def _restyle_tokenizer_json(path: str) -> None:
    """Give tokenizer.json the pipeline of the Hub's XLM-R / BGE-M3 tokenizer.json.

    transformers 4.57's converter writes Precompiled + Strip(right) +
    Replace(" {2,}" -> "▁").  The tokenizer.json published with
    xlm-roberta (and, as far as we can tell, BAAI/bge-m3) was converted by
    older versions and has only Precompiled + Replace(" {2,}" -> " "): no
    right strip, so a trailing space becomes a lone "▁" piece.  Runtimes
    load tokenizer.json as it is, so we reproduce that older pipeline here
    (keeping our own precompiled charsmap).
    """
    from tokenizers import Tokenizer

    with open(path, encoding="utf-8") as f:
        tj = json.load(f)
    norms = tj["normalizer"]["normalizers"]
    pre = [n for n in norms if n["type"] == "Precompiled"]
    assert len(pre) == 1
    tj["normalizer"] = {
        "type": "Sequence",
        "normalizers": [
            pre[0],
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ],
    }
    meta = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    tj["pre_tokenizer"] = dict(meta)
    tj["decoder"] = dict(meta)
    # Round-trip through the tokenizers library so the file is in its
    # canonical serialisation for the pinned version.
    Tokenizer.from_str(json.dumps(tj)).save(path, pretty=True)


def build(out_dir: str, vocab_size: int = SPM_VOCAB_SIZE) -> None:
    from transformers import XLMRobertaTokenizer, XLMRobertaTokenizerFast

    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model_file = train_spm(tmp, vocab_size)
        spm_path = os.path.join(out_dir, "sentencepiece.bpe.model")
        shutil.copyfile(model_file, spm_path)

    slow = XLMRobertaTokenizer(vocab_file=spm_path, model_max_length=MODEL_MAX_LENGTH)
    fast = XLMRobertaTokenizerFast(vocab_file=spm_path, model_max_length=MODEL_MAX_LENGTH)
    fast.save_pretrained(out_dir)
    # save_pretrained also writes added_tokens.json on some versions; keep the
    # BAAI/bge-m3 layout (4 files) only.
    for extra in ("added_tokens.json",):
        p = os.path.join(out_dir, extra)
        if os.path.exists(p):
            os.remove(p)

    _restyle_tokenizer_json(os.path.join(out_dir, "tokenizer.json"))
    fast = XLMRobertaTokenizerFast.from_pretrained(out_dir)

    # Sanity: the id layout must be XLM-R's.
    n = len(fast)
    assert fast.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>"]) == [0, 1, 2, 3]
    assert fast.convert_tokens_to_ids("<mask>") == n - 1 == vocab_size + 1, (n, vocab_size)
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=spm_path)
    for i in (3, 4, 100, vocab_size - 1):
        piece = sp.id_to_piece(i)
        assert fast.convert_tokens_to_ids(piece) == i + 1, (i, piece)
    for text in ["Hello world", "你好，世界", "สวัสดี", "ｈｅｌｌｏ", "ﬁne"]:
        assert slow(text)["input_ids"] == fast(text)["input_ids"], text
    with open(os.path.join(out_dir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    norm = json.dumps(tj["normalizer"])
    assert "Precompiled" in norm, "expected a precompiled charsmap normaliser"
    print(f"tokenizer: {n} ids (<mask>={n - 1}) written to {out_dir}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab-size", type=int, default=SPM_VOCAB_SIZE, help="sentencepiece pieces (ids = this + 2)")
    args = ap.parse_args()
    build(args.out, args.vocab_size)


if __name__ == "__main__":
    main()
