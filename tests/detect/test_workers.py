"""Detection in worker processes: same result for every worker count, no hang, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from checks import assert_faces_masked, assert_faithful
from clips import half_size_sample, video_facts
from processes import alive, children

from redact import redact_file
from redact.evidence.seal import hash_file
from redact.options import RedactOptions
from redact.pipeline import derivative_path, log_path
from redact.presets import options_from_preset


def regions_of(clip: Path) -> list:
    return json.loads(log_path(clip).read_text())["regions"]["frames"]


def test_every_worker_count_gives_the_same_regions_and_frames(tmp_path):
    logs = {}
    for workers in (1, 2, 3):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        clip = half_size_sample(folder)
        redact_file(clip, RedactOptions(quiet=True, workers=workers, detect=options_from_preset("fast").detect))
        assert_faithful(clip, derivative_path(clip))
        logs[workers] = regions_of(clip)
        assert json.loads(log_path(clip).read_text())["run"]["workers"] == workers
    assert logs[1] == logs[2] == logs[3]


def test_fast_preset_keeps_every_frame_and_masks_the_moving_faces(sample_copy):
    redact_file(sample_copy, options_from_preset("fast", quiet=True))
    assert_faithful(sample_copy, derivative_path(sample_copy))
    assert_faces_masked(sample_copy, derivative_path(sample_copy))
    log = json.loads(log_path(sample_copy).read_text())
    assert log["parameters"]["preset"] == "fast" and log["decode"]["detected_frames"] == 90 // 4 + 1
    reasons = {e[6] for _, _, entries in log["regions"]["frames"] for e in entries}
    assert "interpolated" in reasons  # the frames between detections come from the tracks


def test_court_copy_preset_is_faithful(tmp_path):
    clip = half_size_sample(tmp_path, frames=12)
    redact_file(clip, options_from_preset("court-copy", quiet=True, workers=1))
    assert_faithful(clip, derivative_path(clip))
    assert video_facts(derivative_path(clip))["frames"] == 12


def run_until_writing(clip: Path, **env: str) -> tuple[subprocess.Popen, list[int]]:
    """Start `redact run` on ``clip``; return once it is detecting, with its worker pids."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "redact", "run", "-q", "--workers", "2", str(clip)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    deadline = time.time() + 90
    workers: list[int] = []
    held = 0
    while time.time() < deadline and held < 2:  # detecting: workers up and the clip open for decoding
        workers = [pid for pid in children(proc.pid) if b"multiprocess.spawn" in cmdline(pid)]
        held = held + 1 if len(workers) >= 2 and has_open(proc.pid, clip) else 0  # twice: not a quick hash
        time.sleep(0.2)
    return proc, workers


def has_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` holds ``path`` open (the analysis decodes it once the workers are ready)."""
    target = str(path.resolve())
    try:
        return any(os.readlink(fd) == target for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # ended meanwhile
        return b""


def test_a_killed_worker_fails_the_job_with_a_clear_message(sample_copy):
    before = hash_file(sample_copy)
    proc, workers = run_until_writing(sample_copy)
    assert len(workers) >= 2, "the detection workers should be running"
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 8, stderr
    assert "detection worker" in stderr and "exited with code -9" in stderr
    names = sorted(p.name for p in sample_copy.parent.iterdir())
    assert names == ["custody.head.json", "custody.jsonl", "two_faces_720p.mp4", "two_faces_720p.mp4.seal.json"]
    assert hash_file(sample_copy) == before
    time.sleep(0.5)
    assert not [pid for pid in workers if alive(pid)], "workers outlived the failed job"


def test_a_hung_worker_fails_the_job_instead_of_waiting_forever(sample_copy):
    before = hash_file(sample_copy)
    proc, workers = run_until_writing(sample_copy, REDACT_DETECT_TIMEOUT_S="3")
    assert workers
    os.kill(workers[0], signal.SIGSTOP)  # alive, silent: a driver hang looks like this
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 8, stderr
    assert "did not answer within 3 s while detecting" in stderr
    names = sorted(p.name for p in sample_copy.parent.iterdir())
    assert names == ["custody.head.json", "custody.jsonl", "two_faces_720p.mp4", "two_faces_720p.mp4.seal.json"]
    assert hash_file(sample_copy) == before
    time.sleep(0.5)
    assert not [pid for pid in workers if alive(pid)], "a stopped worker outlived the failed job"


def test_ctrl_c_ends_the_workers_too(sample_copy):
    proc, workers = run_until_writing(sample_copy)
    assert workers
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in stderr
    time.sleep(0.5)
    assert not [pid for pid in workers if alive(pid)], "workers outlived the interrupted job"
    assert not list(sample_copy.parent.glob("*.redacted.*")) and not list(sample_copy.parent.glob(".*partial*"))


def test_inline_and_pooled_detection_agree_on_what_is_masked(tmp_path):
    masks = []
    for workers in (0, 2):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        clip = half_size_sample(folder, frames=15)
        redact_file(clip, RedactOptions(quiet=True, workers=workers, detect=options_from_preset("fast").detect))
        masks.append([[e[:5] for e in entries] for _, _, entries in regions_of(clip)])
    # onnxruntime's thread count may move a box by a fraction of a pixel: compare coarsely
    for a, b in zip(*masks, strict=True):
        assert len(a) == len(b)
        if a:
            assert np.abs(np.array([r[1:] for r in a], float) - np.array([r[1:] for r in b], float)).max() <= 4


def test_a_script_without_a_main_guard_can_call_redact_file(tmp_path):
    clip = half_size_sample(tmp_path, frames=6)
    script = tmp_path / "my_script.py"
    script.write_text(
        "from redact import redact_file\n"
        "from redact.options import RedactOptions\n"
        f"redact_file({str(clip)!r}, RedactOptions(quiet=True, workers=2))\n"
        "print('done once')\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("done once") == 1  # the workers did not run the script again
    assert derivative_path(clip).exists()
