#!/usr/bin/env python3
"""Check the tiny model's ONNX exports against the FlagEmbedding reference.

    /work/venvs/tools/bin/python tools/verify_onnx.py [--out fixtures/reference/onnx-agreement.json]

Runs both graphs with onnxruntime (CPU, 1 thread) on the reference input_ids
of every text at every max_length of fixtures/reference/tiny-m3.json, once
per text (no padding) and once as right-padded batches (pad id 1, mask 0), and
reports the max absolute differences to FlagEmbedding's outputs:

  * m3kit/model.onnx: dense_vecs, sparse_weights -> lexical weights with
    FlagEmbedding's rule (drop ids 0,1,2,3 and weights <= 0, max per id),
    colbert_vecs[:n_tokens-1];
  * onnx/model.onnx (Hub layout): sentence_embedding vs dense; the heads
    applied in numpy to token_embeddings with the fp16 colbert/sparse weights.

Exits non-zero if any difference exceeds --tol (default 1e-5).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from m3ref_common import FIXTURES, decode_f32_matrix, write_json  # noqa: E402

UNUSED = {0, 1, 2, 3}  # <s> <pad> </s> <unk>


def lexical(weights: np.ndarray, ids) -> dict:
    out: dict = {}
    for w, i in zip(weights, ids):
        if int(i) in UNUSED or not w > 0:
            continue
        k = str(int(i))
        if w > out.get(k, 0.0):
            out[k] = float(w)
    return out


def l2n(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


class Stats:
    def __init__(self, short: bool = True):
        self.short = Stats(short=False) if short else None
        self.n_tokens = 0
        self.max = {}
        self.where = {}
        self.key_mismatch = []

    def add(self, name: str, diff: float, where: str):
        if self.short is not None and self.n_tokens <= 512:
            self.short.add(name, diff, where)
        if diff > self.max.get(name, -1.0):
            self.max[name] = diff
            self.where[name] = where

    def lex(self, name: str, got: dict, want: dict, where: str):
        keys = set(got) | set(want)
        d = max((abs(got.get(k, 0.0) - want.get(k, 0.0)) for k in keys), default=0.0)
        self.add(name, d, where)
        if set(got) != set(want):
            self.key_mismatch.append({"where": where, "only_onnx": {k: got[k] for k in set(got) - set(want)},
                                      "only_reference": {k: want[k] for k in set(want) - set(got)}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(FIXTURES, "tiny-m3"))
    ap.add_argument("--reference", default=os.path.join(FIXTURES, "reference", "tiny-m3.json"))
    ap.add_argument("--out", default=os.path.join(FIXTURES, "reference", "onnx-agreement.json"))
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--batch", type=int, default=8, help="texts per padded batch")
    args = ap.parse_args()

    import onnxruntime as ort
    import torch

    with open(args.reference, encoding="utf-8") as f:
        ref = json.load(f)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    heads = ort.InferenceSession(os.path.join(args.model, "m3kit", "model.onnx"), so, providers=["CPUExecutionProvider"])
    hub = ort.InferenceSession(os.path.join(args.model, "onnx", "model.onnx"), so, providers=["CPUExecutionProvider"])
    cw = {k: v.float().numpy() for k, v in torch.load(os.path.join(args.model, "colbert_linear.pt"), weights_only=True).items()}
    sw = {k: v.float().numpy() for k, v in torch.load(os.path.join(args.model, "sparse_linear.pt"), weights_only=True).items()}

    st = Stats()

    def check(rows, tag):
        n = max(len(r["input_ids"]) for r in rows)
        ids = np.full((len(rows), n), 1, dtype=np.int64)
        mask = np.zeros((len(rows), n), dtype=np.int64)
        for b, r in enumerate(rows):
            ids[b, : len(r["input_ids"])] = r["input_ids"]
            mask[b, : len(r["input_ids"])] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        dense, sparse_w, colbert = heads.run(None, feeds)
        tok_emb, sent = hub.run(None, feeds)
        for b, r in enumerate(rows):
            k = len(r["input_ids"])
            where = f"{r['id']}@{tag}"
            st.n_tokens = k
            want_dense = np.asarray(r["dense"], dtype=np.float32)
            want_col = decode_f32_matrix(r["colbert_vecs"])
            want_lex = {kk: float(v) for kk, v in r["lexical_weights"].items()}
            st.add("m3kit.dense_vecs", float(np.abs(dense[b] - want_dense).max()), where)
            st.add("m3kit.colbert_vecs", float(np.abs(colbert[b, : k - 1] - want_col).max()) if k > 1 else 0.0, where)
            if k < n:
                st.add("m3kit.padding_rows_nonzero", float(np.abs(colbert[b, k - 1:]).max()) + float(np.abs(sparse_w[b, k:]).max()), where)
            st.lex("m3kit.lexical_weights", lexical(sparse_w[b, :k], r["input_ids"]), want_lex, where)
            # Hub layout: heads applied outside the graph.
            h = tok_emb[b, :k]
            st.add("onnx.sentence_embedding", float(np.abs(sent[b] - want_dense).max()), where)
            st.add("onnx+numpy_heads.dense", float(np.abs(l2n(h[0]) - want_dense).max()), where)
            col = l2n(h[1:] @ cw["weight"].T + cw["bias"])
            st.add("onnx+numpy_heads.colbert", float(np.abs(col - want_col).max()) if k > 1 else 0.0, where)
            spw = np.maximum(h @ sw["weight"][0] + sw["bias"][0], 0.0)
            st.lex("onnx+numpy_heads.lexical_weights", lexical(spw, r["input_ids"]), want_lex, where)

    for L, rows in ref["encode"].items():
        for r in rows:
            check([r], f"{L}/single")
        short = sorted([r for r in rows if len(r["input_ids"]) <= 512], key=lambda r: -len(r["input_ids"]))
        for i in range(0, len(short), args.batch):
            check(short[i: i + args.batch], f"{L}/padded-batch")

    worst = max(st.max.values())
    result = {
        "description": "max |ONNX (onnxruntime) - FlagEmbedding| over every text of fixtures/reference/tiny-m3.json; see tools/verify_onnx.py",
        "onnxruntime": ort.__version__,
        "reference_versions": ref["versions"],
        "tolerance": args.tol,
        "max_abs_diff": {k: float(f"{v:.3g}") for k, v in sorted(st.max.items())},
        "worst_case_text": st.where,
        "max_abs_diff_texts_up_to_512_tokens": {k: float(f"{v:.3g}") for k, v in sorted(st.short.max.items())},
        "lexical_key_mismatches": st.key_mismatch,
        "passed": bool(worst <= args.tol and not st.key_mismatch),
    }
    write_json(args.out, result)
    for k, v in sorted(st.max.items()):
        print(f"{k:40s} {v:.3g}  ({st.where[k]})")
    print("texts <= 512 tokens:", {k: float(f"{v:.3g}") for k, v in sorted(st.short.max.items())})
    print("lexical key mismatches:", st.key_mismatch or "none")
    print("PASSED" if result["passed"] else "FAILED", f"(tol {args.tol})")
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
