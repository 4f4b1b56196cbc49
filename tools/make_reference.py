#!/usr/bin/env python3
"""Reference outputs of FlagEmbedding (fp32, CPU) for the tiny model.

    /work/venvs/tools/bin/python tools/make_reference.py \
        [--model fixtures/tiny-m3] [--out fixtures/reference/tiny-m3.json]

For every text of fixtures/texts.json and every max_length in MAX_LENGTHS this
records what ``BGEM3FlagModel.encode(text, max_length=L, return_dense=True,
return_sparse=True, return_colbert_vecs=True)`` returns, one text per call (so
no padding is involved), plus the input_ids that FlagEmbedding's own tokenizer
call produced: ``tokenizer([text], truncation=True, max_length=L)``.

Scores: for the pairs of texts.json, ``compute_score`` (weights
[0.4, 0.2, 0.4]) one pair per call and all pairs in one call, and the
individual ``colbert_score`` / ``compute_lexical_matching_score`` / dense dot
product on the ``encode`` outputs.

Number format: dense vectors, lexical weights and scores are JSON numbers in
the shortest decimal form of their float32 value (Math.fround of the parsed
number gives the exact float32); ColBERT matrices are base64 float32
little-endian with their shape (exact).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TQDM_DISABLE", "1")  # FlagEmbedding's progress bars

import numpy as np  # noqa: E402

from m3ref_common import FIXTURES, f32, f32_list, f32_matrix_b64, load_texts, text_sha256, write_json  # noqa: E402

MAX_LENGTHS = [8192, 32]
SCORE_WEIGHTS = [0.4, 0.2, 0.4]
QUERY_MAX_LENGTH = 32
PASSAGE_MAX_LENGTH = 8192


def versions() -> dict:
    import tokenizers
    import torch
    import transformers
    from importlib.metadata import version

    return {
        "FlagEmbedding": version("FlagEmbedding"),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(FIXTURES, "tiny-m3"))
    ap.add_argument("--out", default=os.path.join(FIXTURES, "reference", "tiny-m3.json"))
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the machine is shared)")
    args = ap.parse_args()

    import torch
    from FlagEmbedding import BGEM3FlagModel

    torch.set_num_threads(args.threads)
    t0 = time.time()
    model = BGEM3FlagModel(args.model, use_fp16=False, devices="cpu")
    tok = model.tokenizer
    data = load_texts()
    texts = data["texts"]
    by_id = {t["id"]: t["text"] for t in texts}

    encode: dict = {}
    for L in MAX_LENGTHS:
        rows = []
        for t in texts:
            text = t["text"]
            ids = tok([text], truncation=True, max_length=L)["input_ids"][0]
            r = model.encode([text], max_length=L, return_dense=True, return_sparse=True, return_colbert_vecs=True)
            dense = r["dense_vecs"][0]
            lw = r["lexical_weights"][0]
            col = r["colbert_vecs"][0]
            assert col.shape[0] == len(ids) - 1, (t["id"], col.shape, len(ids))
            rows.append({
                "id": t["id"],
                "text_sha256": text_sha256(text),
                "n_tokens": len(ids),
                "input_ids": [int(i) for i in ids],
                "dense": f32_list(dense),
                "lexical_weights": {str(k): f32(v) for k, v in lw.items()},
                "colbert_vecs": f32_matrix_b64(col),
            })
        encode[str(L)] = rows
        print(f"max_length {L}: {len(rows)} texts encoded ({time.time() - t0:.1f}s)")

    # Scores.
    pairs = [(q, p) for q, p in data["pairs"]]
    pair_texts = [(by_id[q], by_id[p]) for q, p in pairs]
    kw = dict(max_query_length=QUERY_MAX_LENGTH, max_passage_length=PASSAGE_MAX_LENGTH, weights_for_different_modes=SCORE_WEIGHTS)
    single = [model.compute_score([qt, pt], **kw) for qt, pt in pair_texts]
    batched = model.compute_score(pair_texts, batch_size=len(pair_texts), **kw)
    score_rows = []
    for i, ((q, p), (qt, pt)) in enumerate(zip(pairs, pair_texts)):
        qr = model.encode([qt], max_length=QUERY_MAX_LENGTH, return_dense=True, return_sparse=True, return_colbert_vecs=True)
        pr = model.encode([pt], max_length=PASSAGE_MAX_LENGTH, return_dense=True, return_sparse=True, return_colbert_vecs=True)
        score_rows.append({
            "query": q,
            "passage": p,
            "compute_score": {k: f32(v) for k, v in single[i].items()},
            "compute_score_batched": {k: f32(batched[k][i]) for k in batched},
            "colbert_score": f32(model.colbert_score(qr["colbert_vecs"][0], pr["colbert_vecs"][0]).item()),
            "lexical_matching_score": f32(model.compute_lexical_matching_score(qr["lexical_weights"][0], pr["lexical_weights"][0])),
            "dense_score": f32(np.dot(qr["dense_vecs"][0], pr["dense_vecs"][0])),
        })
    print(f"scores: {len(score_rows)} pairs ({time.time() - t0:.1f}s)")

    ref = {
        "description": "FlagEmbedding BGEM3FlagModel reference outputs for fixtures/tiny-m3 (see fixtures/README.md).",
        "versions": versions(),
        "model": os.path.relpath(args.model, os.path.dirname(FIXTURES)),
        "settings": {
            "constructor": "BGEM3FlagModel(model, use_fp16=False, devices='cpu')  # normalize_embeddings=True, pooling 'cls'",
            "encode_call": "model.encode([text], max_length=L, return_dense=True, return_sparse=True, return_colbert_vecs=True)",
            "tokenizer_call": "model.tokenizer([text], truncation=True, max_length=L)  # add_special_tokens default (True): <s> ... </s>",
            "attn_implementation": model.model.model.config._attn_implementation,
            "max_lengths": MAX_LENGTHS,
            "compute_score_call": "model.compute_score(pairs, max_query_length=%d, max_passage_length=%d, weights_for_different_modes=%s)" % (QUERY_MAX_LENGTH, PASSAGE_MAX_LENGTH, SCORE_WEIGHTS),
            "pair_scores_from_encode": "colbert_score / compute_lexical_matching_score / dense dot on encode() outputs with max_length %d (query) and %d (passage)" % (QUERY_MAX_LENGTH, PASSAGE_MAX_LENGTH),
            "number_format": "dense, lexical weights, scores: shortest decimal of the float32 value; colbert_vecs: base64 float32 little-endian + shape [n_tokens-1, hidden], row i = token i+1 (</s> included, <s> excluded)",
            "lone_surrogates": "replaced by U+FFFD before encoding (see texts.json note and tools/m3ref_common.py)",
            "trailing_whitespace": "transformers 4.x loads tokenizer.json as-is: a trailing space yields a lone U+2581 piece (id 4 in tiny-m3, id 6 in XLM-R)",
        },
        "texts": [
            {k: t[k] for k in ("id",)} | ({"surrogates_replaced": t["surrogates_replaced"]} if t["surrogates_replaced"] else {})
            for t in texts
        ],
        "encode": encode,
        "scores": score_rows,
    }
    write_json(args.out, ref)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB, {time.time() - t0:.1f}s)")


if __name__ == "__main__":
    main()
