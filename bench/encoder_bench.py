#!/usr/bin/env python3
"""Python peers of bench/encoder-bench.mjs: FlagEmbedding (PyTorch fp32) and Python onnxruntime.

Run by the Node driver, one engine per process (so peak RSS is the engine's own):

    python bench/encoder_bench.py --engine flagembedding --model DIR --corpus corpus.json --threads 2
    python bench/encoder_bench.py --engine onnxruntime   --model DIR --corpus corpus.json --threads 2

Prints one JSON line: load_s, query_ms (median single-query latency), corpus_s, texts, tokens,
peak_rss_mb. `onnxruntime` runs the official layout the way a Python user would: HF `tokenizers`
on tokenizer.json, onnx/model.onnx (last hidden state), the heads from colbert_linear.pt and
sparse_linear.pt applied with numpy, texts sorted by length and batched like FlagEmbedding.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["flagembedding", "onnxruntime"], required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=8192)
    parser.add_argument("--query-repeats", type=int, default=5)
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        corpus = json.load(f)
    texts, query = corpus["texts"], corpus["query"]

    started = time.perf_counter()
    if args.engine == "flagembedding":
        encode, count_tokens = flagembedding_engine(args)
    else:
        encode, count_tokens = onnxruntime_engine(args)
    load_s = time.perf_counter() - started

    encode([query])  # warm up
    latencies = []
    for _ in range(args.query_repeats):
        t0 = time.perf_counter()
        encode([query])
        latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    encode(texts)
    corpus_s = time.perf_counter() - t0

    print(json.dumps({
        "engine": args.engine,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "load_s": load_s,
        "query_ms": statistics.median(latencies),
        "corpus_s": corpus_s,
        "texts": len(texts),
        "tokens": count_tokens(texts),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def flagembedding_engine(args):
    import torch

    torch.set_num_threads(args.threads)
    from FlagEmbedding import BGEM3FlagModel

    model = BGEM3FlagModel(args.model, use_fp16=False, devices="cpu")

    def encode(texts):
        return model.encode(texts, batch_size=args.batch_size, max_length=args.max_length,
                            return_dense=True, return_sparse=True, return_colbert_vecs=True)

    def count(texts):
        return sum(len(ids) for ids in model.tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"])

    return encode, count


def onnxruntime_engine(args):
    import numpy as np
    import onnxruntime as ort
    import torch  # only to read the .pt heads, as a Python user would
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(args.model, "onnx", "model.onnx"), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tokenizer.enable_truncation(args.max_length)
    colbert = torch.load(os.path.join(args.model, "colbert_linear.pt"), map_location="cpu")
    sparse = torch.load(os.path.join(args.model, "sparse_linear.pt"), map_location="cpu")
    colbert_w = colbert["weight"].float().numpy().T.copy()
    colbert_b = colbert["bias"].float().numpy()
    sparse_w = sparse["weight"].float().numpy().T.copy()
    sparse_b = sparse["bias"].float().numpy()
    special = {0, 1, 2, 3}

    def normalize(x):
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)

    def encode(texts):
        encodings = tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        results = [None] * len(texts)
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            length = max(len(encodings[i].ids) for i in batch)
            ids = np.ones((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = session.run(["token_embeddings"], {"input_ids": ids, "attention_mask": mask})[0]
            dense = normalize(hidden[:, 0])
            weights = np.maximum(hidden @ sparse_w + sparse_b, 0)[..., 0]
            vectors = normalize((hidden[:, 1:] @ colbert_w + colbert_b) * mask[:, 1:, None])
            for row, i in enumerate(batch):
                n = int(mask[row].sum())
                lexical = {}
                for token, weight in zip(ids[row, :n].tolist(), weights[row, :n].tolist()):
                    if token not in special and weight > lexical.get(str(token), 0):
                        lexical[str(token)] = weight
                results[i] = (dense[row], lexical, vectors[row, : n - 1])
        return results

    def count(texts):
        return sum(len(e.ids) for e in tokenizer.encode_batch(texts))

    return encode, count


if __name__ == "__main__":
    sys.exit(main())
