"""Issue 30, items 8 and 10: input that once gave "internal error" (exit 1) or a traceback is
bad input with its own code and one line (2; 9 for what cannot be written), and leaves the
original as it was; GIFs go wherever `redact run` takes them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from clips import write_clip
from light import ONE_MODEL_FLAGS

from redact.batch.source import jobs_from_folder


def redact(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "redact", *map(str, args)], capture_output=True, text=True, timeout=600, **kwargs
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("redact:")]
    assert "Traceback" not in proc.stderr and len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("name", [b"bad\xff.mp4", b"a" * 200 + b".mp4"], ids=["not UTF-8", "too long"])
def test_a_name_no_record_could_hold_is_refused_before_anything_is_written(tmp_path, name):
    source = write_clip(tmp_path / "src.mp4", count=4, size=(96, 64))
    folder = tmp_path / "case"
    folder.mkdir()
    clip = Path(os.fsdecode(os.fsencode(folder) + b"/" + name))
    shutil.copyfile(source, clip)
    proc = redact("run", "-q", *ONE_MODEL_FLAGS, clip)
    assert proc.returncode == 2, proc.stderr
    assert "file name" in one_line_error(proc)
    assert os.listdir(os.fsencode(folder)) == [name]  # no seal, no custody log
    assert clip.stat().st_mode & 0o200  # not even made read-only


def test_a_decisions_file_with_numbers_out_of_range_or_too_deep_is_bad_input(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", count=6, size=(96, 64))
    assert redact("analyze", "-q", *ONE_MODEL_FLAGS, clip).returncode == 0
    analysis_sha = __import__("hashlib").sha256((tmp_path / "clip.mp4.analysis.json").read_bytes()).hexdigest()
    analysis = f'{{"file": "clip.mp4.analysis.json", "sha256": "{analysis_sha}"}}'
    head = f'{{"format": "redact.decisions/1", "analysis": {analysis}'
    bodies = {
        "track 1e400": head + ', "keep_tracks": [{"track": 1e400, "reason": "x"}]}',
        "end Infinity": head + ', "audio": [{"start": 0, "end": Infinity, "action": "mute", "reason": "x"}]}',
        "deep nesting": head + ', "x": ' + "[" * 100000 + "]" * 100000 + "}",
        "after the end": head + ', "audio": [{"start": 50, "end": 60, "action": "mute", "reason": "x"}]}',
    }
    for what, body in bodies.items():
        decisions = tmp_path / f"{what.replace(' ', '-')}.decisions.json"
        decisions.write_text(body)
        proc = redact("render", "--force", "--decisions", decisions, clip)
        assert proc.returncode == 2, (what, proc.stderr)
        one_line_error(proc)
    assert not (tmp_path / "clip.mp4.redacted.mp4").exists()


def test_a_manifest_that_is_not_utf8_or_has_a_huge_cell_is_refused_with_one_line(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", count=4, size=(96, 64))
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("path,bleep_words\nclip.mp4,Müller\n".encode("latin-1"))
    proc = redact("batch", latin)
    assert proc.returncode == 2 and "not UTF-8 text" in one_line_error(proc) and "line 2" in proc.stderr
    huge = tmp_path / "huge.csv"
    huge.write_text('path,bleep_words\nclip.mp4,"' + "x" * (200 << 10) + '"\n')
    proc = redact("batch", huge)
    assert proc.returncode == 2 and "cannot be read as CSV" in one_line_error(proc)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "huge.csv", "latin1.csv"]  # nothing ran
    assert clip.stat().st_mode & 0o200


def test_another_users_writable_original_is_refused_with_exit_9_and_left_unsealed(tmp_path, monkeypatch):
    from redact.errors import StorageError
    from redact.evidence.seal import seal_original

    clip = write_clip(tmp_path / "clip.mp4", count=4, size=(96, 64))
    clip.chmod(0o666)
    os.chown(clip, 4242, 4242)  # someone else's, and this user is not root
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(StorageError, match="belongs to user id 4242") as refused:
        seal_original(clip)
    assert refused.value.exit_code == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"] and clip.stat().st_mode & 0o222 == 0o222


def write_gif(path: Path, frames: int = 6) -> Path:
    with av.open(str(path), "w", format="gif") as out:
        stream = out.add_stream("gif", rate=10)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "rgb8"
        for i in range(frames):
            rgb = np.full((64, 96, 3), 40 * i % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="rgb8")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_gifs_go_into_batches_and_the_review_pages_list_as_into_run(tmp_path):
    gif = write_gif(tmp_path / "dashcam.gif")
    (tmp_path / "notes.txt").write_text("not a video")
    assert [job.path.name for job in jobs_from_folder(tmp_path)] == ["dashcam.gif"]
    proc = redact("batch", "-q", "--preset", "fast", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "dashcam.gif.redacted.mp4").exists()
    report = json.loads((tmp_path / "batch-report.json").read_text())
    assert [c["status"] for c in report["clips"]] == ["done"], report
    assert gif.exists()


def test_an_avi_whose_index_lists_a_skipped_frame_is_not_called_truncated(tmp_path):
    """A camera that skips a frame writes an empty chunk: the index lists 10 frames, 9 hold a
    picture. Read to its end, that is no truncation ("truncated or damaged?" once said)."""
    from fractions import Fraction

    path = tmp_path / "skipped.avi"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.time_base = Fraction(1, 25)
        for i in range(10):
            if i == 5:  # the skipped frame: an empty packet where its picture would be
                empty = av.Packet(b"")
                empty.stream, empty.pts, empty.dts, empty.time_base = stream, 5, 5, Fraction(1, 25)
                out.mux(empty)
                continue
            frame = av.VideoFrame.from_ndarray(np.full((64, 96, 3), 20 * i, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    proc = redact("run", "-q", *ONE_MODEL_FLAGS, path)
    assert proc.returncode == 0, proc.stderr
    assert "1 frames the file's index lists held no picture" in proc.stdout and "truncated" not in proc.stdout
    log = json.loads((tmp_path / "skipped.avi.redacted.json").read_text())
    assert log["decode"]["listed_without_picture"] == 1 and not log["decode"]["stopped_early"]
