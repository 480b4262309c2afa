"""Detect once, render many: an analysis is made once; decisions re-render the clip from it
without a model; run is analyze + render, byte for byte."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from checks import face_rects
from clips import AUDIO_RATE as RATE
from clips import decoded_audio, decoded_rgb, write_interview

from redact.evidence import keys
from redact.evidence.hashing import hash_file
from redact.evidence.layout import Layout
from redact.options import DetectOptions, RedactOptions
from redact.pipeline import analyze_file, read_analysis, redact_file, render_file
from redact.review.decisions import AddedRegion, AudioRange, Decisions, KeptTrack, PictureRange, save_decisions

FACES = RedactOptions(detect=DetectOptions(kinds=("face",)), quiet=True, workers=0)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Path:
    """A folder with the interview clip, sealed and analysed once (signed), shared read-only."""
    root = tmp_path_factory.mktemp("analysed")
    os.environ["REDACT_KEY_DIR"], old = str(root / "keys"), os.environ["REDACT_KEY_DIR"]
    try:
        keys.create(root / "keys")
        (root / "case").mkdir()
        analyze_file(write_interview(root / "case" / "interview.mov"), FACES)
    finally:
        os.environ["REDACT_KEY_DIR"] = old
    return root


@pytest.fixture
def case(analysed, tmp_path, monkeypatch) -> Path:
    """A private copy of the analysed case, signed with its station key."""
    shutil.copytree(analysed, tmp_path / "copy")
    monkeypatch.setenv("REDACT_KEY_DIR", str(tmp_path / "copy" / "keys"))
    return tmp_path / "copy" / "case"


def redact_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "redact", *map(str, args)], capture_output=True, text=True)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".redacted." in p.name)


def test_run_is_analyze_then_render_byte_for_byte_and_a_rerun_reuses_the_analysis(tmp_path):
    one, two = tmp_path / "run", tmp_path / "split"
    for folder in (one, two):
        folder.mkdir()
        write_interview(folder / "clip.mov", frames=12)
    ran = redact_file(one / "clip.mov", FACES)
    assert not ran.analysis_reused
    analysis = analyze_file(two / "clip.mov", FACES)
    rendered = render_file(two / "clip.mov", FACES)
    assert hash_file(ran.derivative) == hash_file(rendered.derivative)
    assert analysis.frames == ran.frames == 12 and rendered.regions == ran.regions > 0
    again = redact_file(one / "clip.mov", dataclasses.replace(FACES, force=True))
    assert again.analysis_reused and hash_file(again.derivative) == hash_file(ran.derivative)
    events = [json.loads(line)["event"] for line in (one / "custody.jsonl").read_text().splitlines()]
    assert events == ["sealed", "analysed", "redacted", "verified", "redacted"]  # detection ran once
    other = redact_file(
        one / "clip.mov", dataclasses.replace(FACES, force=True, detect=DetectOptions(kinds=("face",), threshold=0.3))
    )
    assert not other.analysis_reused  # other detection settings: analysed again


def test_render_loads_no_model(case):
    """With every model folder empty and onnxruntime unimportable, render still works."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["onnxruntime"] = None  # importing it now raises ImportError
        import redact.models
        redact.models.search_dirs = lambda: []  # no model file can be found
        from redact.options import RedactOptions
        from redact.pipeline import render_file
        options = RedactOptions(quiet=True, workers=0)
        result = render_file({str(case / "interview.mov")!r}, options, picture_ranges=((0.2, 0.3),))
        print(result.frames, result.regions)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    frames, regions = map(int, proc.stdout.split())
    assert frames == 24 and regions > 0


def decide(case: Path, decisions: Decisions) -> Path:
    layout = Layout(case / "interview.mov")
    analysis = read_analysis(layout.analysis, layout.original, json.loads(layout.seal.read_text())["sha256"])
    save_decisions(
        layout.decisions, decisions, analysis.path, analysis.sha256, layout.records, keys.load(), "DC 1 Test"
    )
    return layout.decisions


def test_decisions_keep_a_track_add_a_region_black_out_pictures_and_bleep(case):
    plain = render_file(case / "interview.mov", FACES)
    plain_log = json.loads(plain.log.read_text())
    plain_frames = decoded_rgb(plain.derivative)
    tracks = {t["id"]: t for t in plain_log["tracks"]}
    subject = max(tracks, key=lambda t: tracks[t]["detections"])  # the best-seen face: the request's subject
    decisions = Decisions(
        keep=(KeptTrack(subject, "subject of the request", "DC 1 Test"),),
        regions=(AddedRegion(((0.0, 0.5, 20.0, 300.0, 100.0, 350.0),), "a tattoo the detectors missed"),),
        pictures=(PictureRange(0.6, 0.68, "solid", "a screen with a victim's details"),),
        audio=(AudioRange(0.2, 0.5, "bleep", "a name said aloud"),),
        reviewer="DC 1 Test",
    )
    decide(case, decisions)
    custody = [json.loads(line) for line in (case / "custody.jsonl").read_text().splitlines()]
    assert custody[-1]["event"] == "reviewed" and custody[-1]["signature"]
    result = render_file(case / "interview.mov", dataclasses.replace(FACES, force=True))
    assert result.decisions is not None and not result.analysis_reused
    log = json.loads(result.log.read_text())
    assert log["decisions"]["keep_tracks"][0]["reason"] == "subject of the request"
    assert log["decisions"]["source"]["sha256"] == hash_file(case / "interview.mov.decisions.json")
    assert log["derivative"]["kept_tracks"][str(subject)] == len(face_rects(plain_log, subject))
    original, frames = decoded_rgb(case / "interview.mov"), decoded_rgb(result.derivative)
    kept = face_rects(plain_log, subject)
    blacked = (15, 16)  # 0.6-0.68 s: the whole picture goes, the subject with it
    for index, (x0, y0, x1, y1) in kept.items():  # the subject is visible in every other frame of its span
        if index in blacked:
            continue
        inside = np.s_[y0:y1, x0:x1]
        visible = np.abs(frames[index][inside].astype(int) - original[index][inside]).mean()
        masked = np.abs(plain_frames[index][inside].astype(int) - original[index][inside]).mean()
        assert visible < 6 < masked, (index, visible, masked)
    for index in range(13):  # the added region, shown 0-0.5 s (frames 0-12), is masked
        region = np.s_[300:350, 20:100]
        assert np.abs(frames[index][region].astype(int) - original[index][region]).mean() > 6, index
    for index in blacked:
        assert frames[index].max() < 40, index
    twins = [face_rects(plain_log, int(t)) for t in log["derivative"]["kept_with"]]  # the subject seen turned
    assert all(w["track"] == subject for w in log["derivative"]["kept_with"].values())
    for index in (14, 18, 23):  # elsewhere, outside what was decided, the picture is the plain render's
        keep_out = np.ones(frames[index].shape[:2], bool)
        for x0, y0, x1, y1 in [rects[index] for rects in (kept, *twins) if index in rects]:
            keep_out[y0:y1, x0:x1] = False
        assert np.abs(frames[index][keep_out].astype(int) - plain_frames[index][keep_out]).mean() < 2
    before, after = decoded_audio(case / "interview.mov"), decoded_audio(result.derivative)
    inside = slice(int(0.2 * RATE), int(0.5 * RATE))
    outside = np.ones(len(before), bool)
    outside[inside] = False
    assert np.array_equal(after[outside], before[outside])  # FLAC: untouched outside the bleep, bit for bit
    tone = after[inside].astype(np.float64).reshape(-1)[500:-500]
    spectrum = np.abs(np.fft.rfft(tone * np.hanning(len(tone))))
    assert np.fft.rfftfreq(len(tone), 1 / RATE)[spectrum.argmax()] == pytest.approx(1000, abs=5)


def test_render_refuses_other_analysis_decisions_tampering_and_a_changed_original(case):
    clip = case / "interview.mov"
    decisions = decide(case, Decisions(keep=(KeptTrack(1, "officer"),)))
    signed = decisions.read_text()

    doc = json.loads(signed)
    doc["keep_tracks"][0]["reason"] = "someone else"  # edited after it was signed
    decisions.write_text(json.dumps(doc))
    proc = redact_cli("render", "-q", "--workers", "0", clip)
    assert proc.returncode == 3 and "decisions" in proc.stderr and "altered" in proc.stderr, proc.stderr
    assert leftovers(case) == []

    decisions.write_text(signed)
    analysis = Layout(clip).analysis
    kept_analysis = analysis.read_bytes()
    analysis.write_bytes(kept_analysis.replace(b'"face",', b'"plate",', 1))  # one region's kind changed
    proc = redact_cli("render", "-q", "--workers", "0", clip)
    assert proc.returncode == 3 and "analysis" in proc.stderr and "altered" in proc.stderr, proc.stderr
    assert leftovers(case) == []

    analysis.write_bytes(kept_analysis)
    proc = redact_cli("analyze", "-q", "--workers", "0", "--kinds", "face", "--force", clip)  # a new analysis
    assert proc.returncode == 0, proc.stderr
    proc = redact_cli("render", "-q", "--workers", "0", clip)
    assert proc.returncode == 2 and "another analysis" in proc.stderr, proc.stderr
    assert leftovers(case) == []
    decisions.unlink()

    clip.chmod(0o644)
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 1
    clip.write_bytes(bytes(data))
    proc = redact_cli("render", "-q", "--workers", "0", clip)
    assert proc.returncode == 3 and "changed since it was sealed" in proc.stderr, proc.stderr
    assert leftovers(case) == []


def test_render_without_an_analysis_says_to_analyse_first(tmp_path):
    clip = write_interview(tmp_path / "new.mov", frames=4)
    proc = redact_cli("render", "-q", clip)
    assert proc.returncode == 2 and "redact analyze" in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.mov"]  # not even sealed


def test_flags_saved_as_decisions_apply_to_the_next_render(case):
    clip = case / "interview.mov"
    proc = redact_cli(
        "render", "-q", "--workers", "0", "--keep-tracks", "1", "--redact-frames", "0.2-0.28", "--save-decisions",
        "--reason", "subject of the request", clip,
    )  # fmt: skip
    assert proc.returncode == 0 and "decisions" in proc.stdout, proc.stderr
    saved = json.loads(Layout(clip).decisions.read_text())
    assert [k["track"] for k in saved["keep_tracks"]] == [1] and saved["signature"]["fingerprint"]
    assert saved["redact_pictures"][0]["start"] == 0.2
    custody = [json.loads(line)["event"] for line in (case / "custody.jsonl").read_text().splitlines()]
    assert custody[-2:] == ["reviewed", "redacted"]
    proc = redact_cli("render", "-q", "--workers", "0", "--force", clip)  # no flags: the saved decisions apply
    assert proc.returncode == 0, proc.stderr
    log = json.loads(Layout(clip).log.read_text())
    assert log["decisions"]["source"]["sha256"] == hash_file(Layout(clip).decisions)
    assert log["derivative"]["kept_tracks"].get("1") and decoded_rgb(Layout(clip).derivative)[5].max() < 40
