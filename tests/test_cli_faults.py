"""Issue 15, items 7-10: requests that cannot mean anything are refused, times run in order,
exit codes say what happened, --help shows what a user types, and `redact verify` never
breaks a path across lines."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from clips import decoded_rgb, half_size_sample, write_clip

from redact import redact_file
from redact.batch import BatchSettings, run_batch
from redact.errors import BadInputError, RedactError
from redact.evidence import keys
from redact.evidence.keys import KeyError_
from redact.i18n import when
from redact.options import DetectOptions, MaskOptions, RedactOptions
from redact.pipeline import log_path
from redact.presets import DEFAULT_PRESET, options_from_preset
from redact.review.court import write_report
from redact.review.operator_regions import parse_regions

ROOT = Path(__file__).resolve().parent.parent
FACES = RedactOptions(quiet=True, workers=0, detect=DetectOptions(kinds=("face",)))
SOLID = dataclasses.replace(FACES, mask=MaskOptions(style="solid"))


def redact(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "redact", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
        **kwargs,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# 7. --add-regions partly / wholly outside the picture; --keep-tracks without a log or ids


def test_a_region_partly_outside_is_clamped_to_the_edge_and_one_wholly_outside_refused(tmp_path):
    (tmp_path / "refused").mkdir()
    refused = write_clip(tmp_path / "refused" / "edge.mp4", count=12, size=(160, 120))
    for region in ("0-0.2@160,0,200,10", "0-0.2@0,120,10,130", "0@0,0,10,10 ~ 0.3@170,0,190,10"):
        with pytest.raises(BadInputError, match="outside the picture"):
            redact_file(refused, dataclasses.replace(SOLID, add_regions=parse_regions(region)))
    assert sorted(p.name for p in refused.parent.iterdir()) == ["edge.mp4"]  # not even sealed

    clip = write_clip(tmp_path / "edge.mp4", count=12, size=(160, 120))
    result = redact_file(clip, dataclasses.replace(SOLID, add_regions=parse_regions("0.2-0.4@120,80,400,300")))
    log = json.loads(result.log.read_text())
    frames = {index: entries for index, _, entries in log["regions"]["frames"]}
    assert sorted(frames) == list(range(5, 11))
    assert all(entries == [["operator", 120, 80, 160, 120, 1.0, "added", -1]] for entries in frames.values())
    for index, (src, out) in enumerate(zip(decoded_rgb(clip), decoded_rgb(result.derivative), strict=True)):
        corner = out[82:118, 122:158].astype(float)
        if 5 <= index <= 10:
            assert corner.max() < 40, index  # masked up to the picture's edge
        else:
            assert np.abs(corner - src[82:118, 122:158]).mean() < 4, index


def test_keep_tracks_needs_the_earlier_log_and_ids_it_holds_and_refuses_before_sealing(tmp_path):
    clip = half_size_sample(tmp_path, frames=12)  # two faces
    flags = ["run", "-q", "--workers", "0", "--kinds", "face"]
    without_reason = redact(*flags, "--keep-tracks", "99", str(clip))
    assert without_reason.returncode == 2 and "--keep-tracks needs --reason" in without_reason.stderr
    flags += ["--reason", "subject of request 17"]
    without_log = redact(*flags, "--keep-tracks", "99", str(clip))
    assert without_log.returncode == 2, without_log.stderr
    assert "earlier log" in without_log.stderr and log_path(clip).name in without_log.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["half.mp4"]  # not sealed, no custody entry

    first = redact(*flags, str(clip))
    assert first.returncode == 0, first.stderr
    earlier = json.loads(log_path(clip).read_text())
    faces = sorted(t["id"] for t in earlier["tracks"] if t["kind"] == "face")
    assert len(faces) >= 2
    before = snapshot(tmp_path)
    unknown = redact(*flags, "--force", "--keep-tracks", f"{faces[0]} 99", str(clip))
    assert unknown.returncode == 2, unknown.stderr
    assert "(99) are not in" in unknown.stderr and log_path(clip).name in unknown.stderr
    assert f"its tracks: {' '.join(str(t['id']) for t in sorted(earlier['tracks'], key=lambda t: t['id']))}" in (
        unknown.stderr
    )
    assert snapshot(tmp_path) == before  # no custody "verified" entry, derivative and log as they were

    kept = redact(*flags, "--force", "--keep-tracks", f"{faces[0]} {faces[1]}", str(clip))
    assert kept.returncode == 0, kept.stderr
    log = json.loads(log_path(clip).read_text())
    assert log["parameters"]["keep_tracks"] == faces[:2]
    assert set(log["derivative"]["kept_tracks"]) == {str(faces[0]), str(faces[1])}
    assert {k["reason"] for k in log["decisions"]["keep_tracks"]} == {"subject of request 17 (--keep-tracks)"}


def test_a_batch_rows_keep_tracks_go_through_the_same_check(tmp_path):
    src = tmp_path / "originals"
    src.mkdir()
    clip = write_clip(src / "c0.mp4", count=8)
    manifest = tmp_path / "request.csv"
    manifest.write_text("path,keep_tracks\noriginals/c0.mp4,3 7\n")
    with pytest.raises(BadInputError, match="keep_tracks needs a reason"):
        run_batch(manifest, BatchSettings(preset="fast", quiet=True, workers=0))
    manifest.write_text("path,keep_tracks,reason\noriginals/c0.mp4,3 7,the officer on duty\n")
    result = run_batch(manifest, BatchSettings(preset="fast", quiet=True, workers=0))
    assert (result.done, result.failed, result.exit_code) == (0, 1, 2), result.failures
    assert "track ids to keep (3 7)" in result.failures[0][1] and "earlier log" in result.failures[0][1]
    assert sorted(p.name for p in src.iterdir()) == [clip.name]  # the clip was not sealed


# 8. the court report's times of one run in the order things happened


TIME = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)"  # as the English report writes a time: sortable


def report_times(page: str) -> tuple[str, str, str, str]:
    sealed = re.search(rf"<th>sealed</th><td colspan=\"2\">{TIME} by", page).group(1)
    started, finished = re.search(rf"<th>redacted</th><td colspan=\"2\">{TIME} to {TIME} by", page).groups()
    reviewed = re.search(rf"<th>reviewed</th><td colspan=\"2\">[^<]*, {TIME}</td>", page).group(1)
    return sealed, started, finished, reviewed


def test_seal_redaction_custody_and_review_times_run_in_the_order_of_events(tmp_path):
    clip = write_clip(tmp_path / "order.mp4", count=8)
    result = redact_file(clip, FACES)  # sealed by this run
    page = write_report(result.log, "DC 1 Test").read_text()
    sealed, started, finished, reviewed = report_times(page)
    assert sealed == when(json.loads(result.seal.read_text())["sealed_at"], "en")
    assert sealed <= started <= finished <= reviewed, (sealed, started, finished, reviewed)
    again = redact_file(clip, dataclasses.replace(FACES, force=True))  # the seal is verified this time
    log = json.loads(again.log.read_text())
    entries = [json.loads(line) for line in (tmp_path / "custody.jsonl").read_text().splitlines()]
    assert [e["event"] for e in entries] == ["sealed", "analysed", "redacted", "exported", "verified", "redacted"]
    times = [e["time"] for e in entries]
    assert times == sorted(times)
    assert times[4] <= log["started_at"] <= log["finished_at"] <= times[5]  # verified, redacted, logged


# 9. exit codes and --help


def test_keys_init_over_an_existing_key_exits_4_before_asking_for_a_passphrase(tmp_path):
    env = {"REDACT_KEY_DIR": str(tmp_path / "keys")}
    assert redact("keys", "init", env=env).returncode == 0
    key = (tmp_path / "keys" / "station.key").read_bytes()
    for args in (["keys", "init"], ["keys", "init", "--passphrase"]):
        proc = redact(*args, env=env, stdin=subprocess.DEVNULL)
        assert proc.returncode == 4, (args, proc.stdout, proc.stderr)
        assert "already exists" in proc.stderr and "--force" in proc.stderr
        assert "Passphrase" not in proc.stdout + proc.stderr
    assert (tmp_path / "keys" / "station.key").read_bytes() == key


def test_bench_png_without_matplotlib_fails_before_measuring(tmp_path):
    fake = tmp_path / "no-matplotlib" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('matplotlib is not installed here')\n")
    clip = write_clip(tmp_path / "b.mp4", count=8)
    env = {"PYTHONPATH": os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])}
    started = time.monotonic()
    proc = redact(
        "bench", "--preset", "fast", "--png", str(tmp_path / "chart.png"), "--workers", "0", str(clip), env=env
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "--png needs matplotlib" in proc.stderr and "nothing measured" in proc.stderr
    assert proc.stdout == "" and not (tmp_path / "chart.png").exists()
    assert time.monotonic() - started < 60  # no transcode, no redaction


def test_every_exit_code_is_documented_internal_errors_included():
    page = (ROOT / "docs" / "exit-codes.md").read_text()
    paragraph = page[page.index("Exit codes:") :].split("\n\n")[0]
    assert "docs/exit-codes.md" in (ROOT / "README.md").read_text()
    classes, codes = [RedactError], {1}
    while classes:
        cls = classes.pop()
        codes.add(cls.exit_code)
        classes += cls.__subclasses__()
    assert KeyError_.exit_code in codes  # the station key's errors are among them
    for code in sorted(codes):
        assert re.search(rf"(:|,)\s+{code}\s", paragraph), (code, paragraph)
    assert "internal error" in paragraph


def help_text(command: str) -> str:
    proc = redact(*command.split(), "--help", env={"COLUMNS": "100", "TERM": "dumb"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def flat(text: str) -> str:
    """Help text without its box and line breaks, so a phrase wrapped across lines still matches."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_help_shows_what_a_user_types_and_what_the_preset_gives():
    preset = options_from_preset(DEFAULT_PRESET)
    for command in ("run", "batch", "verify", "detect", "bench"):
        text = help_text(command)
        assert not re.search(r"<(list|float|int|str|path|bool)\b|range>", text), (command, text)
        assert all(len(line) <= 100 for line in text.splitlines()), command
    run = flat(help_text("run"))
    assert "{FILE...}" in run and "FILE... Original video files" in run
    for flag, value in (
        ("--threshold 0.0-1.0", preset.detect.threshold),
        ("--margin FRACTION", preset.detect.margin),
        ("--detect-every N", preset.detect.every),
        ("--plate-size PX", preset.detect.plate_size),
        ("--keep-lost FRAMES", preset.track.coast),
        ("--crf 0-51", preset.encode.crf),
        ("--x264-preset NAME", preset.encode.preset),
        ("--kinds KINDS", ",".join(preset.detect.kinds)),
    ):
        assert flag in run, flag
        assert f"default: (from the preset; {DEFAULT_PRESET}: {value})" in run, (flag, value)
    assert "--mute Leave audio out" in run  # a flag: nothing to type after it
    batch = flat(help_text("batch"))
    assert "--stall-timeout SECONDS [x>=0]" in batch and "--parallel N [x>=1]" in batch
    assert "{FOLDER|MANIFEST}" in batch
    assert "--png FILE.png" in flat(help_text("bench")) and "--trust FILE.pem" in flat(help_text("verify"))
    assert "--every N [x>=1]" in flat(help_text("detect"))


# 10. `redact verify` prints one whole line per finding


def test_verify_never_breaks_a_path_however_narrow_the_terminal(tmp_path, monkeypatch):
    monkeypatch.setenv("REDACT_KEY_DIR", str(tmp_path / "keys"))
    station = keys.create()
    store = tmp_path / "store"
    folder = store / ("evidence-store-" + "x" * 60) / ("case-2024-000123-" + "y" * 60)
    folder.mkdir(parents=True)
    clip = write_clip(folder / "clip.mp4", count=8)
    result = redact_file(clip, FACES)
    result.derivative.chmod(0o644)
    with open(result.derivative, "ab") as f:
        f.write(b"altered after the fact")
    for columns in ("40", "80"):
        proc = redact("verify", str(store), env={"COLUMNS": columns})
        assert proc.returncode == 1, proc.stderr
        hits = [line for line in proc.stdout.splitlines() if result.derivative.name in line]
        assert len(hits) == 1, proc.stdout
        result_word, kind, rest = hits[0].split(maxsplit=2)
        assert (result_word, kind) == ("FAIL", "derivative")
        assert rest.startswith(f"{result.derivative}: ") and len(rest) > len(str(result.derivative)) + 2
        original = f"OK    original    {clip}: "
        assert any(line.startswith(original) for line in proc.stdout.splitlines()), proc.stdout
        assert all(line.endswith(f"(signed by {station.fingerprint})") for line in proc.stdout.splitlines()[:-1])
        assert proc.stdout.splitlines()[-1] == "4 checked: 3 ok, 0 warnings, 1 failed"  # with the analysis
    as_json = json.loads(redact("verify", "--json", str(store)).stdout)
    assert not as_json["ok"] and any(f["path"] == str(result.derivative) for f in as_json["findings"])


def test_a_gpu_asked_for_and_absent_is_said_before_anything_is_written(tmp_path):
    clip = write_clip(tmp_path / "g.mp4", count=4, size=(96, 64))
    before = clip.read_bytes()
    proc = redact("analyze", "--workers", "0", "--kinds", "face", str(clip), env={**os.environ, "REDACT_DEVICE": "gpu"})
    assert proc.returncode == 5, proc.stderr
    assert "REDACT_DEVICE=gpu, but onnxruntime offers no CUDA provider here" in proc.stderr
    assert "redact[gpu]" in proc.stderr  # what to do about it
    assert clip.read_bytes() == before and not list(tmp_path.glob("g.mp4.analysis*"))
