"""Full disks, read-only and unwritable folders, SIGTERM: a clear error, its own exit code, nothing left.

Real clips through real PyAV onto real (small) tmpfs mounts: the tests run as root, whom
permission bits do not stop, so a full or read-only file system is the way to refuse a
write. Without mount permission they are skipped.
"""

from __future__ import annotations

import csv
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest
from clips import write_clip
from light import ONE_MODEL, ONE_MODEL_FLAGS

from redact import redact_file
from redact.batch import BatchSettings, run_batch
from redact.batch.source import ManifestProblems
from redact.errors import StorageError
from redact.evidence.custody import append, custody_path, read_chain
from redact.evidence.seal import seal_path, utc_iso
from redact.options import RedactOptions
from redact.pipeline import derivative_path, log_path

INLINE = RedactOptions(quiet=True, workers=0, detect=ONE_MODEL)
POOLED = RedactOptions(quiet=True, workers=1, detect=ONE_MODEL)  # the shared-memory ring and a detection process
PAGE = 4096


@pytest.fixture
def mount(tmp_path):
    """``mount(name, *args)`` mounts under ``tmp_path / name`` (``mount`` arguments, the target
    last); everything is unmounted again at teardown. Skips where mounting is not permitted."""
    mounted: list[Path] = []

    def do(name: str, *args: str) -> Path:
        where = tmp_path / name
        where.mkdir(exist_ok=True)
        done = subprocess.run(["mount", *args, str(where)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount here (these tests need root and mount permission): {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield do
    for where in reversed(mounted):
        if subprocess.run(["umount", str(where)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)  # busy: a test failed, do not leak it


def tmpfs(mount, name: str, options: str) -> Path:
    return mount(name, "-t", "tmpfs", "-o", options, "tmpfs")


def remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def fill(folder: Path) -> Path:
    """Take every free byte of ``folder``'s file system (unbuffered: nothing fails at close)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, b"\0" * PAGE)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def pages(n_bytes: int) -> int:
    return -(-n_bytes // PAGE) * PAGE


def hidden(*folders: Path) -> list[str]:
    """Hidden files (the temporaries: ``.NAME.*.partial*``) left in ``folders``."""
    return [str(p) for folder in folders for p in folder.iterdir() if p.name.startswith(".")]


def open_in(folder: Path) -> list[str]:
    """Files under ``folder`` this process still holds open (a deleted temporary keeps its space)."""
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder) + "/"):
            held.append(target)
    return held


@pytest.fixture
def segments(monkeypatch):
    """Names of the shared-memory segments this process creates (the detection ring)."""
    from multiprocess import shared_memory

    created: list[str] = []
    real = shared_memory.SharedMemory.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        if kwargs.get("create") or (len(args) > 1 and args[1]):
            created.append(self.name)

    monkeypatch.setattr(shared_memory.SharedMemory, "__init__", init)
    return created


def left_in_shm(names) -> list[str]:
    return [name for name in names if Path("/dev/shm", name.lstrip("/")).exists()]


def small_clip(folder: Path, name: str = "c.mp4", frames: int = 40) -> Path:
    """640x360: its derivative (CRF 18) is larger than the clip, ~76 KB for 40 frames."""
    return write_clip(folder / name, count=frames, size=(640, 360))


def outputs(clip: Path, folder: Path) -> list[Path]:
    return [p for p in (folder / derivative_path(clip).name, folder / log_path(clip).name) if p.exists()]


def test_a_disk_that_takes_the_seal_but_not_the_derivative_fails_with_exit_9_and_leaves_nothing(
    tmp_path, mount, segments
):
    made = small_clip(tmp_path)
    # room for the clip, its seal and custody entry, not for its (larger) derivative
    store = tmpfs(mount, "store", f"size={pages(made.stat().st_size) // 1024 + 48}k")
    clip = Path(shutil.move(made, store / made.name))
    with pytest.raises(StorageError) as caught:
        redact_file(clip, POOLED)
    error = caught.value
    assert error.exit_code == 9 and "could not be written: no space left on the device" in str(error), error
    assert error.path == clip and error.hint  # names the original, says what to do
    assert seal_path(clip).exists() and custody_path(store).exists()  # the seal fitted
    assert not outputs(clip, store) and not hidden(store)
    assert not open_in(store), "a deleted temporary still holds the disk's space"
    assert segments and not left_in_shm(segments), "the detection ring was left in /dev/shm"

    remount(store, "size=16m")  # space freed: the same run now succeeds, with the seal it made
    result = redact_file(clip, POOLED)
    assert result.frames == 40 and result.derivative.parent == store and not hidden(store)


def test_an_output_folder_that_cannot_even_take_the_log_spool_fails_with_exit_9(tmp_path, mount):
    clip = small_clip(tmp_path)
    out = tmpfs(mount, "out", "size=1m,nr_inodes=4")
    fillers = []
    while True:  # every inode taken: no file, not even an unnamed one, can be made there
        try:
            path = out / f"f{len(fillers)}"
            path.touch()
            fillers.append(path)
        except OSError:
            break
    with pytest.raises(StorageError) as caught:
        redact_file(clip, INLINE, output_dir=out)
    cause = caught.value.__cause__
    assert isinstance(cause, OSError) and cause.errno == errno.ENOSPC
    assert any(f.filename.endswith("redaction_log.py") for f in traceback.extract_tb(cause.__traceback__))
    assert caught.value.exit_code == 9 and str(out) in str(caught.value)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in fillers)
    assert not hidden(tmp_path) and not open_in(out)

    for path in fillers:
        path.unlink()
    remount(out, "nr_inodes=64")  # the spool's three files, the temporaries, the custody log
    assert redact_file(clip, INLINE, output_dir=out).derivative.parent == out


def test_a_read_only_output_folder_fails_with_exit_9_and_says_so(tmp_path, mount):
    clip = small_clip(tmp_path)
    out = tmpfs(mount, "out", "size=1m,ro")
    with pytest.raises(StorageError) as caught:
        redact_file(clip, INLINE, output_dir=out)
    assert caught.value.exit_code == 9 and "read-only file system" in str(caught.value)
    assert not list(out.iterdir()) and not hidden(tmp_path)


def test_a_seal_that_does_not_fit_fails_with_exit_9_and_the_original_stays_as_it_was(tmp_path, mount):
    store = tmpfs(mount, "store", "size=256k")
    clip = small_clip(store, frames=10)
    filler = fill(store)
    with pytest.raises(StorageError) as caught:
        redact_file(clip, INLINE)
    assert caught.value.exit_code == 9 and "seal" in str(caught.value) and "no space left" in str(caught.value)
    assert not seal_path(clip).exists() and not hidden(store)
    assert os.stat(clip).st_mode & 0o200, "an original whose seal was not written must not be marked sealed"

    filler.unlink()
    assert redact_file(clip, INLINE).frames == 10 and seal_path(clip).exists()


def test_a_disk_that_takes_the_derivative_but_not_its_signed_copy_fails_with_exit_9(tmp_path, mount, monkeypatch):
    from redact.evidence import keys

    monkeypatch.setenv("REDACT_KEY_DIR", str(tmp_path / "keys"))
    keys.create()  # signed runs embed C2PA content credentials through a second, signed copy
    clip = small_clip(tmp_path)
    out = tmpfs(mount, "out", "size=120k")  # the derivative (~76 KB) fits, it and its signed copy do not
    with pytest.raises(StorageError) as caught:
        redact_file(clip, INLINE, output_dir=out)
    cause = caught.value.__cause__
    assert isinstance(cause, OSError) and cause.errno == errno.ENOSPC
    assert any(f.filename.endswith("content_credentials.py") for f in traceback.extract_tb(cause.__traceback__))
    assert caught.value.exit_code == 9 and not list(out.iterdir()) and not open_in(out)


def test_a_custody_line_the_disk_takes_only_in_part_is_cut_off_again(mount):
    folder = tmpfs(mount, "chain", "size=64k")
    files = [{"name": "x", "role": "original", "sha256": "0" * 64}]
    append(folder, "sealed", files, "op", None, utc_iso())
    pad = PAGE - 60 - custody_path(folder).stat().st_size  # the next line starts 60 bytes before a page ends
    custody_path(folder).unlink()
    append(folder, "sealed", [{**files[0], "name": "x" * (1 + pad)}], "op", None, utc_iso())
    before = custody_path(folder).read_bytes()
    assert PAGE - 100 < len(before) < PAGE
    fill(folder)
    with pytest.raises(StorageError) as caught:
        append(folder, "redacted", files, "op", None, utc_iso())
    assert caught.value.exit_code == 9 and "custody log" in str(caught.value)
    assert custody_path(folder).read_bytes() == before  # no torn last line
    assert not read_chain(folder).problems


def write_manifest(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "output"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_manifest_whose_output_folders_cannot_be_written_is_refused_before_anything_runs(tmp_path, mount):
    request = tmp_path / "request"
    request.mkdir()
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        write_clip(request / name, count=4)
    tmpfs(mount, "ro-disk", "size=1m,ro")
    (tmp_path / "share").mkdir()
    shared = mount("ro-share", "--bind", str(tmp_path / "share"))
    remount(shared, "bind,ro")
    manifest = write_manifest(
        request / "request.csv",
        [
            {"path": "a.mp4", "output": "../ro-disk"},
            {"path": "b.mp4", "output": "../ro-share/new-folder"},  # to be made, under a read-only mount
            {"path": "c.mp4", "output": "out"},
        ],
    )
    before = tree(tmp_path)
    with pytest.raises(ManifestProblems) as caught:
        run_batch(manifest, BatchSettings(preset="fast", quiet=True, workers=0))
    assert caught.value.exit_code == 2 and len(caught.value.problems) == 2  # both bad rows, at once
    assert "line 2" in caught.value.problems[0] and "line 3" in caught.value.problems[1]
    assert all("cannot be written (read-only file system)" in p for p in caught.value.problems)
    assert tree(tmp_path) == before  # nothing sealed, no state, no custody log


def test_a_batch_clip_whose_output_disk_is_full_fails_with_the_reason_and_the_batch_goes_on(tmp_path, mount):
    request = tmp_path / "request"
    request.mkdir()
    full, fine = small_clip(request, "full.mp4"), small_clip(request, "fine.mp4", frames=8)
    out = tmpfs(mount, "out", "size=48k")  # the derivative (~76 KB) does not fit
    manifest = write_manifest(
        request / "request.csv", [{"path": full.name, "output": str(out)}, {"path": fine.name, "output": ""}]
    )
    settings = BatchSettings(preset="fast", quiet=True, workers=0)
    result = run_batch(manifest, settings)
    assert (result.done, result.failed, result.exit_code) == (1, 1, 9), result.failures
    ((path, error),) = result.failures
    assert Path(path) == full and "could not be written: no space left on the device" in error
    assert not hidden(out, request) and not outputs(full, out)

    remount(out, "size=16m")
    again = run_batch(manifest, settings)
    assert (again.skipped, again.done, again.failed) == (1, 1, 0) and outputs(full, out)


def redact_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "redact", *args], capture_output=True, text=True, env=os.environ.copy(), timeout=timeout
    )


def messages(stderr: str) -> list[str]:
    """What the CLI said, less the unsigned-run note."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("note:")]


def test_redact_run_on_a_full_disk_exits_9_with_one_line(tmp_path, mount):
    made = small_clip(tmp_path)
    store = tmpfs(mount, "store", f"size={pages(made.stat().st_size) // 1024 + 48}k")
    clip = Path(shutil.move(made, store / made.name))
    proc = redact_cli("run", "-q", "--workers", "0", *ONE_MODEL_FLAGS, str(clip))
    assert proc.returncode == 9, proc.stderr
    (line,) = messages(proc.stderr)
    assert line.startswith(f"redact: error: {clip}: ") and "no space left on the device" in line, line
    assert not hidden(store) and not outputs(clip, store)


def test_a_batch_whose_own_state_cannot_be_written_stops_with_exit_9_and_one_line(mount):
    folder = tmpfs(mount, "request", "size=256k")
    clip = small_clip(folder, frames=8)
    fill(folder)
    proc = redact_cli("batch", "-q", "--workers", "0", str(folder))
    assert proc.returncode == 9, proc.stderr
    (line,) = messages(proc.stderr)
    assert "redact-batch.sqlite: the batch state could not be written" in line and "Traceback" not in proc.stderr
    assert not seal_path(clip).exists() and not hidden(folder)


# --- SIGTERM: what a service manager or a scheduler sends to stop a job --------------------


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        todo += kids
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def mapped_segments(pids: list[int]) -> set[str]:
    """Shared-memory segments (redact names its frame rings redact-frames-PID-*) mapped by ``pids``."""
    names = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        names |= {line.rsplit("/", 1)[1].split()[0] for line in maps.splitlines() if "/dev/shm/redact-frames-" in line}
    return names


def start_and_terminate(args: list[str], folder: Path) -> tuple[subprocess.Popen, str, list[int], set[str]]:
    """Start ``redact ARGS``, SIGTERM it (it alone) once it is detecting (its shared memory mapped)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "redact", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    deadline = time.time() + 180
    while proc.poll() is None and time.time() < deadline:  # until it is detecting: the ring is mapped
        if mapped_segments([proc.pid, *descendants(proc.pid)]):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    assert proc.poll() is None, f"it ended before it could be stopped: {proc.communicate()[1]}"
    everything = [proc.pid, *descendants(proc.pid)]
    ring = mapped_segments(everything)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=90)
    return proc, stderr, everything, ring


def assert_all_gone(everything: list[int], ring: set[str], folder: Path) -> None:
    deadline = time.time() + 10
    while [pid for pid in everything if alive(pid)] and time.time() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in everything if alive(pid)], "processes outlived the stopped job"
    assert ring and not left_in_shm(ring), "the detection ring was left in /dev/shm"
    assert not hidden(folder) and not list(folder.glob("*.redacted.*"))


def test_sigterm_stops_redact_run_as_ctrl_c_does(tmp_path):
    clip = write_clip(tmp_path / "long.mp4", count=200, size=(640, 360))  # 8 s: busy for a while
    proc, stderr, everything, ring = start_and_terminate(["run", "-q", "--workers", "1", str(clip)], tmp_path)
    assert proc.returncode == 143, stderr
    assert messages(stderr) == [f"redact: terminated (SIGTERM): {clip} (no partial output left)"], stderr
    assert "leaked" not in stderr and len(everything) >= 2  # workers (and the resource tracker) were there
    assert_all_gone(everything, ring, tmp_path)


def test_sigterm_stops_redact_batch_and_its_clip_process_as_ctrl_c_does(tmp_path):
    folder = tmp_path / "request"
    folder.mkdir()
    write_clip(folder / "long.mp4", count=200, size=(640, 360))
    proc, stderr, everything, ring = start_and_terminate(["batch", "-q", "--workers", "1", str(folder)], folder)
    assert proc.returncode == 143, stderr
    assert messages(stderr) == ["redact: batch terminated (SIGTERM): rerun the same command to resume"], stderr
    assert "leaked" not in stderr and len(everything) >= 3  # the clip's process and its detection worker
    assert_all_gone(everything, ring, folder)


def test_a_disk_that_fills_at_any_point_of_a_signed_run_exits_9_and_leaves_no_temporary(tmp_path, mount):
    """Disk full once gave exit 1 ("internal error") and a `.partial.mp4` that outlived a good
    rerun: a spool refused its tail as it closed, hiding the error that met the full disk first,
    and an analysis spool's write was no storage error. Every size from 'takes the original only'
    to 'takes everything' now ends in 0 or 9, one line, and no hidden file."""
    from clips import write_interview

    env_keys = tmp_path / "keys"
    from redact.evidence import keys

    keys.create(env_keys)  # signed: the derivative is copied once more, with its content credentials
    made = write_interview(tmp_path / "clip.mov", frames=24)
    size = made.stat().st_size // 1024
    codes = {}
    for extra in range(8, 360, 24):
        store = tmpfs(mount, f"s{extra}", f"size={size + extra}k")
        clip = Path(shutil.copyfile(made, store / made.name))
        proc = subprocess.run(
            [sys.executable, "-m", "redact", "run", "-q", "--workers", "0", *ONE_MODEL_FLAGS, str(clip)],
            capture_output=True,
            text=True,
            env={**os.environ, "REDACT_KEY_DIR": str(env_keys)},
            timeout=300,
        )
        codes[extra] = proc.returncode
        assert proc.returncode in (0, 9), (extra, proc.stderr)
        assert len(messages(proc.stderr)) == 1 if proc.returncode else True, proc.stderr
        assert not hidden(store), (extra, hidden(store))
    assert 9 in codes.values() and 0 in codes.values(), codes  # the scan crossed from full to enough
