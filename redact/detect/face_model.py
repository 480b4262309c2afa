"""What every face network here shares: its verified model file, its onnxruntime session, its
record for the log, and passes at several scales merged into one set of boxes."""

from __future__ import annotations

import numpy as np

from ..detections import Detections
from ..models import ModelFile, locate
from .base import DetectorInfo, merged
from .runtime import make_session


class FaceModel:
    """A face network on an RGB image. ``scales`` are resize factors applied before the network,
    ``max_side`` the longest side it sees (None: native size); ``session``: another detector's of
    the same model, so that two passes load its weights once. Subclasses name ``MODEL`` and run
    one scale in ``_run``, and may set their own default ``THRESHOLD`` and ``NMS_IOU``."""

    MODEL: ModelFile
    THRESHOLD = 0.3
    NMS_IOU = 0.3

    def __init__(
        self,
        threshold: float | None = None,
        scales: tuple[float, ...] = (1.0,),
        nms_iou: float | None = None,
        max_side: int | None = None,
        threads: int | None = None,
        session=None,
    ):
        threshold = self.THRESHOLD if threshold is None else threshold
        nms_iou = self.NMS_IOU if nms_iou is None else nms_iou
        self.threshold, self.scales, self.nms_iou, self.max_side = threshold, tuple(scales), nms_iou, max_side
        self.session = session or make_session(str(locate(self.MODEL)), threads)
        self.input_name = self.session.get_inputs()[0].name
        self.info = DetectorInfo(
            name=self.MODEL.name,
            kind="face",
            model_file=self.MODEL.filename,
            model_sha256=self.MODEL.sha256,
            settings={"threshold": threshold, "scales": list(self.scales), "nms_iou": nms_iou, "max_side": max_side},
            providers=tuple(self.session.get_providers()),
        )

    def _run(self, rgb: np.ndarray, factor: float) -> Detections:
        raise NotImplementedError

    def detect(self, rgb: np.ndarray) -> Detections:
        return merged([self._run(rgb, f) for f in self.scales], self.nms_iou)
