"""A large face needs a second model's word: one model's lone large box is checked on a crop.

The regions that swallow a picture are large boxes one model alone found. On moving-camera clips
made from WIDER photos (benchmarks/RESULTS.md, 2026-12-07, issue 31), of the boxes whose short
side is at least a tenth of the picture's, RetinaFace alone found 1,164 false ones (legs, coats,
knees, hands, a shirt's print) and 58 real faces; on the upright clips, a box both models found
was a real face 234 times in 253. Masked with their margin and carried by tracking, those lone
boxes covered about half of what the default masked off every face.

So: a face box at least ``min_share`` of the picture's shorter side, found by one model family
only, one that is asked about (RetinaFace; YuNet where no cascade has asked CenterFace about its
candidates already), is kept only when the confirming model scores at least ``threshold`` on a
crop around it, looked at upright and turned a quarter each way, the best answer counting. Asked
in the orientation the box was found in only, CenterFace agreed with 18 of the 58 real faces at
0.2; asked all three ways, with 50 (and with 61 of the 1,164 false boxes) at 0.3: a face one model
alone finds is often one the other cannot see upright (tilted, lying, in profile). A kept box then
names the crop's agreement (``centerface@crop``, ``@90`` where the turned crop answered; half a
model in a subject's confidence); a dropped one is counted in the log's "not masked". It runs on a
frame's merged detections (each field's, for interlaced video).

What it cannot confirm is lost: a face in profile, half hidden by another head, that RetinaFace
alone finds. The default asks from a fifth of the picture (``DetectOptions.large_face_share``),
where that cost 3 turned face-frames in 7,391 on two sets of clips; from a tenth it cost 25.
Smaller boxes are left alone: a small face is often seen by one model only, and missing it is a
leak.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..detections import Detections, joined_models
from .base import Detector, joined_providers
from .confirmed import CropConfirmer
from .upright import on_frame

TURNS = (0, 1, 3)  # the crop is looked at upright and turned a quarter each way
# at most this many boxes of a picture are asked about, the surest first; the rest are kept (recall
# first): a frame's cost stays bounded whatever a preset's share (large lone boxes are a few a frame)
MAX_ASKED = 32
DROPPED = "large face one model alone found, not confirmed by CenterFace on a crop"


def family(name: str) -> str:
    """The model behind a name, without where it looked: "retinaface-mnet025@90" is RetinaFace,
    "centerface@crop@90" is CenterFace (agreeing on a crop)."""
    return name.split("@")[0]


def needs_agreement(found: Detections, width: int, height: int, min_share: float, asked: tuple[str, ...]) -> np.ndarray:
    """Which faces are large (short side >= ``min_share`` of the picture's) and found by one model
    family only, one of ``asked`` (RetinaFace; YuNet where no cascade asked about it already)."""
    boxes = found.boxes
    short = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    out = (found.kinds == "face") & (short >= min_share * min(width, height))
    for i in np.flatnonzero(out):  # model names read for the large ones only: a few a frame
        families = {family(m) for m in str(found.models[i]).split("+") if m}
        out[i] = len(families) == 1 and next(iter(families)) in asked
    return out


class LargeFaceAgreement:
    """``detector``'s detections, its large lone face boxes kept only where ``confirmer`` agrees on
    a crop (see the module's text). ``on_frame`` follows the wrapped detector's passes."""

    def __init__(
        self,
        detector: Detector,
        confirmer: CropConfirmer,
        asked: tuple[str, ...],
        min_share: float = 0.2,
        threshold: float = 0.3,
    ):
        if not 0 < min_share <= 1 or not 0 < threshold < 1:
            raise ValueError("a large face's share is in (0, 1] and its crop threshold in (0, 1)")
        self.detector, self.confirmer, self.asked = detector, confirmer, tuple(asked)
        self.min_share, self.threshold = min_share, threshold
        self.dropped = {DROPPED: 0}  # counted in the log's "not masked" (``workers``)
        model = confirmer.confirmer.info
        self.second = model.name
        info = detector.info
        settings = {
            **info.settings,
            "large_faces_agreed": {
                **confirmer.settings,
                "asked_about": list(self.asked),
                "min_share": min_share,
                "threshold": threshold,
            },
        }
        files, hashes = info.model_file.split(","), info.model_sha256.split(",")
        if model.model_file not in files:  # CenterFace decides what is masked: the log names its file
            files, hashes = [*files, model.model_file], [*hashes, model.model_sha256]
        self.info = dataclasses.replace(
            info,
            model_file=",".join(files),
            model_sha256=",".join(hashes),
            settings=settings,
            providers=joined_providers([info, model]),
        )

    def on_frame(self, index: int) -> Detector:
        inner = on_frame([self.detector], index)[0]
        return self if inner is self.detector else _OnFrame(self, inner)

    def checked(self, found: Detections, rgb: np.ndarray) -> Detections:
        """``found`` with each large lone face kept only if the crop agrees (then named so)."""
        if not len(found):
            return found
        height, width = rgb.shape[:2]
        asked = np.flatnonzero(needs_agreement(found, width, height, self.min_share, self.asked))
        asked = asked[np.argsort(-found.scores[asked], kind="stable")[:MAX_ASKED]]
        if not len(asked):
            return found
        # each asked upright and turned a quarter each way, the best answer counting: a face one model
        # found alone is often one the other cannot see upright (tilted, lying, in profile)
        which = np.repeat(asked, len(TURNS))
        turns = np.tile(np.array(TURNS), len(asked))
        answers = self.confirmer.scores(rgb, found.boxes[which], self.threshold, turns).reshape(len(asked), len(TURNS))
        best = {int(i): (float(a.max()), TURNS[int(a.argmax())]) for i, a in zip(asked, answers, strict=True)}
        keep = np.ones(len(found), bool)
        models = found.models.copy()
        for i, (s, k) in best.items():
            if s >= self.threshold:
                models[i] = joined_models([models[i], f"{self.second}@crop" + (f"@{90 * k}" if k else "")])
            else:
                keep[i] = False
        self.dropped[DROPPED] += int((~keep).sum())
        return Detections(found.boxes, found.scores, found.kinds, models)[keep]

    def detect(self, rgb: np.ndarray) -> Detections:
        return self.checked(self.detector.detect(rgb), rgb)


class _OnFrame:
    """The check around what the wrapped detector runs on one frame."""

    def __init__(self, owner: LargeFaceAgreement, inner: Detector):
        self.owner, self.inner, self.info = owner, inner, owner.info

    def detect(self, rgb: np.ndarray) -> Detections:
        return self.owner.checked(self.inner.detect(rgb), rgb)
