#!/usr/bin/env python3
"""Writes the small torch.save files that test the encoder's PyTorch reader (src/pytorch/).

    python packages/encoder/scripts/make_pt_fixtures.py   # needs torch; writes test-fixtures/

- linear-ordered.pt: nn.Linear(4, 3).half().state_dict(): an OrderedDict with `_metadata` (BUILD).
- mixed.pt: float32, bfloat16, float64 tensors, a transposed (strided) view and a view at a
  storage offset that shares its storage with another entry.
- evil.pt: a zip whose data.pkl calls os.system: the reader must refuse it without running it.
- expected.json: the values, as float32 numbers, for every tensor of the first two.
"""

import json
import os
import pickle
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test-fixtures")


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(7)
    expected = {}

    linear = torch.nn.Linear(4, 3).half()
    state = linear.state_dict()
    torch.save(state, os.path.join(OUT, "linear-ordered.pt"))
    expected["linear-ordered.pt"] = describe(state)

    base = torch.randn(3, 5)
    mixed = {
        "float32": torch.randn(2, 3),
        "bfloat16": torch.randn(4).to(torch.bfloat16),
        "float64": torch.randn(2, 2, dtype=torch.float64),
        "transposed": base.t(),  # shape [5, 3], stride (1, 5)
        "offset_view": base[1:, 2:],  # storage offset 7, shares base's storage
        "base": base,
    }
    torch.save(mixed, os.path.join(OUT, "mixed.pt"))
    expected["mixed.pt"] = describe(mixed)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with zipfile.ZipFile(os.path.join(OUT, "evil.pt"), "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps({"weight": Evil()}, protocol=2))
        archive.writestr("evil/version", "3\n")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


def describe(state) -> dict:
    return {
        key: {
            "shape": list(tensor.shape),
            "dtype": str(tensor.dtype).replace("torch.", ""),
            "values": tensor.float().flatten().tolist(),
        }
        for key, tensor in state.items()
    }


if __name__ == "__main__":
    main()
