#!/usr/bin/env python3
"""Writes an int8 variant of a BGE-M3 transformer graph for @m3kit/encoder, and measures it.

    pip install onnx onnxruntime numpy            # the versions in tools/requirements.txt work
    python packages/encoder/scripts/quantize_int8.py MODEL_DIR [--graph onnx/model.onnx] [--out onnx/model_int8.onnx]

Dynamic quantisation of every MatMul weight to int8 with one scale per output channel
(onnxruntime.quantization.quantize_dynamic, per_channel=True); activations are quantised per run.
The embedding tables, LayerNorms, softmax and the heads (applied by m3kit from the .pt files) stay
fp32. The result keeps the graph's inputs and outputs, so m3kit loads it like the original:

    M3Encoder.load(MODEL_DIR, { onnxFile: 'onnx/model_int8.onnx' })

After writing it, the script compares int8 with fp32 on a few multilingual texts (both graphs
run in onnxruntime, heads applied as FlagEmbedding does) and prints the agreement: dense cosine,
ColBERT vector cosine, and ColBERT scores (query vs passages) side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

TEXTS = [
    "What is BGE M3?",
    "BGE M3 is an embedding model supporting dense retrieval, lexical matching and multi-vector interaction.",
    "信息检索是一门研究如何查找信息的科学。",
    "Information retrieval is the science of searching for information in a document, searching for documents "
    "themselves, and also searching for the metadata that describes data.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "การค้นหาข้อมูลในเอกสารจำนวนมากเป็นเรื่องสำคัญ",
    "L'été dernier, nous sommes allés à la plage près de Marseille.",
    "東京は日本の首都です。カタカナとひらがなを混ぜて書きます。",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir")
    parser.add_argument("--graph", default="onnx/model.onnx")
    parser.add_argument("--out", default="onnx/model_int8.onnx")
    parser.add_argument("--skip-quantize", action="store_true", help="only measure an existing --out")
    args = parser.parse_args()

    source = os.path.join(args.model_dir, args.graph)
    target = os.path.join(args.model_dir, args.out)
    if not args.skip_quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        started = time.perf_counter()
        quantize_dynamic(
            source,
            target,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
            use_external_data_format=os.path.getsize(source) < 100_000_000,  # the source keeps its weights outside
        )
        print(f"wrote {target} in {time.perf_counter() - started:.0f} s")
    print(json.dumps(measure(args.model_dir, source, target), indent=1))


def measure(model_dir: str, fp32_graph: str, int8_graph: str) -> dict:
    import onnxruntime as ort
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    colbert = torch.load(os.path.join(model_dir, "colbert_linear.pt"), map_location="cpu")
    weight = colbert["weight"].float().numpy().T
    bias = colbert["bias"].float().numpy()

    def normalize(x):
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)

    def run(graph: str):
        session = ort.InferenceSession(graph, providers=["CPUExecutionProvider"])
        out = []
        for text in TEXTS:
            ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
            out.append((normalize(hidden[0]), normalize(hidden[1:] @ weight + bias)))
        return out

    fp32, int8 = run(fp32_graph), run(int8_graph)
    dense_cos = [float(a[0] @ b[0]) for a, b in zip(fp32, int8)]
    token_cos = np.concatenate([np.sum(a[1] * b[1], axis=-1) for a, b in zip(fp32, int8)])

    def colbert_score(q, p):
        return float(np.max(q @ p.T, axis=1).sum() / q.shape[0])

    scores = [
        (colbert_score(fp32[0][1], fp32[i][1]), colbert_score(int8[0][1], int8[i][1])) for i in range(1, len(TEXTS))
    ]
    relative = [abs(s8 - s32) / abs(s32) for s32, s8 in scores]
    return {
        "texts": len(TEXTS),
        "dense_cosine_min": min(dense_cos),
        "dense_cosine_mean": float(np.mean(dense_cos)),
        "colbert_vector_cosine_min": float(token_cos.min()),
        "colbert_vector_cosine_mean": float(token_cos.mean()),
        "colbert_score_pairs_fp32_int8": scores,
        "colbert_score_agreement": 1 - max(relative),
        "same_colbert_ranking": [i for i, _ in sorted(enumerate(scores), key=lambda x: -x[1][0])]
        == [i for i, _ in sorted(enumerate(scores), key=lambda x: -x[1][1])],
    }


if __name__ == "__main__":
    main()
