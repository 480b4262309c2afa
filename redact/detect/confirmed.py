"""A cheap model proposes, a second one confirms on crops: the cascade.

YuNet (``detect.yunet``) runs on the whole picture, often and cheaply; CenterFace runs only on a
crop around each of its candidates, scaled so the candidate is ``face_px`` tall with as much
context again around it, all crops of a frame in one batched call. A candidate the crop confirms
was found by two models (``centerface@crop+yunet-n`` in the log); one it does not is the
proposer's alone. Confirmation is a signal, not
a gate: a candidate the proposer is sure enough of (``mask_threshold``) stays a detection either
way, one model only, so that the review page ranks it with the uncertain (``subjects``); the crop
lets in what the proposer is unsure of (its own threshold up to ``mask_threshold``) only when it
confirms it. What the proposer is sure of is masked whatever the crop says; what it is unsure of
and the crop does not confirm is not (YuNet alone, at its usual 0.3, would mask some of it).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..boxes import iou
from ..detections import Detections, joined_models
from ..geometry import rotate_boxes
from .base import Detector, DetectorInfo, joined_providers
from .centerface import CenterFaceDetector
from .centerface import decode as centerface_decode

BATCH = 16  # crops per onnxruntime call: bounds the batch's memory on a crowd
# at most this many candidates a picture are looked at again, the best first (the largest crowd of
# WIDER's photos, enlarged to 1080p, gave 210 at 0.1), so a frame's cost stays bounded (about 1.2 s
# of crops on one core); the rest are judged by their own score alone: kept from ``UNCHECKED_KEEP``
MAX_CROPS = 256
# what an unchecked candidate needs to be kept: YuNet's own operating point, where alone it covers as
# many faces as CenterFace at 0.2 (models/yunet_n.md)
UNCHECKED_KEEP = 0.3
CROP_DECODE = 0.05  # the lowest score a crop's boxes are read at


def crop_windows(boxes: np.ndarray, face_px: int, context: float) -> tuple[np.ndarray, np.ndarray]:
    """For each xyxy box, the (x0, y0) corner and scale of a square window centred on it, ``context``
    times its longer side, that maps onto a ``side`` x ``side`` crop (side = face_px * context)."""
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    longer = np.maximum(np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]), 1.0)
    window = longer * context
    scale = face_px / longer
    return centre - window[:, None] / 2, scale


def expected_boxes(boxes: np.ndarray, corners: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Each box in its own crop's pixels."""
    return (boxes - np.tile(corners, 2)) * scales[:, None]


def crop_score(found: np.ndarray, scores: np.ndarray, expected: np.ndarray, min_iou: float) -> float:
    """The best score among a crop's boxes that lie on the candidate (IoU >= ``min_iou``); 0 if none."""
    if not len(found):
        return 0.0
    on = iou(expected[None], found)[0] >= min_iou
    return float(scores[on].max()) if on.any() else 0.0


class CropConfirmer:
    """CenterFace's score for each candidate box, from a crop around it (0: nothing there)."""

    def __init__(self, confirmer: CenterFaceDetector, face_px: int = 48, context: float = 4.0, min_iou: float = 0.3):
        self.confirmer, self.face_px, self.context, self.min_iou = confirmer, face_px, context, min_iou
        side = round(face_px * context)
        self.side = -(-side // 32) * 32  # the network takes multiples of 32
        self.settings = {"model": confirmer.info.name, "face_px": face_px, "context": context, "min_iou": min_iou}

    def crops(self, rgb: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The crops (N x side x side x 3, RGB) and each candidate's box in its crop. Edges beyond
        the picture repeat its border (a hard black edge draws false faces)."""
        corners, scales = crop_windows(boxes, self.face_px, self.context)
        # centre the window in the (multiple-of-32) crop
        pad = (self.side - self.face_px * self.context) / 2 / scales
        corners = corners - pad[:, None]
        out = np.empty((len(boxes), self.side, self.side, 3), np.uint8)
        for i, ((x0, y0), s) in enumerate(zip(corners, scales, strict=True)):
            matrix = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], np.float32)
            out[i] = cv2.warpAffine(
                rgb, matrix, (self.side, self.side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
        return out, expected_boxes(boxes, corners, scales)

    def scores(
        self, rgb: np.ndarray, boxes: np.ndarray, least: float = CROP_DECODE, turns: np.ndarray | None = None
    ) -> np.ndarray:
        """The confirming model's score on each box's crop, in [0, 1] (read down to ``least`` or
        ``CROP_DECODE``, whichever is lower). ``turns``: each crop is looked at as
        ``np.rot90(crop, k)``, for a box found on a copy of the picture turned ``k`` quarters (a face
        upright there is sideways here, and the model finds upright faces)."""
        result = np.zeros(len(boxes), np.float32)
        if not len(boxes):
            return result
        crops, expected = self.crops(rgb, boxes)
        if turns is not None:
            for i, k in enumerate(np.asarray(turns, int) % 4):
                if k:
                    crops[i] = np.rot90(crops[i], k)
                    expected[i] = rotate_boxes(expected[i : i + 1], k, self.side, self.side)[0]
        session, name = self.confirmer.session, self.confirmer.input_name
        for start in range(0, len(boxes), BATCH):
            blob = np.ascontiguousarray(crops[start : start + BATCH].transpose(0, 3, 1, 2), dtype=np.float32)
            heat, size, offset, *_ = session.run(None, {name: blob})
            for j in range(len(blob)):
                found, scores = centerface_decode(
                    [heat[j : j + 1], size[j : j + 1], offset[j : j + 1]], min(least, CROP_DECODE), self.side, self.side
                )
                result[start + j] = crop_score(found, scores, expected[start + j], self.min_iou)
        return result


class ConfirmedDetector:
    """``proposer``'s candidates, each scored again by ``confirmer`` on a crop around it.

    Kept: every candidate the proposer scores ``mask_threshold`` or more, and every other one
    (down to the proposer's own threshold) whose crop scores ``confirm_threshold`` or more; on a
    picture with more than ``MAX_CROPS`` candidates, the unchecked rest from ``UNCHECKED_KEEP``.
    A confirmed candidate is named ``centerface@crop+yunet-n``: found by YuNet, confirmed by
    CenterFace on a crop around it (not found by it on the whole picture). A
    confirmed candidate names both models and takes the higher of the two scores; the rest name
    the proposer alone."""

    def __init__(
        self,
        proposer: Detector,
        confirmer: CropConfirmer,
        mask_threshold: float = 0.5,
        confirm_threshold: float = 0.1,
    ):
        self.proposer, self.confirmer = proposer, confirmer
        self.mask_threshold, self.confirm_threshold = mask_threshold, confirm_threshold
        info = proposer.info
        settings = {
            **info.settings,
            "confirmed_by": {
                **confirmer.settings,
                "mask_threshold": mask_threshold,
                "confirm_threshold": confirm_threshold,
            },
        }
        model = confirmer.confirmer.info
        self.info = DetectorInfo(
            f"{info.name}>{model.name}",
            info.kind,
            f"{info.model_file},{model.model_file}",
            f"{info.model_sha256},{model.model_sha256}",
            settings,
            joined_providers([info, model]),
        )

    def detect(self, rgb: np.ndarray) -> Detections:
        candidates = self.proposer.detect(rgb)
        crop = np.zeros(len(candidates), np.float32)
        looked = np.argsort(-candidates.scores, kind="stable")[:MAX_CROPS]
        crop[looked] = self.confirmer.scores(rgb, candidates.boxes[looked], self.confirm_threshold)
        unchecked = np.ones(len(candidates), bool)
        unchecked[looked] = False
        confirmed = crop >= self.confirm_threshold
        sure = min(self.mask_threshold, UNCHECKED_KEEP)
        keep = confirmed | (candidates.scores >= self.mask_threshold) | (unchecked & (candidates.scores >= sure))
        second = f"{self.confirmer.confirmer.info.name}@crop"  # the log says how it agreed: on a crop
        models = np.array(
            [joined_models([m, second]) if c else m for m, c in zip(candidates.models, confirmed, strict=True)],
            object,
        )
        scores = np.where(confirmed, np.maximum(candidates.scores, crop), candidates.scores)
        found = Detections(candidates.boxes, scores, candidates.kinds, models)
        return found[keep]
