"""The CLI as a user runs it: subprocesses, exit codes, one clear line per bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from clips import sample_frames, sample_truth, write_audio_only, write_clip
from light import ONE_MODEL_FLAGS

from redact.boxes import iou


def redact(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "redact", *args], capture_output=True, text=True, cwd=cwd, env=os.environ.copy()
    )


def bad_inputs(folder: Path) -> dict[str, Path]:
    (folder / "dir.mp4").mkdir()
    (folder / "empty.mp4").write_bytes(b"")
    # seeded: some random bytes happen to parse as a subtitle format, a different (also clear) error
    (folder / "random.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
    good = write_clip(folder / "tail.mp4", count=30, faststart=False)  # moov at the end
    data = good.read_bytes()
    (folder / "nomoov.mp4").write_bytes(data[: len(data) // 2])
    good.unlink()
    write_audio_only(folder / "voice.m4a")
    cv2.imwrite(str(folder / "still.png"), sample_frames(1, (320, 180))[0])
    return {
        "missing.mp4": folder / "missing.mp4",
        "dir": folder / "dir.mp4",
        "empty": folder / "empty.mp4",
        "random": folder / "random.mp4",
        "nomoov": folder / "nomoov.mp4",
        "audio": folder / "voice.m4a",
        "image": folder / "still.png",
    }


def test_every_bad_input_gets_one_clear_line_exit_2_and_nothing_written(tmp_path):
    inputs = bad_inputs(tmp_path)
    before = {p.name: (p.read_bytes(), p.stat().st_mode) for p in tmp_path.iterdir() if p.is_file()}
    expected = {
        "missing.mp4": "file not found",
        "dir": "is a directory",
        "empty": "empty",
        "random": "not a video file",
        "nomoov": "not a video file",
        "audio": "no video stream",
        "image": "still image",
    }
    for key, path in inputs.items():
        proc = redact("run", "--quiet", str(path))
        lines = [x for x in proc.stderr.strip().splitlines() if not x.startswith("note: no station key")]
        assert proc.returncode == 2, (key, proc.stderr)
        assert len(lines) == 1 and str(path) in lines[0] and expected[key] in lines[0], (key, lines)
    after = {p.name: (p.read_bytes(), p.stat().st_mode) for p in tmp_path.iterdir() if p.is_file()}
    assert after == before  # no seal, no partial, no chmod, nothing created


def test_run_cli_on_sample_then_refuses_overwrite(sample_copy):
    proc = redact("run", "--quiet", *ONE_MODEL_FLAGS, str(sample_copy))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK: ") and "90 frames" in proc.stdout
    assert "unsigned" in proc.stderr  # no station key in the tests: said clearly
    again = redact("run", "--quiet", *ONE_MODEL_FLAGS, str(sample_copy))
    assert again.returncode == 4 and "--force" in again.stderr


def test_batch_of_inputs_goes_on_past_a_bad_one(tmp_path):
    good = write_clip(tmp_path / "good.mp4")
    proc = redact("run", "--quiet", str(tmp_path / "nope.mp4"), str(good))
    assert proc.returncode == 2
    assert (tmp_path / "good.mp4.redacted.mp4").exists()


def test_detect_jsonl_format_on_an_image(tmp_path):
    frame = sample_frames(1)[0]
    image = tmp_path / "frame.png"
    cv2.imwrite(str(image), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    proc = redact("detect", "--format", "jsonl", str(image))
    assert proc.returncode == 0, proc.stderr
    (line,) = [json.loads(x) for x in proc.stdout.splitlines()]
    assert line["image"] == str(image) and (line["width"], line["height"]) == (1280, 720)
    faces = [d for d in line["detections"] if d["kind"] == "face"]
    truth = np.array(sample_truth()["frames"][0]["faces"], np.float32)
    found = np.array([d["box"] for d in faces], np.float32)
    assert (iou(truth, found).max(axis=1) > 0.5).all()  # the sample's two faces
    # anything else is a small find of the enlarged pass (a glove on the camera, at 0.24)
    others = [d for d, near in zip(faces, iou(found, truth).max(axis=1) > 0.1, strict=True) if not near]
    assert all(d["models"] == "centerface@2x" for d in others)
    for d in faces:
        x0, y0, x1, y1 = d["box"]
        r0, s0, r1, s1 = d["region"]
        assert r0 <= x0 < x1 <= r1 and s0 <= y0 < y1 <= s1 and 0 < d["score"] <= 1
        # the model that found it, upright and on the copies turned a quarter each way
        assert d["models"].split("+")[0].startswith("centerface") and set(d["models"].split("+")) <= TURNED_NAMES


# the default's models (both), upright and on the copies turned a quarter each way; CenterFace
# also on the frame enlarged for small faces
TURNED_NAMES = {f"{model}{turn}" for model in ("centerface", "retinaface-mnet025") for turn in ("", "@90", "@270")}
TURNED_NAMES.add("centerface@2x")


def test_detect_looks_at_turned_copies_as_run_does_unless_told_not_to(tmp_path):
    frame = np.ascontiguousarray(np.rot90(sample_frames(1, (640, 360))[0]))  # faces turned a quarter
    image = tmp_path / "ground.png"
    cv2.imwrite(str(image), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def models(*flags):
        proc = redact("detect", "--kinds", "face", *flags, str(image))
        assert proc.returncode == 0, proc.stderr
        return [d["models"] for d in json.loads(proc.stdout)["detections"]]

    assert any("@" in m for m in models())
    assert not any("@" in m for m in models("--upright-faces", "--no-small-faces"))
    assert any("@" in m for m in models("--no-small-faces", "--turned-size", "320"))  # copies from a half-size frame
    too_small = redact("detect", "--turned-size", "100", str(image))
    assert too_small.returncode == 2 and "turned-size must be between 160 and 8192" in too_small.stderr


def test_detect_on_video_frames_with_stride(tmp_path):
    clip = write_clip(tmp_path / "v.mp4", sample_frames(6, (640, 360)))
    proc = redact("detect", "--every", "2", str(clip))
    names = [json.loads(x)["image"] for x in proc.stdout.splitlines()]
    assert names == [f"{clip}#0", f"{clip}#2", f"{clip}#4"]


def test_console_script_reports_version():
    script = Path(sys.executable).with_name("redact")  # installed beside the interpreter
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("redact ")


def test_sockets_to_other_machines_are_blocked_in_subprocesses():
    code = "import socket\ntry:\n    socket.create_connection(('198.51.100.7', 80))\nexcept OSError as e:\n    print(e)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert "blocked" in proc.stdout
    code = "import socket\ntry:\n    socket.getaddrinfo('pypi.org', 443)\nexcept OSError as e:\n    print(e)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert "blocked" in proc.stdout  # no DNS either


def test_detect_reports_plates_on_the_drawn_plate_image():
    sample = Path(__file__).resolve().parent.parent / "samples" / "plate_rear.png"
    truth = json.loads(sample.with_name("plate_rear.truth.json").read_text())["plates"]
    proc = redact("detect", "--kinds", "plate", str(sample))
    assert proc.returncode == 0, proc.stderr
    plates = [d for d in json.loads(proc.stdout)["detections"] if d["kind"] == "plate"]
    assert plates and all(d["models"] == "ppocrv4-det" for d in plates)
    for x0, y0, x1, y1 in truth:  # every plate lies inside a region (whole plate, frame included)
        assert any(r[0] <= x0 and r[1] <= y0 and r[2] >= x1 and r[3] >= y1 for r in (d["region"] for d in plates))


def test_unknown_kind_is_refused():
    proc = redact("run", "--kinds", "face,tattoo", "x.mp4")
    assert proc.returncode == 2 and "kinds must be" in proc.stderr


def test_detect_finds_faces_in_a_rotated_video_in_stored_coordinates(tmp_path):
    import numpy as np

    upright = sample_frames(3, size=(640, 360))
    stored = [np.ascontiguousarray(np.rot90(f, -1)) for f in upright]  # 360 wide, 640 high
    clip = write_clip(tmp_path / "rot.mp4", stored, rotation=90)
    proc = redact("detect", "--kinds", "face", "--upright-faces", str(clip))  # the rotation, not turned copies
    assert proc.returncode == 0, proc.stderr
    for line in map(json.loads, proc.stdout.splitlines()):
        assert (line["width"], line["height"]) == (360, 640)
        faces = [d["box"] for d in line["detections"]]
        assert len(faces) == 2 and all(0 <= b[0] < b[2] <= 360 and 0 <= b[1] < b[3] <= 640 for b in faces)


def test_bench_reports_stages_speed_memory_and_cpu_as_json(tmp_path):
    clip = write_clip(tmp_path / "b.mp4", count=8, size=(160, 96))
    before = clip.read_bytes()
    proc = redact("bench", "--preset", "disclosure", "--kinds", "face", "--json", str(clip))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["frames"] == 8 and result["cores"] >= 1 and result["cpu"]
    assert result["providers"] == ["CPUExecutionProvider"]  # where the models ran, from the log
    assert {"decode", "detect", "mask", "encode"} <= set(result["ms_per_frame"])
    assert result["redact_fps"] > 0 and result["ratio_to_transcode"] > 0 and result["peak_memory_mb"] > 0
    assert clip.read_bytes() == before and not (tmp_path / "b.mp4.seal.json").exists()  # measured on a copy


def test_bench_measures_each_worker_count_of_a_list(tmp_path):
    clip = write_clip(tmp_path / "b.mp4", count=8, size=(160, 96))
    proc = redact("bench", "--preset", "fast", "--kinds", "face", "--workers", "0,1", "--json", str(clip))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [r["workers"] for r in result["runs"]] == [0, 1]
    assert all(r["frames"] == 8 and r["redact_fps"] > 0 for r in result["runs"])
    fastest = max(result["runs"], key=lambda r: r["redact_fps"])
    assert result["best_workers"] == fastest["workers"]
    table = redact("bench", "--preset", "fast", "--kinds", "face", "--workers", "1,0", str(clip))
    assert table.returncode == 0 and "fastest:" in table.stdout and "workers  redact fps" in table.stdout
    bad = redact("bench", "--workers", "two", str(clip))
    assert bad.returncode == 2 and "--workers takes a number or a list" in bad.stderr
    both = redact("bench", "--workers", "0,1", str(clip))  # a sweep is of one preset
    assert both.returncode == 2 and "measure one preset" in both.stderr


def test_bench_says_what_an_hour_of_footage_costs_with_each_preset(tmp_path):
    clip = write_clip(tmp_path / "b.mp4", count=8, size=(160, 96))
    proc = redact("bench", "--kinds", "face", "--workers", "0", "--json", str(clip))
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)["presets"]
    assert [r["preset"] for r in runs] == ["bulk", "court-copy", "disclosure", "fast"]  # every preset, by default
    for r in runs:
        footage_s = r["frames"] / r["input_fps"]
        assert r["hours_per_footage_hour"] == pytest.approx(r["redact_s"] / footage_s, rel=0.01, abs=0.002)
    table = redact("bench", "--kinds", "face", "--workers", "0", "--preset", "fast,disclosure", str(clip))
    assert table.returncode == 0, table.stderr
    assert "hours per hour of footage" in table.stdout and "models on CPU" in table.stdout
    assert [line.split()[0] for line in table.stdout.splitlines()[3:]] == ["fast", "disclosure"]


def test_bad_options_are_refused_before_anything_is_touched(tmp_path):
    clip = write_clip(tmp_path / "o.mp4")
    for args, said in (
        (["--preset", "bogus"], "unknown preset 'bogus' (choose one of bulk, court-copy, disclosure, fast"),
        (["--preset", "veryfast"], "use --x264-preset veryfast"),
        (["--x264-preset", "bogus"], "x264 preset"),
        (["--workers", "-1"], "workers"),
        (["--crf", "70"], "crf"),
        (["--style", "swirl"], "style"),
        (["--mute-ranges", "0.1-x"], "--mute-ranges: bad time 'x'"),
        (["--mute-ranges", "0.3-0.1"], "ends before it starts"),
        (["--mute-ranges", "30-40"], "starts after the clip ends (0.48 s)"),  # the clip is 12 frames
        (["--keep-tracks", "three"], "--keep-tracks: track ids must be whole numbers"),
    ):
        proc = redact("run", *args, str(clip))
        assert proc.returncode == 2 and said in proc.stderr, (args, proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.mp4"]  # not sealed, no custody entry


def test_ctrl_c_stops_cleanly_with_no_partial_output(sample_copy):
    import signal
    import time

    from redact.evidence.seal import hash_file

    before = hash_file(sample_copy)
    proc = subprocess.Popen(
        [sys.executable, "-m", "redact", "run", "-q", str(sample_copy)],  # faces + plates: ~30 s of work
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    from processes import children

    deadline = time.time() + 60
    while time.time() < deadline:  # wait until it is detecting: sealed, workers started
        if (sample_copy.parent / "custody.jsonl").exists() and children(proc.pid):
            break
        time.sleep(0.2)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in stderr
    names = sorted(p.name for p in sample_copy.parent.iterdir())
    assert names == ["custody.head.json", "custody.jsonl", "two_faces_720p.mp4", "two_faces_720p.mp4.seal.json"]
    assert hash_file(sample_copy) == before


def test_presets_are_listed_and_flags_override_them(tmp_path):
    listed = redact("presets")
    assert listed.returncode == 0
    assert "disclosure (default)" in listed.stdout and "court-copy" in listed.stdout and "fast" in listed.stdout
    clip = write_clip(tmp_path / "p.mp4", count=8, audio=True)
    request = ["--mute-ranges", "0:00.1-0.2"]  # as a disclosure request words them (--keep-tracks: test_cli_faults)
    proc = redact("run", "-q", "--preset", "fast", "--detect-every", "2", "--workers", "1", *request, str(clip))
    assert proc.returncode == 0, proc.stderr
    log = json.loads((tmp_path / "p.mp4.redacted.json").read_text())
    assert log["parameters"]["preset"] == "fast" and log["parameters"]["detect"]["every"] == 2
    assert log["parameters"]["encode"]["preset"] == "ultrafast" and log["run"]["workers"] == 1
    assert log["parameters"]["mute_ranges"] == [[0.1, 0.2]]
    assert "(audio: stream 1 (aac) re-encoded as AAC: 0.1-0.2 s silenced)" in proc.stdout  # said, not only logged


def test_a_wider_detect_every_narrows_the_presets_extra_passes_and_says_so(tmp_path):
    """The default preset's enlarged pass runs on every 7th detected frame: at --detect-every 4 that
    is every 28th frame, more than tracking bridges (15), so it runs on every 3rd (every 12th frame)
    instead of the run being refused; a stride given on the command line is kept, and refused."""
    clip = write_clip(tmp_path / "wide.mp4", count=8)
    proc = redact("run", "-q", "--detect-every", "4", "--kinds", "face", "--upright-faces", "--workers", "1", str(clip))
    assert proc.returncode == 0, proc.stderr
    assert "note: small faces on every 3 detected frames, not the preset's every 7" in proc.stderr
    detect = json.loads((tmp_path / "wide.mp4.redacted.json").read_text())["parameters"]["detect"]
    assert detect["every"] == 4 and detect["small_faces_every"] == 3  # what ran is what is logged
    asked = redact("run", "-q", "--detect-every", "4", "--small-faces-every", "5", "--force", str(clip))
    assert asked.returncode == 2 and "choose 3 or fewer" in asked.stderr, asked.stderr


def test_onnxruntime_telemetry_is_off_in_every_process(tmp_path):
    # onnxruntime >= 1.29 ships telemetry that is on by default: a device id and event cache
    # under ~/.cache/Microsoft, uploaded to Microsoft. redact must never start it.
    home = tmp_path / "home"
    home.mkdir()
    clip = write_clip(tmp_path / "t.mp4", count=6)
    env = {**os.environ, "HOME": str(home)}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    for args in (
        ["detect", str(Path(__file__).parent.parent / "samples" / "plate_rear.png")],
        ["run", "-q", str(clip)],
    ):
        proc = subprocess.run([sys.executable, "-m", "redact", *args], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
    assert not (home / ".cache" / "Microsoft").exists(), sorted(str(p) for p in home.rglob("*"))


def test_a_program_that_started_onnxruntime_telemetry_first_is_warned(tmp_path):
    # Importing onnxruntime starts its telemetry; redact cannot stop it afterwards, so it says so.
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    script = (
        "import {first}\nimport {second}\n"
        "from redact.detect.runtime import make_session\nfrom redact.models import CENTERFACE, locate\n"
        "make_session(str(locate(CENTERFACE)))\n"
    )
    late = subprocess.run(
        [sys.executable, "-c", script.format(first="onnxruntime", second="redact")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert late.returncode == 0, late.stderr
    assert "RuntimeWarning" in late.stderr and "ORT_DISABLE_TELEMETRY=1" in late.stderr
    early = subprocess.run(
        [sys.executable, "-c", script.format(first="redact", second="onnxruntime")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert early.returncode == 0 and "telemetry" not in early.stderr, early.stderr
