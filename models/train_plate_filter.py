"""Train models/plate_filter.onnx, the plate / not-plate filter on text lines (a maintainer
script: nothing runs it at run time, and the package does not need torch).

    pip install -e '.[train]'            # torch (CPU) and onnx, for this script only
    python models/train_plate_filter.py --cv          # 5-fold cross-validation, picks the threshold
    python models/train_plate_filter.py --threshold T --out models/plate_filter.onnx

Data: ``../shared/train/plates`` only (350 Open Images photos, 455 plate boxes, CC BY), never
the evaluation set ``../shared/data``. The samples are what the filter sees at run time: the
plate-shaped lines that the shipped text detector finds in each photo, cut by
``redact.detect.plate_filter.windows`` / ``crop``. A line is a plate when at least half of it
lies on a labelled plate, not a plate when it touches none (lines in between are left out);
the labelled plate boxes themselves are added as plates. The photos show cars, so their other
lines are car text (badges, dealer frames, stickers); each photo is also copied ``--signs``
times with a block of made-up text painted on it away from its plates (a sign, banner or
T-shirt print in OpenCV's Hershey fonts; ``painted_sign``), whose lines are not-plates: our own
synthetic negatives for the text a street scene is full of. Augmented on the fly (the box
jittered and stretched, since the photos were stretched to 416x416; colour, light-on-dark
inversion, blur, noise, JPEG, mirror).

Cross-validation splits by photo. The threshold is the one that keeps ``--keep`` of the
held-out plate lines, and that and every fold's figures are printed for the model card.
Runs on 2 CPU cores in a few minutes; seeded, so a rerun gives the same figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redact.boxes import intersection  # noqa: E402
from redact.detect.plate_filter import HEIGHT, WIDTH, crop, network_batch, windows  # noqa: E402
from redact.detect.plates import PlateDetector, plate_like  # noqa: E402

SEED = 0


def load(data: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """RGB photos and their plate boxes."""
    rows = [json.loads(line) for line in (data / "annotations.jsonl").read_text().splitlines() if line.strip()]
    images = [cv2.cvtColor(cv2.imread(str(data / row["image"])), cv2.COLOR_BGR2RGB) for row in rows]
    plates = [np.array(row["boxes"], np.float32).reshape(-1, 4) for row in rows]
    return images, plates


def samples(images: list[np.ndarray], plates: list[np.ndarray]) -> list[tuple[int, np.ndarray, int, bool]]:
    """(photo, box, label, found by the detector) for every usable line and labelled plate."""
    detector = PlateDetector(read_text=False)
    out = []
    for i, (rgb, gt) in enumerate(zip(images, plates, strict=True)):
        boxes, _ = detector.text(rgb)
        boxes = boxes[plate_like(boxes, detector.min_aspect, detector.max_aspect, detector.min_height)]
        if len(boxes):
            area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1)
            on_plate = intersection(boxes, gt).max(axis=1) / area if len(gt) else np.zeros(len(boxes))
            for box, share in zip(boxes, on_plate, strict=True):
                if share >= 0.5:
                    out.append((i, box, 1, True))
                elif share <= 0:
                    out.append((i, box, 0, True))
        out.extend((i, box, 1, False) for box in gt)
    return out


FONTS = [
    cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
]  # fmt: skip
SYLLABLES = "ba ro ta mi ne so lu ka re di an en in on st ch th sh er or al el ar ly ing ed es".split()
# Words a street scene filmed by an officer is full of, and which are evidence: markings on
# uniforms and vehicles, signs, prices.
SCENE_WORDS = "POLICE SHERIFF SECURITY AMBULANCE FIRE STOP EXIT OPEN CLOSED SALE TAXI BUS HOTEL BAR".split()


def word(rng: np.random.Generator) -> str:
    if rng.random() < 0.15:
        return str(int(rng.integers(1, 10 ** int(rng.integers(1, 5)))))  # "SALE 50", "EST 1987"
    if rng.random() < 0.1:
        return str(rng.choice(SCENE_WORDS))
    if rng.random() < 0.05:  # a camera's burned-in clock or a price
        return f"{rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}:{rng.integers(0, 60):02d}"
    if rng.random() < 0.05:
        return f"${rng.integers(1, 100)}.{rng.integers(0, 100):02d}"
    text = "".join(rng.choice(SYLLABLES, int(rng.integers(1, 4))))
    style = rng.random()
    return text.upper() if style < 0.45 else text.title() if style < 0.8 else text


def painted_sign(rgb: np.ndarray, avoid: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """``rgb`` with a block of made-up text painted on it (a sign, banner or T-shirt print:
    1-4 lines of words, on a filled panel or straight on the picture), away from the plates;
    and the block's box. Our own synthetic negatives: the training photos show cars, so
    without these the filter never sees the banners and shop signs it must leave alone."""
    h, w = rgb.shape[:2]
    font = int(rng.choice(FONTS)) | (cv2.FONT_ITALIC if rng.random() < 0.15 else 0)
    scale = rng.uniform(0.4, 1.6)
    thickness = int(rng.integers(1, 4))
    lines = [" ".join(word(rng) for _ in range(int(rng.integers(1, 4)))) for _ in range(int(rng.integers(1, 5)))]
    sizes = [cv2.getTextSize(line, font, scale, thickness) for line in lines]
    line_h = max(s[0][1] + s[1] for s in sizes) + int(4 * scale)
    block_w, block_h = max(s[0][0] for s in sizes) + 12, line_h * len(lines) + 12
    if block_w >= w or block_h >= h:
        return None
    x, y = int(rng.integers(0, w - block_w)), int(rng.integers(0, h - block_h))
    box = np.array([[x, y, x + block_w, y + block_h]], np.float32)
    if len(avoid) and intersection(box, avoid).max() > 0:
        return None
    out = rgb.copy()
    ink = tuple(int(v) for v in rng.integers(0, 256, 3))
    if rng.random() < 0.7:  # a panel in a colour far from the ink
        panel = tuple(int(255 - v + rng.integers(-40, 41)) % 256 for v in ink)
        cv2.rectangle(out, (x, y), (x + block_w, y + block_h), panel, -1)
    for k, line in enumerate(lines):
        origin = (x + 6, y + 6 + line_h * (k + 1) - sizes[k][1])
        cv2.putText(out, line, origin, font, scale, ink, thickness, cv2.LINE_AA)
    return out, box


def synthetic_samples(images, plates, per_photo: int, seed: int) -> tuple[list[np.ndarray], list[tuple], list[int]]:
    """Photos with painted signs, the detector's plate-shaped lines on those signs as
    not-plates (indices after the real photos'), and the photo each was painted on."""
    rng = np.random.default_rng(seed)
    detector = PlateDetector(read_text=False)
    extra, out = [], []
    sources = []
    for source, (rgb, gt) in enumerate(zip(images, plates, strict=True)):
        for _ in range(per_photo):
            painted = painted_sign(rgb, gt, rng)
            if painted is None:
                continue
            picture, block = painted
            boxes, _ = detector.text(picture)
            boxes = boxes[plate_like(boxes, detector.min_aspect, detector.max_aspect, detector.min_height)]
            if not len(boxes):
                continue
            area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1)
            on_sign = intersection(boxes, block)[:, 0] / area >= 0.5
            on_plate = intersection(boxes, gt).max(axis=1) > 0 if len(gt) else np.zeros(len(boxes), bool)
            index = len(images) + len(extra)
            extra.append(picture)
            sources.append(source)
            out.extend((index, box, 0, True) for box in boxes[on_sign & ~on_plate])
    return extra, out, sources


def jittered(box: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2 + rng.uniform(-0.08, 0.08) * w
    cy = (y0 + y1) / 2 + rng.uniform(-0.12, 0.12) * h
    w *= rng.uniform(0.8, 1.25)
    h *= rng.uniform(0.8, 1.25)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


def augmented(patch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = patch.astype(np.float32)
    out = out * rng.uniform(0.6, 1.4) + rng.uniform(-40, 40)  # contrast, brightness
    out = out * rng.uniform(0.85, 1.15, 3)  # colour balance
    if rng.random() < 0.2:
        out[:] = out.mean(axis=2, keepdims=True)
    if rng.random() < 0.25:  # light on dark: older and vanity plates, and signs, come both ways
        out = 255 - out
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.2))
    if rng.random() < 0.3:
        out = np.clip(out + rng.normal(0, rng.uniform(2, 10), out.shape), 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        _, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 80))])
        out = cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def batch_of(images, chosen, rng, augment: bool) -> tuple[np.ndarray, np.ndarray]:
    crops, labels = [], []
    for i, box, label, _ in chosen:
        if augment:
            crops.append(augmented(crop(images[i], windows(jittered(box, rng))[0]), rng))
        else:
            crops.append(crop(images[i], windows(box)[0]))
        labels.append(label)
    return network_batch(crops), np.array(labels, np.float32)


def network():
    import torch.nn as nn

    def block(cin: int, cout: int) -> list:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    return nn.Sequential(
        *block(3, 16), nn.MaxPool2d(2),  # 16 x 48
        *block(16, 32), nn.MaxPool2d(2),  # 8 x 24
        *block(32, 64), nn.MaxPool2d(2),  # 4 x 12
        *block(64, 64), nn.MaxPool2d(2),  # 2 x 6
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * (HEIGHT // 16) * (WIDTH // 16), 1),
    )  # fmt: skip


def train(images, chosen, epochs: int, seed: int):
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = network()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
    steps_per_epoch = max(1, len(chosen) // 64)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 2e-3, total_steps=epochs * steps_per_epoch)
    positives = sum(s[2] for s in chosen)
    weight = torch.tensor((len(chosen) - positives) / max(1, positives))  # balance the classes
    loss_of = torch.nn.BCEWithLogitsLoss(pos_weight=weight)
    model.train()
    for epoch in range(epochs):
        order = rng.permutation(len(chosen))
        total = 0.0
        for step in range(steps_per_epoch):
            picked = [chosen[j] for j in order[step * 64 : (step + 1) * 64]]
            x, y = batch_of(images, picked, rng, augment=True)
            optimiser.zero_grad()
            loss = loss_of(model(torch.from_numpy(x)).reshape(-1), torch.from_numpy(y))
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach())
        print(f"  epoch {epoch + 1}/{epochs}: loss {total / steps_per_epoch:.3f}", flush=True)
    return model.eval()


def probabilities(model, images, chosen) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(chosen), 256):
            x, _ = batch_of(images, chosen[start : start + 256], None, augment=False)
            out.append(torch.sigmoid(model(torch.from_numpy(x))).reshape(-1).numpy())
    return np.concatenate(out) if out else np.zeros(0)


def cross_validate(images, all_samples, photos: int, sources: list[int], epochs: int, keep: float, folds: int = 5):
    """Held-out figures by photo; a painted copy goes in its photo's fold (same car, same street)."""
    fold_of_photo = np.random.default_rng(SEED).permutation(photos) % folds
    photo_fold = np.concatenate([fold_of_photo, fold_of_photo[np.asarray(sources, int)]]).astype(int)
    lines = [s for s in all_samples if s[3]]  # held-out scoring on detector lines only
    scores, labels = np.zeros(len(lines)), np.array([s[2] for s in lines])
    for fold in range(folds):
        print(f"fold {fold + 1}/{folds}", flush=True)
        train_on = [s for s in all_samples if photo_fold[s[0]] != fold]
        held = [j for j, s in enumerate(lines) if photo_fold[s[0]] == fold]
        model = train(images, train_on, epochs, SEED + fold)
        scores[held] = probabilities(model, images, [lines[j] for j in held])
    plates = np.sort(scores[labels == 1])
    threshold = float(plates[int(np.floor((1 - keep) * len(plates)))])
    real = np.array([s[0] < photos for s in lines])
    other, signs = (labels == 0) & real, (labels == 0) & ~real
    print(f"held-out lines: {int(labels.sum())} plate, {int(other.sum())} other, {int(signs.sum())} on painted signs")
    for t in sorted({threshold, 0.05, 0.1, 0.2, 0.3, 0.5}):
        print(
            f"threshold {t:.3f}: keeps {(scores[labels == 1] >= t).mean():.3f} of plate lines,"
            f" {(scores[other] >= t).mean():.3f} of other lines, {(scores[signs] >= t).mean():.3f} of sign lines"
        )
    return threshold


def export(model, out: Path) -> None:
    import torch

    dummy = torch.zeros(1, 3, HEIGHT, WIDTH)
    torch.onnx.export(
        model,
        (dummy,),
        str(out),
        input_names=["crops"],
        output_names=["logits"],
        dynamic_axes={"crops": {0: "lines"}, "logits": {0: "lines"}},
        opset_version=17,
        dynamo=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "train" / "plates")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--keep", type=float, default=0.99, help="share of held-out plate lines to keep")
    parser.add_argument("--signs", type=int, default=3, help="photos with painted signs made from each photo")
    parser.add_argument("--cv", action="store_true", help="cross-validate and print the threshold")
    parser.add_argument("--out", type=Path, help="train on every photo and write the ONNX model here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    images, plates = load(args.data)
    all_samples = samples(images, plates)
    found = [s for s in all_samples if s[3]]
    photos = len(images)
    painted, sign_lines, sources = synthetic_samples(images, plates, args.signs, SEED)
    images += painted
    all_samples += sign_lines
    print(
        f"{photos} photos: {sum(s[2] for s in found)} plate lines, {sum(1 - s[2] for s in found)} other lines,"
        f" {len(all_samples) - len(found) - len(sign_lines)} labelled plates;"
        f" {len(painted)} photos with painted signs: {len(sign_lines)} lines"
    )
    if args.cv:
        cross_validate(images, all_samples, photos, sources, args.epochs, args.keep)
    if args.out:
        model = train(images, all_samples, args.epochs, SEED)
        export(model, args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
