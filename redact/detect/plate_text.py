"""Read a text line and decide whether it can be a licence plate.

The PP-OCRv4 recogniser (Apache-2.0) reads each plate-shaped text line. A line is dropped
only when it was read *confidently* and clearly is not a plate: a burned-in timestamp or
date (masking those would remove evidence), one or two letters (country ovals; short digit
runs are kept, they may be half a plate), more characters than any plate, or exactly a car
make's name (badges). Words without digits are kept: vanity plates ("KIDSFIRST") are plates.
Anything read with low confidence is kept: an unreadable line may still be a plate, and
recall comes first. The text itself is never logged.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from ..models import PPOCR_REC, locate
from .runtime import make_session

HEIGHT = 48  # the recogniser's input height
# A valid clock time (HH:MM, optional :SS) or calendar date (Y-M-D or D.M.Y), as burned in
# by cameras; loose patterns would also match misread plates such as "57:777-70".
_TIME = r"(?<!\d)([01]?\d|2[0-3])\s?:\s?[0-5]\d(\s?:\s?[0-5]\d)?(?!\d)"
_YMD = r"(?<!\d)(19|20)\d\d[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])(?!\d)"
_DMY = r"(?<!\d)(0?[1-9]|[12]\d|3[01])[-/.](0?[1-9]|1[0-2])[-/.]((19|20)\d\d)"
TIMESTAMP = re.compile(f"{_TIME}|{_YMD}|{_DMY}")
SEPARATORS = re.compile(r"[\s\-·.•]")
# Make badges are the commonest text on a car besides its plate. A plate reading exactly one
# of these names is possible but rare; vanity plates in general are NOT rejected.
MAKES = frozenset(
    "ALFAROMEO AUDI BMW BUICK CADILLAC CHEVROLET CHRYSLER CITROEN DACIA DAEWOO DODGE FIAT FORD "
    "HONDA HYUNDAI INFINITI JAGUAR JEEP KIA LANDROVER LEXUS MAZDA MERCEDES MERCEDESBENZ MINI "
    "MITSUBISHI NISSAN OPEL PEUGEOT PORSCHE RENAULT SAAB SEAT SKODA SUBARU SUZUKI TESLA TOYOTA "
    "VAUXHALL VOLKSWAGEN VOLVO".split()
)


def not_a_plate(text: str, confidence: float, min_confidence: float = 0.8) -> str | None:
    """Why a confidently read line cannot be a plate, or None when it may be one."""
    if confidence < min_confidence:
        return None
    if TIMESTAMP.search(text):
        return "timestamp"
    compact = SEPARATORS.sub("", text.upper())
    alnum = [c for c in compact if c.isascii() and c.isalnum()]
    if len(alnum) <= 2 and not any(c.isdigit() for c in alnum):
        return "too short"  # country codes (SK, GB); digit fragments may be half a plate
    if len(alnum) > 10:
        return "too long"
    if "".join(alnum) in MAKES:
        return "make badge"
    return None


class PlateReader:
    def __init__(self, threads: int | None = None):
        self.session = make_session(str(locate(PPOCR_REC)), threads)
        self.input_name = self.session.get_inputs()[0].name
        characters = self.session.get_modelmeta().custom_metadata_map["character"].splitlines()
        self.characters = ["", *characters, " "]  # CTC blank first, space last, as trained

    def read(self, rgb: np.ndarray, boxes: np.ndarray) -> list[tuple[str, float]]:
        """(text, mean character confidence) for each box, read left to right."""
        h, w = rgb.shape[:2]
        crops = []
        for x0, y0, x1, y1 in np.asarray(boxes, np.float32).reshape(-1, 4):
            x0, y0 = int(max(0, x0)), int(max(0, y0))
            x1, y1 = int(min(w, np.ceil(x1))), int(min(h, np.ceil(y1)))
            crop = rgb[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1), ::-1]  # the model reads BGR
            width = max(8, min(640, round(crop.shape[1] * HEIGHT / max(1, crop.shape[0]))))
            crops.append(cv2.resize(crop, (width, HEIGHT)))
        if not crops:
            return []
        widest = max(c.shape[1] for c in crops)
        batch = np.zeros((len(crops), 3, HEIGHT, widest), np.float32)
        for i, crop in enumerate(crops):
            batch[i, :, :, : crop.shape[1]] = (crop.astype(np.float32) / 255.0 - 0.5).transpose(2, 0, 1) / 0.5
        probs = self.session.run(None, {self.input_name: batch})[0]  # (N, T, classes)
        results = []
        for p in probs:
            best = p.argmax(axis=1)
            keep = np.r_[True, best[1:] != best[:-1]] & (best != 0)
            chars = [self.characters[i] for i in best[keep] if i < len(self.characters)]
            confidence = float(p.max(axis=1)[keep].mean()) if keep.any() else 0.0
            results.append(("".join(chars), confidence))
        return results
