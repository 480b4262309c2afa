"""Where records and outputs go: every original has outputs of its own, signed runs work on
every container redact accepts, and a read-only evidence store is redacted into a case folder."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from clips import write_clip
from light import ONE_MODEL, ONE_MODEL_FLAGS

from redact import redact_file
from redact.evidence import content_credentials, keys
from redact.evidence.layout import Layout
from redact.options import RedactOptions

QUICK = RedactOptions(quiet=True, workers=0, detect=ONE_MODEL)


def redact_cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "redact", *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )


def verify_json(*args) -> tuple[int, dict]:
    proc = redact_cli("verify", "--json", *args)
    return proc.returncode, json.loads(proc.stdout)


def events(folder: Path) -> list[str]:
    return [json.loads(line)["event"] for line in (folder / "custody.jsonl").read_text().splitlines()]


@pytest.fixture
def station_key(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "keys"
    keys.create(folder)
    monkeypatch.setenv("REDACT_KEY_DIR", str(folder))
    return folder


# name -> (FFmpeg muxer, codec): every kind of container a station's cameras and DVRs export
CONTAINERS = {
    "clip.mp4": (None, "libx264"),
    "clip.mov": (None, "libx264"),
    "clip.3gp": ("3gp", "libx264"),
    "clip.mkv": ("matroska", "libx264"),
    "clip.webm": ("webm", "libvpx"),
    "clip.avi": (None, "mpeg4"),
    "clip.ts": ("mpegts", "libx264"),
    "clip.dat": ("mpegts", "libx264"),  # a DVR export
    "clip.mpg": ("mpeg", "mpeg2video"),
    "clip.flv": ("flv", "libx264"),
    "clip.wmv": ("asf", "wmv2"),
    "clip.mxf": ("mxf", "mpeg2video"),
    "clip.h264": ("h264", "libx264"),
    "clip.gif": (None, "gif"),
}
HASHED_BY_C2PA = {".mp4", ".mov", ".3gp", ".avi", ".gif"}


def clip_in(folder: Path, name: str) -> Path:
    """A short real clip in the container its name says (by the table above; default MP4)."""
    folder.mkdir(parents=True, exist_ok=True)
    fmt, codec = CONTAINERS.get(name, (None, "libx264"))
    pix_fmt = "rgb8" if codec == "gif" else "yuv420p"
    return write_clip(folder / name, count=6, size=(96, 64), fmt=fmt, codec=codec, pix_fmt=pix_fmt)


@pytest.mark.parametrize("name", CONTAINERS)
def test_a_signed_run_works_on_every_container_and_verifies(tmp_path, station_key, name):
    """With a station key, originals that C2PA cannot parse (Matroska, MPEG-TS, DVR .dat) are
    referenced by hash in the derivative's manifest instead of failing the run."""
    original = clip_in(tmp_path / "case", name)
    result = redact_file(original, QUICK)
    log = json.loads(result.log.read_text())
    credentials = log["derivative"]["content_credentials"]
    assert credentials["embedded"] is True
    parsable = Path(name).suffix in HASHED_BY_C2PA
    assert credentials["ingredient"].startswith("hashed" if parsable else "declared by SHA-256"), credentials
    manifest = content_credentials.read(result.derivative)
    assert manifest["state"] != "Invalid" and not manifest["problems"]
    assert manifest["provenance"]["original_sha256"] == log["original"]["sha256"]
    code, report = verify_json(tmp_path / "case")
    assert code == 0, report


def test_originals_sharing_a_stem_each_get_their_own_seal_and_outputs(tmp_path):
    """clip.mov and clip.mkv from one camera: neither is refused, and no false tamper record."""
    mov, mkv = clip_in(tmp_path, "clip.mov"), clip_in(tmp_path, "clip.mkv")
    for original in (mov, mkv):
        proc = redact_cli("run", "-q", "--workers", "0", *ONE_MODEL_FLAGS, original)
        assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    for original in ("clip.mov", "clip.mkv"):
        assert {f"{original}.seal.json", f"{original}.redacted.mp4", f"{original}.redacted.json"} <= set(names)
    assert "verification failed" not in events(tmp_path)
    # the second run verifies its own seal
    proc = redact_cli("run", "-q", "--workers", "0", *ONE_MODEL_FLAGS, "--force", mkv)
    assert proc.returncode == 0, proc.stderr
    assert events(tmp_path)[-2:] == ["verified", "redacted"]
    assert verify_json(tmp_path)[0] == 0


def test_a_seal_from_an_older_release_named_by_stem_is_still_used(tmp_path):
    original = clip_in(tmp_path, "old.mp4")
    redact_file(original, QUICK)
    (tmp_path / "old.mp4.seal.json").rename(tmp_path / "old.seal.json")  # as releases before 0.2 named it
    assert Layout(original).seal == tmp_path / "old.seal.json"
    other = clip_in(tmp_path, "old.mkv")  # shares the stem: the old seal is not its seal
    assert Layout(other).seal == tmp_path / "old.mkv.seal.json"
    redact_file(original, RedactOptions(quiet=True, workers=0, force=True, detect=ONE_MODEL))
    assert not (tmp_path / "old.mp4.seal.json").exists()  # verified against the old seal, not sealed anew
    assert events(tmp_path)[-2:] == ["verified", "redacted"]


@contextlib.contextmanager
def read_only_mount(source: Path, target: Path):
    """``source`` seen read-only at ``target`` (a bind mount: root ignores permission bits)."""
    target.mkdir()
    try:
        subprocess.run(["mount", "--bind", str(source), str(target)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot bind-mount here ({exc}); run as root with mount permission")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True, capture_output=True)
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=False, capture_output=True)


def tree_state(folder: Path) -> dict[str, tuple[int, int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def evidence_store(tmp_path) -> tuple[Path, Path]:
    """(read-only view of a store with a/clip.mp4 and b/clip.mp4, the writable folder behind it)."""
    store = tmp_path / "store"
    clip_in(store / "a", "clip.mp4")
    clip_in(store / "b", "clip.mp4")
    with read_only_mount(store, tmp_path / "ro") as ro:
        yield ro, store


def test_a_read_only_store_is_redacted_into_a_case_folder(tmp_path, evidence_store, station_key):
    ro, store = evidence_store
    before = tree_state(store)
    original = ro / "a" / "clip.mp4"
    proc = redact_cli("run", "-q", "--workers", "0", *ONE_MODEL_FLAGS, original)
    assert proc.returncode == 9 and "read-only" in proc.stderr and "--case-dir" in proc.stderr, proc.stderr
    case = tmp_path / "case"
    proc = redact_cli("run", "-q", "--workers", "0", *ONE_MODEL_FLAGS, "--case-dir", case, original)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in case.iterdir()) == [
        "clip.mp4.analysis.json",
        "clip.mp4.redacted.json",
        "clip.mp4.redacted.mp4",
        "clip.mp4.seal.json",
        "custody.head.json",
        "custody.jsonl",
    ]
    seal = json.loads((case / "clip.mp4.seal.json").read_text())
    assert (case / seal["path"]).resolve() == original.resolve()
    log = json.loads((case / "clip.mp4.redacted.json").read_text())
    assert (case / log["original"]["file"]).resolve() == original.resolve()
    for args in ([case], ["--case-dir", case], ["--case-dir", case, original]):
        code, report = verify_json(*args)
        assert code == 0 and report["ok"], (args, report)
    proc = redact_cli("run", "-q", "--workers", "0", *ONE_MODEL_FLAGS, "--force", "--case-dir", case, original)
    assert proc.returncode == 0, proc.stderr
    assert events(case) == ["sealed", "analysed", "redacted", "verified", "redacted"]
    proc = redact_cli("report", "--case-dir", case, "--reviewer", "DC 1 Test")
    assert proc.returncode == 0 and (case / "clip.mp4.redaction-report.html").exists(), proc.stderr
    # b/clip.mp4 has the same name: refused by this case folder, and no false tamper record
    proc = redact_cli("run", "-q", "--workers", "0", *ONE_MODEL_FLAGS, "--case-dir", case, ro / "b" / "clip.mp4")
    assert proc.returncode == 2 and "seal of another file" in proc.stderr, proc.stderr
    assert "verification failed" not in events(case)
    assert tree_state(store) == before  # the store was only read


def test_a_batch_over_a_read_only_store_keeps_everything_in_the_case_folder(tmp_path, evidence_store):
    ro, store = evidence_store
    before = tree_state(store)
    case = tmp_path / "case"
    proc = redact_cli("batch", "-q", "--workers", "1", "--case-dir", case, ro)
    assert proc.returncode == 0, proc.stderr
    for sub in ("a", "b"):  # one seal each, though both clips are named clip.mp4
        assert (case / sub / "clip.mp4.seal.json").exists() and (case / sub / "clip.mp4.redacted.mp4").exists()
    assert {"redact-batch.sqlite", "batch-report.json", "batch-report.html"} <= {p.name for p in case.iterdir()}
    code, report = verify_json(case)
    assert code == 0, report
    derivatives = {p: p.stat().st_mtime_ns for p in case.rglob("*.redacted.mp4")}
    proc = redact_cli("batch", "-q", "--workers", "1", "--case-dir", case, ro)  # a rerun adopts both
    assert proc.returncode == 0, proc.stderr
    assert {p: p.stat().st_mtime_ns for p in case.rglob("*.redacted.mp4")} == derivatives  # none redone
    assert tree_state(store) == before
