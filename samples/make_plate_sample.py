"""Make ``samples/plate_rear.png``: a drawn car rear with two licence plates, and their boxes.

Everything is drawn here (OpenCV shapes and Hershey text), so the image is ours to ship.
Plate boxes (xyxy, the whole plate including its frame) go to ``plate_rear.truth.json``.

    python samples/make_plate_sample.py
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
IMAGE = HERE / "plate_rear.png"
TRUTH = HERE / "plate_rear.truth.json"
WIDTH, HEIGHT = 1280, 720


def plate(canvas: np.ndarray, x: int, y: int, w: int, h: int, text: str) -> list[int]:
    cv2.rectangle(canvas, (x, y), (x + w, y + h), (235, 235, 230), -1)
    cv2.rectangle(canvas, (x, y), (x + w, y + h), (40, 40, 40), max(2, h // 20))
    (unit_w, unit_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, 1.0, 2)
    scale = min(0.86 * w / unit_w, 0.6 * h / unit_h)  # fill the plate like real lettering
    stroke = max(1, round(scale * 2))
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, stroke)
    origin = (x + (w - tw) // 2, y + (h + th) // 2)
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_DUPLEX, scale, (20, 20, 20), stroke, cv2.LINE_AA)
    return [x, y, x + w, y + h]


def main() -> None:
    rng = np.random.default_rng(3)
    canvas = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    canvas[400:] = (70, 70, 75)  # road
    canvas = np.clip(canvas + rng.normal(0, 6, canvas.shape), 0, 255).astype(np.uint8)
    # a car rear: body, window, lights, bumper
    cv2.rectangle(canvas, (300, 180), (980, 560), (40, 50, 120), -1)
    cv2.rectangle(canvas, (380, 200), (900, 330), (60, 60, 60), -1)
    cv2.rectangle(canvas, (310, 360), (420, 420), (30, 30, 200), -1)
    cv2.rectangle(canvas, (860, 360), (970, 420), (30, 30, 200), -1)
    cv2.rectangle(canvas, (290, 520), (990, 575), (35, 35, 35), -1)
    boxes = [plate(canvas, 530, 420, 220, 70, "KX21 RDP")]
    # a smaller, farther car's plate
    cv2.rectangle(canvas, (1040, 300), (1240, 430), (120, 110, 100), -1)
    boxes.append(plate(canvas, 1095, 385, 90, 28, "7ABC123"))
    cv2.imwrite(str(IMAGE), canvas)
    TRUTH.write_text(json.dumps({"image": IMAGE.name, "plates": boxes, "texts": ["KX21 RDP", "7ABC123"]}) + "\n")
    print(IMAGE, boxes)


if __name__ == "__main__":
    main()
