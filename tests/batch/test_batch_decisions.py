"""`redact batch` manifests with review decisions: `decisions`, `redact_frames`, `audio_redaction`;
a rerun whose request changed re-renders from the clip's analysis instead of detecting again."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from checks import face_rects
from clips import AUDIO_RATE as RATE
from clips import decoded_audio, decoded_rgb, write_interview

from redact.batch import BatchSettings, run_batch
from redact.batch.source import Job, ManifestProblems, jobs_from_manifest
from redact.batch.state import BatchState
from redact.evidence import keys
from redact.evidence.hashing import hash_file
from redact.evidence.layout import Layout
from redact.pipeline import read_analysis
from redact.review.decisions import Decisions, KeptTrack, save_decisions

SETTINGS = BatchSettings(preset="fast", quiet=True, workers=0)  # decisions are the subject, not detection
HEADER = "path,kinds,mute,audio_redaction,redact_frames,decisions\n"


def batch_cli(manifest: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "redact", "batch", str(manifest), "-q", "--preset", "fast", "--workers", "0"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=600,
    )


def report_rows(folder: Path) -> dict[str, dict]:
    report = json.loads((folder / "batch-report.json").read_text())
    return {Path(c["path"]).name: c for c in report["clips"]}


def analysed_entries(custody: Path) -> dict[str, int]:
    """Clip name -> how many "analysed" entries (detection runs) the custody log has for it."""
    counts: dict[str, int] = {}
    for line in custody.read_text().splitlines():
        entry = json.loads(line)
        for file in entry["files"] if entry["event"] == "analysed" else ():
            assert file["role"] == "analysis"
            clip = Path(file["name"]).name.removesuffix(".analysis.json")
            counts[clip] = counts.get(clip, 0) + 1
    return counts


def decide(clip: Path, where: Path, decisions: Decisions) -> Path:
    """Save ``decisions`` for ``clip``'s current analysis at ``where`` (as review would)."""
    layout = Layout(clip)
    analysis = read_analysis(layout.analysis, layout.original, json.loads(layout.seal.read_text())["sha256"])
    where.parent.mkdir(parents=True, exist_ok=True)
    save_decisions(where, decisions, analysis.path, analysis.sha256, layout.records, keys.load(), "DC 1 Test")
    return where


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.redacted.*")}


def blacked(frames: list[np.ndarray]) -> list[int]:
    return [i for i, frame in enumerate(frames) if frame.max() < 40]


def test_decision_columns_reach_the_derivative_and_a_changed_row_only_re_renders(tmp_path, monkeypatch):
    keys.create(tmp_path / "keys")
    monkeypatch.setenv("REDACT_KEY_DIR", str(tmp_path / "keys"))
    src = tmp_path / "originals"
    src.mkdir()
    a = write_interview(src / "a.mov")
    write_interview(src / "b.mov", frames=12)
    manifest = tmp_path / "request-17.csv"
    manifest.write_text(HEADER + "originals/a.mov,face,,,,\noriginals/b.mov,face,,,,\n")
    first = run_batch(manifest, SETTINGS)
    assert (first.done, first.failed, first.reused) == (2, 0, 0), first.failures
    assert not any(row["analysis_reused"] for row in report_rows(tmp_path).values())
    plain_log = json.loads((src / "a.mov.redacted.json").read_text())
    plain = decoded_rgb(src / "a.mov.redacted.mp4")
    tracks = {t["id"]: t for t in plain_log["tracks"]}
    subject = max(tracks, key=lambda t: tracks[t]["detections"])  # the request's subject, to stay visible

    # review decides on a's analysis; the manifest row gains all three new columns
    review = decide(a, tmp_path / "review" / "a.json", Decisions(keep=(KeptTrack(subject, "subject", "DC 1"),)))
    manifest.write_text(
        HEADER + "originals/a.mov,face,0.2-0.5,bleep,0.6-0.68,review/a.json\noriginals/b.mov,face,,,,\n"
    )
    proc = batch_cli(manifest)
    assert proc.returncode == 0, proc.stderr
    rows = report_rows(tmp_path)
    assert rows["a.mov"]["analysis_reused"] is True and rows["a.mov"]["attempts"] == 2
    assert rows["b.mov"]["attempts"] == 1  # unchanged: adopted, not redone
    assert "earlier analysis" in (tmp_path / "batch-report.html").read_text()
    log = json.loads((src / "a.mov.redacted.json").read_text())
    assert log["decisions"]["source"]["sha256"] == hash_file(review)
    assert [(p["start"], p["end"]) for p in log["decisions"]["redact_pictures"]] == [(0.6, 0.68)]
    assert log["decisions"]["audio"][0]["action"] == "bleep" and log["parameters"]["audio_redaction"] == "bleep"
    original, frames = decoded_rgb(a), decoded_rgb(src / "a.mov.redacted.mp4")
    assert blacked(frames) == [15, 16]
    kept = face_rects(plain_log, subject)
    assert kept and log["derivative"]["kept_tracks"][str(subject)] == len(kept)
    for index, (x0, y0, x1, y1) in kept.items():  # unmasked in this render, masked in the plain one
        if index in (15, 16):
            continue
        inside = np.s_[y0:y1, x0:x1]
        visible = np.abs(frames[index][inside].astype(int) - original[index][inside]).mean()
        masked = np.abs(plain[index][inside].astype(int) - original[index][inside]).mean()
        assert visible < 6 < masked, (index, visible, masked)
    before, after = decoded_audio(a), decoded_audio(src / "a.mov.redacted.mp4")
    inside = slice(int(0.2 * RATE), int(0.5 * RATE))
    outside = np.ones(len(before), bool)
    outside[inside] = False
    assert np.array_equal(after[outside], before[outside])
    tone = after[inside].astype(np.float64).reshape(-1)[500:-500]
    spectrum = np.abs(np.fft.rfft(tone * np.hanning(len(tone))))
    assert np.fft.rfftfreq(len(tone), 1 / RATE)[spectrum.argmax()] == pytest.approx(1000, abs=5)
    assert analysed_entries(src / "custody.jsonl") == {"a.mov": 1, "b.mov": 1}

    # only a's whole-picture ranges change: re-rendered from its analysis, b left alone
    b_before = {k: v for k, v in mtimes(src).items() if k.startswith("b.")}
    manifest.write_text(
        HEADER + "originals/a.mov,face,0.2-0.5,bleep,0.2-0.28,review/a.json\noriginals/b.mov,face,,,,\n"
    )
    second = run_batch(manifest, SETTINGS)
    assert (second.skipped, second.done, second.reused, second.failed) == (1, 1, 1, 0), second.failures
    assert blacked(decoded_rgb(src / "a.mov.redacted.mp4")) == [5, 6]
    assert {k: v for k, v in mtimes(src).items() if k.startswith("b.")} == b_before
    assert analysed_entries(src / "custody.jsonl") == {"a.mov": 1, "b.mov": 1}  # detection never ran again
    with sqlite3.connect(f"file:{tmp_path / 'redact-batch.sqlite'}?mode=ro", uri=True) as db:
        reused = dict(db.execute("SELECT path, analysis_reused FROM clips"))
    assert reused[str(a)] == 1

    # the same manifest again: nothing redone
    unchanged = mtimes(src)
    third = run_batch(manifest, SETTINGS)
    assert (third.skipped, third.done, third.failed) == (2, 0, 0)
    assert mtimes(src) == unchanged

    # review changes its mind (the same file name, other decisions): re-rendered, the subject masked again
    decide(a, review, Decisions(keep=()))
    fourth = run_batch(manifest, SETTINGS)
    assert (fourth.skipped, fourth.done, fourth.reused) == (1, 1, 1), fourth.failures
    log = json.loads((src / "a.mov.redacted.json").read_text())
    assert log["decisions"]["source"]["sha256"] == hash_file(review) and log["decisions"]["keep_tracks"] == []
    assert log["derivative"]["kept_tracks"] == {}

    # b's row gains keep_tracks (ids from its log): re-rendered from its analysis too
    b_track = min(t["id"] for t in json.loads((src / "b.mov.redacted.json").read_text())["tracks"])
    manifest.write_text(
        "path,kinds,mute,audio_redaction,redact_frames,decisions,keep_tracks,reason\n"
        "originals/a.mov,face,0.2-0.5,bleep,0.2-0.28,review/a.json,,\n"
        f"originals/b.mov,face,,,,,{b_track},the officer on duty\n"
    )
    fifth = run_batch(manifest, SETTINGS)
    assert (fifth.skipped, fifth.done, fifth.reused) == (1, 1, 1), fifth.failures
    assert report_rows(tmp_path)["b.mov"]["analysis_reused"] is True
    assert json.loads((src / "b.mov.redacted.json").read_text())["derivative"]["kept_tracks"].keys() == {str(b_track)}
    assert analysed_entries(src / "custody.jsonl") == {"a.mov": 1, "b.mov": 1}


def test_bad_decision_columns_are_refused_at_once_row_by_row(tmp_path):
    src = tmp_path / "o"
    src.mkdir()
    write_interview(src / "c.mov", frames=4)
    (tmp_path / "notes.json").write_text("not JSON {")
    (tmp_path / "other.json").write_text(json.dumps({"format": "something else"}))
    manifest = tmp_path / "bad.csv"
    manifest.write_text(
        "path,mute,audio_redaction,redact_frames,decisions,output\n"
        "o/c.mov,1-2,bleep,0.1-0.2,,ok\n"  # line 2: good
        "o/c.mov,,,,missing.json,x\n"  # 3
        "o/c.mov,,,,notes.json,y\n"  # 4
        "o/c.mov,,,5-2,,z\n"  # 5
        "o/c.mov,,,soon,,w\n"  # 6
        "o/c.mov,1-2,beep,,,v\n"  # 7
        "o/c.mov,,,,other.json,u\n"  # 8
        "o/c.mov,,BLEEP,0:01-0:02,,t\n"  # 9: good (case and m:ss as people write them)
    )
    before = sorted(p.name for p in src.iterdir())
    with pytest.raises(ManifestProblems) as raised:
        run_batch(manifest, SETTINGS)
    problems = raised.value.problems
    assert len(problems) == 6, problems
    assert "line 3" in problems[0] and "decisions missing.json: file not found" in problems[0]
    assert "line 4" in problems[1] and "decisions notes.json: not JSON" in problems[1]
    assert "line 5" in problems[2] and "redact_frames: range 5-2 s ends before it starts" in problems[2]
    assert "line 6" in problems[3] and "redact_frames: bad range 'soon'" in problems[3]
    assert "line 7" in problems[4] and "unknown audio_redaction 'beep'" in problems[4]
    assert "line 8" in problems[5] and "not a decisions file" in problems[5]
    assert sorted(p.name for p in src.iterdir()) == before  # nothing sealed
    assert not (tmp_path / "redact-batch.sqlite").exists()
    proc = batch_cli(manifest)
    assert proc.returncode == 2 and "6 bad manifest row(s)" in proc.stderr, proc.stderr
    assert "line 3" in proc.stderr and "line 8" in proc.stderr


def test_decision_columns_survive_json_lines_and_the_state(tmp_path):
    src = tmp_path / "o"
    src.mkdir()
    write_interview(src / "c.mov", frames=4)
    (tmp_path / "d.json").write_text(json.dumps({"format": "redact.decisions/1", "analysis": {"sha256": "x"}}))
    lines = tmp_path / "r.jsonl"
    row = {"path": "o/c.mov", "mute": [[1, 2]], "audio_redaction": "bleep", "redact_frames": [[0.5, 1]]}
    lines.write_text(json.dumps({**row, "decisions": "d.json"}) + "\n")
    (job,) = jobs_from_manifest(lines)
    assert job.decisions == tmp_path / "d.json" and job.picture_ranges == ((0.5, 1.0),)
    assert job.audio_redaction == "bleep" and job.mute_ranges == ((1.0, 2.0),)
    assert Job.from_dict(json.loads(json.dumps(job.as_dict()))) == job
    # a state database an earlier release made (no analysis_reused column) is brought up to date
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(old) as db:
        db.execute(
            "CREATE TABLE clips (key TEXT PRIMARY KEY, position INTEGER NOT NULL, path TEXT NOT NULL,"
            " job TEXT NOT NULL, parameters TEXT, status TEXT NOT NULL DEFAULT 'pending',"
            " attempts INTEGER NOT NULL DEFAULT 0, original_sha256 TEXT, derivative TEXT,"
            " derivative_sha256 TEXT, log TEXT, frames INTEGER, regions INTEGER, seconds REAL,"
            " started_at REAL, finished_at REAL, worker TEXT, error TEXT, exit_code INTEGER)"
        )
    state = BatchState(old)
    state.register(job.key, 0, str(job.path), job.as_dict(), {})
    state.record(job.key, {"status": "done", "analysis_reused": True})
    (got,) = state.rows()
    state.close()
    assert got.analysis_reused is True and Job.from_dict(got.job) == job
