"""The court report: complete, self-contained, made from the derivative only, logged."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys

import av
import cv2
import numpy as np
from clips import SAMPLE, sample_truth

from redact.pipeline import derivative_path, log_path


def test_report_states_provenance_tracks_reviewer_and_shows_only_redacted_frames(sample_redacted, tmp_path):
    case = tmp_path / "case"
    shutil.copytree(sample_redacted.parent, case)
    clip = case / SAMPLE.name
    proc = subprocess.run(
        [sys.executable, "-m", "redact", "report", str(derivative_path(clip)), "--reviewer", "DC 1234 Smith"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    page = (case / "two_faces_720p.mp4.redaction-report.html").read_text()
    log = json.loads(log_path(clip).read_text())
    for needed in (
        log["original"]["sha256"],
        log["derivative"]["sha256"],
        "DC 1234 Smith",
        "VERIFIED",
        *log["detectors"][0]["model_sha256"].split(","),  # each model's hash, one a line
        "UNSIGNED",
    ):
        assert needed in page
    # unsigned: the hashes match, but it is not headed VERIFIED
    assert '<p class="verdict">NOT VERIFIED BY SIGNATURE' in page and '<p class="verdict">VERIFIED' not in page
    assert "Trust policy:" in page
    assert log["detectors"][0]["providers"][0] == "CPUExecutionProvider"  # where the models ran: said
    assert "<th>ran on</th>" in page and "<td>CPU</td>" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "<script" not in page  # self-contained
    assert len(re.findall(r"<tr><td>[^<]*</td><td>\d+</td><td>face</td>", page)) >= 2  # one row per face track
    # under the subject it belongs to: the sample's two people, each several tracks (models, turned copies)
    assert "Reviewed as 2 people, 0 plates" in page
    assert len(re.findall(r"<tr><td>\d+, \d+ tracks</td>", page)) >= 2
    assert len(re.findall(r"<td>centerface \(\d+\)[^<]*</td></tr>", page)) >= 2  # and the models that found it

    # the contact sheet comes from the derivative: the first thumbnail's faces are blurred
    first = re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1)
    thumb = cv2.imdecode(np.frombuffer(base64.b64decode(first), np.uint8), cv2.IMREAD_GRAYSCALE).astype(float)
    scale = thumb.shape[1] / 1280

    def frame0(path):
        with av.open(str(path)) as c:
            gray = next(c.decode(video=0)).to_ndarray(format="gray")
        return cv2.resize(gray, (thumb.shape[1], thumb.shape[0]), interpolation=cv2.INTER_AREA).astype(float)

    x0, y0, x1, y1 = (np.array(sample_truth()["frames"][0]["faces"][1]) * scale).astype(int)
    redacted, original = frame0(derivative_path(clip)), frame0(clip)
    face = (slice(y0, y1), slice(x0, x1))
    assert np.abs(thumb[face] - redacted[face]).mean() < np.abs(thumb[face] - original[face]).mean()

    last = json.loads((case / "custody.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "exported" and "DC 1234 Smith" in last["detail"]
    assert {f["role"] for f in last["files"]} == {"derivative", "log", "report"}
    verify = subprocess.run([sys.executable, "-m", "redact", "verify", str(case)], capture_output=True)
    assert verify.returncode == 0


def test_report_refuses_a_file_that_is_not_a_derivative(tmp_path):
    (tmp_path / "x.mp4").write_bytes(b"x")
    proc = subprocess.run(
        [sys.executable, "-m", "redact", "report", str(tmp_path / "x.mp4"), "--reviewer", "A"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "not a derivative" in proc.stderr


def test_track_rows_come_from_streamed_frames_and_tracks_with_every_time_range():
    from redact.review.report import track_rows

    frames = [
        [0, 0.0, [["face", 1, 1, 9, 9, 0.9, "detected", 1]]],
        [1, 0.04, [["face", 1, 1, 9, 9, 0.9, "interpolated", 1], ["plate", 5, 5, 20, 9, 0.7, "detected", 2]]],
        [2, 0.08, [["plate", 5, 5, 20, 9, 0.7, "coasted", 2]]],
    ]
    tracks = [
        {"id": 1, "kind": "face", "first_frame": 0, "last_frame": 1},
        {"id": 2, "kind": "plate", "first_frame": 1, "last_frame": 2},
        {"id": 3, "kind": "face", "first_frame": 1, "last_frame": 2},  # left visible on request: never masked
    ]
    rows = track_rows(iter(frames), iter(tracks))  # one pass over each, as from a LogReader
    assert [(r["id"], r["from_s"], r["to_s"], r["frames"]) for r in rows] == [
        (1, 0.0, 0.04, 2),
        (2, 0.04, 0.08, 2),
        (3, 0.04, 0.08, 0),
    ]
    assert rows[0]["reasons"] == {"detected": 1, "interpolated": 1} and rows[2]["reasons"] == {}
