"""What a user would check of a derivative: faithful to its original, faces masked."""

from __future__ import annotations

import numpy as np
import pytest
from clips import decoded_rgb, sample_truth, video_facts


def assert_faithful(original, derivative, audio=True):
    a, b = video_facts(original), video_facts(derivative)
    assert b["frames"] == a["frames"]
    assert np.allclose(b["pts_s"], a["pts_s"], atol=1e-6)
    assert b["video_end_s"] == pytest.approx(a["video_end_s"], abs=0.002)
    if audio and a["audio_end_s"] is not None:
        assert b["audio_end_s"] == pytest.approx(a["audio_end_s"], abs=0.002)
    if a["container_format"] == "mp4":  # same container: the reported duration matches too
        assert b["container_duration_s"] == pytest.approx(a["container_duration_s"], abs=0.002)
    assert b["rotation"] == a["rotation"]
    if audio:
        assert b["audio_packets"] == a["audio_packets"]


def assert_faces_masked(original, derivative, scale: float = 1.0):
    """Every ground-truth face of the sample (boxes / ``scale``) is masked in every frame."""
    truth = sample_truth()["frames"]
    before, after = decoded_rgb(original), decoded_rgb(derivative)
    for i, (src, out) in enumerate(zip(before, after, strict=True)):
        for x0, y0, x1, y1 in np.round(np.array(truth[i]["faces"]) / scale).astype(int):
            face_in = src[y0:y1, x0:x1].astype(float)
            face_out = out[y0:y1, x0:x1].astype(float)
            # masked: the face's detail is gone, not just slightly re-encoded
            assert np.abs(face_in - face_out).mean() > 8, f"frame {i} face not masked"
            assert face_out.std() < face_in.std(), f"frame {i} face keeps its texture"
    return before, after


def face_rects(log: dict, track: int) -> dict[int, list[int]]:
    """Frame -> the masked rectangle of ``track`` in that frame, from a redaction log."""
    return {f: r[1:5] for f, _, regions in log["regions"]["frames"] for r in regions if r[7] == track}
