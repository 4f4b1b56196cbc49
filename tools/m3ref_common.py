"""Helpers shared by the m3kit reference tools (text set, JSON number format)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from typing import Any, Dict, List

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
FIXTURES = os.path.join(ROOT, "fixtures")
TEXTS_JSON = os.path.join(FIXTURES, "texts.json")

_SURROGATE = re.compile("[\ud800-\udfff]")


def load_texts(path: str = TEXTS_JSON) -> Dict[str, Any]:
    """Load fixtures/texts.json and expand it.

    Returns {"texts": [{"id", "text", "source_text", "surrogates_replaced", ...}], "pairs": [...]}.
    * an entry with "repeat": {"unit", "count"} has text = unit * count;
    * lone surrogates (legal in JSON/JS strings, not encodable as UTF-8, so the
      Rust tokenizer cannot take them) are replaced by U+FFFD, which is what
      JavaScript's TextEncoder / Buffer.from(str, "utf8") do.
    """
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    out = []
    for e in doc["texts"]:
        if "repeat" in e:
            src = e["repeat"]["unit"] * int(e["repeat"]["count"])
        else:
            src = e["text"]
        text, n = _SURROGATE.subn("\ufffd", src)
        item = dict(e)
        item["text"] = text
        item["surrogates_replaced"] = n
        out.append(item)
    ids = [t["id"] for t in out]
    assert len(ids) == len(set(ids)), "duplicate text ids"
    return {"texts": out, "pairs": doc.get("pairs", [])}


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def f32(x) -> float:
    """A float32 value as the Python float of its shortest decimal repr.

    json.dumps then prints that shortest repr (<= 9 significant digits), and
    Math.fround(JSON.parse(...)) in JS gives back the exact float32.
    """
    return float(str(np.float32(x)))


def f32_list(a) -> List[float]:
    return [f32(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def f32_matrix_b64(a) -> Dict[str, Any]:
    """A float32 matrix as {"shape", "dtype": "float32-le", "base64"} (exact values)."""
    arr = np.ascontiguousarray(np.asarray(a, dtype="<f4"))
    return {"shape": list(arr.shape), "dtype": "float32-le", "base64": base64.b64encode(arr.tobytes()).decode("ascii")}


def decode_f32_matrix(d: Dict[str, Any]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(d["base64"]), dtype="<f4").reshape(d["shape"])


def _dumps(obj: Any, indent: int, level: int) -> str:
    """Indented JSON whose scalar-only arrays and small dicts stay on one line."""
    pad = " " * (indent * (level + 1))
    end = " " * (indent * level)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        if all(not isinstance(v, (dict, list)) for v in obj.values()) and level >= 2:
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        items = [json.dumps(str(k), ensure_ascii=False) + ": " + _dumps(v, indent, level + 1) for k, v in obj.items()]
        return "{\n" + ",\n".join(pad + i for i in items) + "\n" + end + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return "[\n" + ",\n".join(pad + _dumps(v, indent, level + 1) for v in obj) + "\n" + end + "]"
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


def write_json(path: str, obj: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    s = _dumps(obj, 1, 0)
    assert json.loads(s) == obj
    with open(path, "w", encoding="utf-8") as f:
        f.write(s + "\n")
