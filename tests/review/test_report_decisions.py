"""The court report lists every review decision: kept tracks, added regions, whole pictures and
audio ranges, each with its reason, who decided and when, times as a player counts, and the
analysis and decisions file the derivative came from; older logs still report."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from clips import sample_frames, write_clip, write_interview

from redact.evidence import keys
from redact.evidence.hashing import hash_file
from redact.evidence.layout import Layout
from redact.evidence.log_reader import LogReader
from redact.evidence.redaction_log import REASONS, write_streamed
from redact.i18n import when
from redact.options import DetectOptions, RedactOptions
from redact.pipeline import analyze_file, read_analysis, render_file
from redact.review.court import write_report
from redact.review.decisions import AddedRegion, AudioRange, Decisions, KeptTrack, PictureRange, save_decisions
from redact.review.report import _time, kept_spans, render, track_rows

# upright faces only: what is tested here is not what turned copies add (tests/detect/test_turned.py)
FACES = RedactOptions(detect=DetectOptions(kinds=("face",), turned_faces=False), quiet=True, workers=0)


def decide(clip: Path, decisions: Decisions) -> str:
    """Save ``decisions`` for the clip's analysis, signed, as a reviewer would; their SHA-256."""
    layout = Layout(clip)
    analysis = read_analysis(layout.analysis, clip, json.loads(layout.seal.read_text())["sha256"])
    return save_decisions(
        layout.decisions, decisions, analysis.path, analysis.sha256, layout.records, keys.load(), "DC 1 Test"
    )


def analysed_tracks(clip: Path) -> dict[int, tuple[float, float]]:
    """Track id -> pts (s) of its first and last region in the clip's analysis."""
    spans: dict[int, list[float]] = {}
    for _, pts, entries in json.loads(Layout(clip).analysis.read_text())["regions"]["frames"]:
        for entry in entries:
            spans.setdefault(entry[7], [pts, pts])[1] = pts
    return {track: (a, b) for track, (a, b) in spans.items()}


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """The interview clip analysed, reviewed (both faces kept, two regions added, a whole
    picture blacked out, a name bleeped), rendered and reported, signed by a station key."""
    root = tmp_path_factory.mktemp("reported")
    os.environ["REDACT_KEY_DIR"], old = str(root / "keys"), os.environ["REDACT_KEY_DIR"]
    try:
        keys.create(root / "keys")
        (root / "case").mkdir()
        clip = write_interview(root / "case" / "interview.mov")
        analyze_file(clip, FACES)
        faces = sorted(analysed_tracks(clip))
        assert len(faces) == 2, faces
        decisions = Decisions(
            keep=(
                KeptTrack(faces[0], "subject of the request <b>", "DC 1 Test"),
                KeptTrack(faces[1], "officer on duty", "PS 2 Other"),
            ),
            regions=(
                AddedRegion(((0.0, 0.5, 20.0, 300.0, 100.0, 350.0),), "a tattoo the detectors missed"),
                AddedRegion(((0.1, 0.1, 20.0, 20.0, 60.0, 60.0), (0.4, 0.4, 40.0, 20.0, 80.0, 60.0)), "a badge"),
            ),
            pictures=(PictureRange(0.6, 0.68, "solid", "a screen with a victim's details"),),
            audio=(AudioRange(0.2, 0.5, "bleep", "a name said aloud"), AudioRange(0.7, 0.8, "mute", "an address")),
            reviewer="DC 1 Test",
        )
        decisions_sha = decide(clip, decisions)
        result = render_file(clip, FACES)
        page = write_report(result.log, "DS 9 Court").read_text()
    finally:
        os.environ["REDACT_KEY_DIR"] = old
    return {
        "root": root,
        "clip": clip,
        "page": page,
        "log": json.loads(result.log.read_text()),
        "faces": faces,
        "decisions_sha": decisions_sha,
    }


def test_the_report_lists_each_decision_with_its_reason_reviewer_and_times(reported):
    page, log, faces, clip = reported["page"], reported["log"], reported["faces"], reported["clip"]
    assert "VERIFIED at the time of this report" in page
    # kept tracks: id, kind, the span they would have been masked over (from the analysis: the
    # derivative's log has no region of them), frames left visible, the reason, who decided
    spans = analysed_tracks(clip)
    for track, reason, who in (
        (faces[0], "subject of the request &lt;b&gt;", "DC 1 Test"),
        (faces[1], "officer on duty", "PS 2 Other"),
    ):
        visible = log["derivative"]["kept_tracks"][str(track)]
        assert visible == 24  # in every frame, the blacked-out ones too
        first, last = spans[track]
        row = (
            f"<tr><td>{track}</td><td>{track}</td><td>face</td><td>{_time(first)}</td><td>{_time(last)}</td>"
            f"<td>{visible}</td><td>{reason}</td><td>{who}</td></tr>"  # its subject: itself (one track each)
        )
        assert row in page, row
        # and in the table of what was masked: never masked, said why
        masked_row = (
            f"<tr><td>{track}</td><td>{track}</td><td>face</td><td>{_time(first)}</td><td>{_time(last)}</td><td>0</td>"
        )
        assert masked_row in page
    section = page.split("<h2>Review decisions</h2>")[1].split("<h2>Tools")[0]
    assert "<b>" not in section and "&lt;b&gt;" in section  # what the clerk wrote is text, never markup
    assert (
        "<tr><td>added region 1</td><td>00:00.000</td><td>00:00.500</td><td>20, 300, 100, 350</td><td>13</td>"
        "<td>a tattoo the detectors missed</td></tr>"
    ) in page  # shown 0-0.5 s: frames 0-12
    assert "00:00.100: 20, 20, 60, 60<br>00:00.400: 40, 20, 80, 60</td><td>9</td><td>a badge</td>" in page  # moving
    assert (
        "<tr><td>whole picture 1</td><td>00:00.600</td><td>00:00.680</td><td>blacked out</td><td>2</td>"
        "<td>a screen with a victim&#x27;s details</td></tr>"
    ) in page
    assert (
        "<tr><td>00:00.200</td><td>00:00.500</td><td>bleeped (1 kHz tone)</td><td>a name said aloud</td></tr>" in page
    )
    assert "<tr><td>00:00.700</td><td>00:00.800</td><td>muted (silence)</td><td>an address</td></tr>" in page
    # who reviewed and when; which analysis and decisions file the derivative came from
    decided = log["decisions"]
    assert f"Decided by DC 1 Test, last saved {when(decided['updated_at'])} in interview.mov.decisions.json" in page
    assert "DS 9 Court (for this report)" in page
    analysis = log["analysis"]
    assert analysis["sha256"] == hash_file(Layout(clip).analysis) and analysis["signer"]
    assert f"<td>interview.mov.analysis.json</td><td class='hash'>{analysis['sha256']}</td>" in page
    assert f"{when(analysis['started_at'])}, signed by <span class='hash'>{analysis['signer']}</span>" in page
    assert f"<td>interview.mov.decisions.json</td><td class='hash'>{reported['decisions_sha']}</td>" in page
    # the whole picture is not a track, nor an added region
    assert "2 tracks, 2 regions added on review and 1 whole-picture range" in page
    assert "added region 3" not in page
    assert (
        "<tr><td>-</td><td>whole picture 1</td><td>picture</td><td>00:00.600</td><td>00:00.640</td><td>2</td>" in page
    )
    assert f"<b>whole picture</b>: {REASONS['whole picture']}" in page
    # nothing of a kept face beyond id, kind, times and reasons: none of its boxes
    for track in log["tracks"]:
        for _, *box, _ in track["boxes"][:3]:
            assert ", ".join(f"{v:g}" for v in box) not in page


def test_a_kept_track_is_timed_only_from_the_analysis_the_log_names(reported, tmp_path, monkeypatch):
    """An analysis moved away or replaced since is not read: the report says what the log does."""
    case = tmp_path / "case"
    shutil.copytree(reported["root"], tmp_path, dirs_exist_ok=True)
    monkeypatch.setenv("REDACT_KEY_DIR", str(tmp_path / "keys"))
    analysis = Layout(case / "interview.mov").analysis
    analysis.chmod(0o644)
    analysis.write_bytes(analysis.read_bytes() + b" ")  # no longer the one the log names
    page = write_report(Layout(case / "interview.mov").log, "DS 9 Court").read_text()
    track = reported["faces"][0]
    # the log has regions in its first frame (the added region), none in its last
    assert f"<tr><td>{track}</td><td>{track}</td><td>face</td><td>00:00.000</td><td>-</td><td>24</td>" in page


def test_times_count_as_a_player_does_in_a_clip_whose_clock_starts_late(tmp_path, monkeypatch):
    monkeypatch.setenv("REDACT_KEY_DIR", str(tmp_path / "keys"))
    frames = sample_frames(10, size=(640, 360))
    clip = write_clip(tmp_path / "late.ts", frames, fmt="mpegts", pts=list(range(50, 60)))  # a camera clock at 2 s
    analyze_file(clip, FACES)
    face = sorted(analysed_tracks(clip))[0]
    decide(clip, Decisions(keep=(KeptTrack(face, "subject"),), pictures=(PictureRange(0.2, 0.27, "blur", "a screen"),)))
    result = render_file(clip, FACES)
    log = json.loads(result.log.read_text())
    assert log["input"]["start_s"] >= 2
    page = write_report(result.log, "DS 9 Court").read_text()
    first, last = (t - log["input"]["start_s"] for t in analysed_tracks(clip)[face])
    assert f"<tr><td>{face}</td><td>{face}</td><td>face</td><td>{_time(first)}</td><td>{_time(last)}</td>" in page
    assert _time(first) == "00:00.000"
    assert "<td>subject</td><td>DC 1 Test</td></tr>" in page  # decided by the decisions' reviewer
    assert "<tr><td>whole picture 1</td><td>00:00.200</td><td>00:00.270</td><td>blurred</td><td>2</td>" in page
    assert (
        "<tr><td>-</td><td>whole picture 1</td><td>picture</td><td>00:00.200</td><td>00:00.240</td><td>2</td>" in page
    )
    assert "<td>-</td>" not in page.split("<h2>Review decisions</h2>")[1].split("<h3>Regions added")[0]


def older(log: dict) -> dict:
    """``log`` as a release before decisions files wrote it: what was asked for in parameters
    (and no whole pictures: there were none)."""
    old = {k: v for k, v in log.items() if k not in ("decisions", "analysis", "signature", "subjects")}
    old["derivative"] = {k: v for k, v in log["derivative"].items() if k != "kept_tracks"}
    decided = log["decisions"]
    old["parameters"] = {
        **log["parameters"],
        "keep_tracks": [k["track"] for k in decided["keep_tracks"]],
        "add_regions": [r["keys"] for r in decided["add_regions"]],
        "mute_ranges": [[a["start"], a["end"]] for a in decided["audio"]],
        "audio_redaction": "bleep",
    }
    old["regions"] = {
        **log["regions"],
        "reasons": {k: v for k, v in REASONS.items() if k != "whole picture"},
        "frames": [
            [index, pts, [e for e in entries if e[0] != "picture"]]
            for index, pts, entries in log["regions"]["frames"]
            if any(e[0] != "picture" for e in entries)
        ],
    }
    return old


def test_an_older_log_lists_what_its_parameters_asked_for(reported, tmp_path, monkeypatch):
    shutil.copytree(reported["root"], tmp_path, dirs_exist_ok=True)
    monkeypatch.setenv("REDACT_KEY_DIR", str(tmp_path / "keys"))
    log_file = Layout(tmp_path / "case" / "interview.mov").log
    subject = reported["faces"][0]
    old = older(json.loads(log_file.read_text()))
    old["parameters"].pop("audio_redaction")  # older still: mute was the only way
    log_file.chmod(0o644)
    write_streamed(log_file, old, {}, keys.load())  # signed, as that release wrote it
    page = write_report(log_file, "DS 9 Court").read_text()
    assert "This log was written before review decisions were recorded" in page
    # no analysis to time it from: its first frame's time, where the log has regions; its last has none
    assert (
        f"<tr><td>-</td><td>{subject}</td><td>face</td><td>00:00.000</td><td>-</td><td>-</td>"  # no subjects then
        "<td><span class='none'>not recorded (given as --keep-tracks)</span></td><td>-</td></tr>"
    ) in page
    assert (
        "<tr><td>added region 1</td><td>00:00.000</td><td>00:00.500</td><td>20, 300, 100, 350</td><td>13</td>" in page
    )
    assert "00:00.100: 20, 20, 60, 60<br>00:00.400: 40, 20, 80, 60</td><td>9</td>" in page
    assert "<tr><td>00:00.200</td><td>00:00.500</td><td>muted (silence)</td>" in page
    assert "<tr><td>00:00.700</td><td>00:00.800</td><td>muted (silence)</td>" in page
    assert "<th>analysis</th>" not in page and "<th>decisions</th>" not in page
    assert "<td>whole picture" not in page and "Whole pictures obscured</h3>\n<p class='none'>None.</p>" in page
    assert "2 tracks and 2 regions added on review" in page
    assert "DS 9 Court (for this report)" in page


def test_an_older_log_without_any_decision_says_none():
    head = {
        "derivative": {
            "file": "x.redacted.mp4",
            "sha256": "0" * 64,
            "frames": 2,
            "width": 8,
            "height": 8,
            "audio": "none",
        },
        "original": {"file": "x.mp4", "sha256": "1" * 64},
        "tool": {"name": "redact", "version": "0.1.0"},
        "operator": "PC 3",
        "started_at": "2024-01-01T00:00:00Z",
        "finished_at": "2024-01-01T00:00:01Z",
        "detectors": [],
        "parameters": {"mask": {"style": "blur"}},  # older still: no keep_tracks, add_regions, mute_ranges
        "regions": {"total": 1, "frames_with_regions": 1, "reasons": {"detected": REASONS["detected"]}},
    }
    tracks = track_rows(
        iter([[0, 0.0, [["face", 0, 0, 4, 4, 0.9, "detected", 1]]]]),
        iter([{"id": 1, "kind": "face", "first_frame": 0, "last_frame": 0}]),
    )
    page = render(head, tracks, {}, [], [], "DS 9 Court", "2024-01-02T00:00:00Z")
    assert "None: every track found is masked." in page and "None: the audio is as recorded." in page
    row = "<tr><td>-</td><td>1</td><td>face</td><td>00:00.000</td><td>00:00.000</td><td>1</td><td>detected: 1</td>"
    assert row + "<td></td></tr>" in page  # found by: none in an older log
    assert "1 regions in 1 frames, 1 track.</p>" in page
    assert "This log was written before review decisions were recorded" in page


def test_kept_spans_come_from_the_analysis_for_the_tracks_asked_only(reported):
    clip = reported["clip"]
    frames = LogReader(Layout(clip).analysis, digest=False).items(("regions", "frames"))
    assert kept_spans(frames, reported["faces"][:1]) == {
        reported["faces"][0]: analysed_tracks(clip)[reported["faces"][0]]
    }
