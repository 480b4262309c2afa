"""`redact batch`: folders and manifests, failure isolation, resume after kill -9, Dask."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from clips import half_size_sample, sample_frames, write_clip
from processes import alive, children

from redact.batch import BatchSettings, run_batch
from redact.batch.source import ManifestProblems, jobs_from_folder
from redact.evidence.seal import hash_file
from redact.review.request_fields import parse_ranges

FAST = BatchSettings(preset="fast", quiet=True, workers=1)
PY = [sys.executable, "-m"]
WORKER_ARGS = ["--nworkers", "2", "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]


def redact_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "redact", *args], capture_output=True, text=True, env=os.environ.copy(), timeout=600
    )


def clip_folder(folder: Path, clips: int = 2, frames: int = 12) -> list[Path]:
    """``clips`` small real clips with faces, named c0.mp4, c1.mp4..."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(clips):
        path = half_size_sample(folder, frames=frames + i).rename(folder / f"c{i}.mp4")
        made.append(path)
    return made


def derivative_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hash_file(p) for p in sorted(folder.rglob("*.redacted.mp4"))}


def statuses(state: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        return {Path(p).name: s for p, s in db.execute("SELECT path, status FROM clips")}


def test_folder_batch_isolates_a_corrupt_clip_and_reports_every_clip(tmp_path):
    src = tmp_path / "request"
    clip_folder(src)
    (src / "sub").mkdir()
    write_clip(src / "sub" / "odd_name.dat", count=8, fmt="mp4")  # a video by content, whatever its name
    (src / "broken.mp4").write_bytes(np.random.default_rng(0).bytes(40_000))  # named like a video, is not one
    (src / "notes.txt").write_text("officer notes")
    cv2.imwrite(str(src / "still.png"), sample_frames(1, (64, 48))[0])
    names = sorted(j.path.name for j in jobs_from_folder(src))
    assert names == ["broken.mp4", "c0.mp4", "c1.mp4", "odd_name.dat"]  # txt and png are not videos

    result = run_batch(src, FAST)
    assert (result.total, result.done, result.failed, result.exit_code) == (4, 3, 1, 2)
    assert "broken.mp4" in result.failures[0][0] and "not a video" in result.failures[0][1]
    assert set(derivative_hashes(src)) == {"c0.mp4.redacted.mp4", "c1.mp4.redacted.mp4", "odd_name.dat.redacted.mp4"}
    report = json.loads((src / "batch-report.json").read_text())
    by_name = {Path(c["path"]).name: c for c in report["clips"]}
    assert by_name["broken.mp4"]["status"] == "failed" and "not a video" in by_name["broken.mp4"]["error"]
    assert by_name["c0.mp4"]["derivative_sha256"] == hash_file(src / "c0.mp4.redacted.mp4")
    assert by_name["c0.mp4"]["original_sha256"] == hash_file(src / "c0.mp4") and by_name["c0.mp4"]["seconds"] > 0
    page = (src / "batch-report.html").read_text()
    assert all(name in page for name in by_name) and "failed" in page
    # what each clip's review will list, as its OK line says it
    found = by_name["c0.mp4"]["found"]
    assert found.endswith("uncertain regions (masked)") or found.endswith("uncertain region (masked)")
    assert f"<td>{found}</td>" in page and by_name["broken.mp4"]["found"] is None


def test_rerun_is_a_no_op_and_redoes_a_derivative_that_no_longer_verifies(tmp_path):
    src = tmp_path / "request"
    clip_folder(src)
    run_batch(src, FAST)
    before = {p.name: p.stat().st_mtime_ns for p in src.glob("*.redacted.*")}
    again = run_batch(src, FAST)
    assert (again.skipped, again.done, again.failed) == (2, 0, 0)
    assert {p.name: p.stat().st_mtime_ns for p in src.glob("*.redacted.*")} == before
    good = hash_file(src / "c1.mp4.redacted.mp4")
    tampered = src / "c1.mp4.redacted.mp4"
    tampered.write_bytes(tampered.read_bytes()[:-10])  # damaged after the fact
    third = run_batch(src, FAST)
    assert (third.skipped, third.done) == (1, 1) and hash_file(tampered) == good


def test_manifest_rows_carry_their_request(tmp_path):
    src = tmp_path / "originals"
    a, b = clip_folder(src)
    talk = write_clip(src / "talk.mp4", sample_frames(25, (320, 180)), audio=True)
    manifest = tmp_path / "request-17.csv"
    manifest.write_text(
        "path,preset,kinds,mute,keep_tracks,output\n"
        "originals/c0.mp4,fast,face,,,out\n"
        "originals/c1.mp4,,,,,out\n"
        "originals/talk.mp4,fast,face,0.2-0.6,,out\n"
    )
    result = run_batch(manifest, BatchSettings(preset="fast", quiet=True, workers=1))
    assert (result.done, result.failed) == (3, 0), result.failures
    out = tmp_path / "out"
    assert set(derivative_hashes(out)) == {"c0.mp4.redacted.mp4", "c1.mp4.redacted.mp4", "talk.mp4.redacted.mp4"}
    log = json.loads((out / "talk.mp4.redacted.json").read_text())
    assert log["parameters"]["mute_ranges"] == [[0.2, 0.6]] and log["parameters"]["detect"]["kinds"] == ["face"]
    assert (tmp_path / "batch-report.json").exists() and (tmp_path / "redact-batch.sqlite").exists()
    # JSON lines name the same things; add_regions and keep_tracks (ids of the earlier log where
    # the output goes: refused without one, tests/test_cli_faults.py) reach the log
    lines = tmp_path / "request-18.jsonl"
    row = {"path": str(a), "add_regions": "0.1-0.2@1,2,30,40", "output": "out18"}
    lines.write_text(json.dumps(row) + "\n")
    assert run_batch(lines, FAST).done == 1
    earlier = json.loads((tmp_path / "out18" / "c0.mp4.redacted.json").read_text())
    kept = sorted(t["id"] for t in earlier["tracks"])[:2]
    lines.write_text(json.dumps({**row, "keep_tracks": " ".join(map(str, kept)), "reason": "officers"}) + "\n")
    assert run_batch(lines, FAST).done == 1
    log = json.loads((tmp_path / "out18" / "c0.mp4.redacted.json").read_text())
    assert kept and log["parameters"]["keep_tracks"] == kept
    assert log["parameters"]["add_regions"] == [[[0.1, 0.2, 1.0, 2.0, 30.0, 40.0]]]
    assert any(e[6] == "added" and e[7] == -1 for _, _, entries in log["regions"]["frames"] for e in entries)
    assert hash_file(talk) and b.exists()


def test_a_bad_manifest_reports_every_bad_row_and_touches_nothing(tmp_path):
    clip_folder(tmp_path / "o", clips=1)
    manifest = tmp_path / "bad.csv"
    manifest.write_text(
        "path,preset,kinds,mute,keep_tracks,output,add_regions\n"
        "o/c0.mp4,,,,,\n"
        "o/missing.mp4,,,,,\n"
        "o/c0.mp4,quick,,,,elsewhere\n"
        "o/c0.mp4,,faces,,,x\n"
        "o/c0.mp4,,,10-5,,y\n"
        "o/c0.mp4,,,,seven,z\n"
        'o/c0.mp4,,,,,w,"12@1,1,2,2"\n'
    )
    before = sorted(p.name for p in (tmp_path / "o").iterdir())
    with pytest.raises(ManifestProblems) as raised:
        run_batch(manifest, FAST)
    problems = raised.value.problems
    assert len(problems) == 6
    assert "line 3" in problems[0] and "not found" in problems[0]
    assert "line 4" in problems[1] and "unknown preset 'quick'" in problems[1]
    assert "line 5" in problems[2] and "bad kinds" in problems[2]
    assert "line 6" in problems[3] and "ends before it starts" in problems[3]
    assert "line 7" in problems[4] and "whole numbers" in problems[4]
    assert "line 8" in problems[5] and "add_regions: region 12-12 s: a still region needs START-END" in problems[5]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == before  # nothing sealed
    assert not (tmp_path / "redact-batch.sqlite").exists()
    proc = redact_cli("batch", "-q", str(manifest))
    assert proc.returncode == 2 and "6 bad manifest row(s)" in proc.stderr


def test_a_worker_with_another_release_refuses_the_clip(tmp_path):
    from redact.batch.clip_task import run_job
    from redact.batch.source import Job

    (clip,) = clip_folder(tmp_path, clips=1)
    outcome = run_job(Job(path=clip).as_dict(), {"version": "0.0.1", "preset": "fast"})
    assert outcome["status"] == "failed" and "the batch 0.0.1" in outcome["error"]
    assert not (tmp_path / "c0.mp4.seal.json").exists()  # refused before touching anything


def test_time_ranges_parse_like_people_write_them():
    assert parse_ranges("12-20; 1:02-1:10.5") == ((12.0, 20.0), (62.0, 70.5))
    assert parse_ranges([[0, 1.5]]) == ((0.0, 1.5),)
    with pytest.raises(ValueError):
        parse_ranges("12")


def test_kill_9_mid_batch_then_resume_gives_the_same_derivatives(tmp_path):
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    for folder in (reference, interrupted):
        clip_folder(folder, clips=3, frames=30)
    assert run_batch(reference, FAST).done == 3

    proc = subprocess.Popen(
        [sys.executable, "-m", "redact", "batch", "-q", "--preset", "fast", "--workers", "1", str(interrupted)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    state = interrupted / "redact-batch.sqlite"
    deadline = time.time() + 120
    seen: dict[str, str] = {}
    while time.time() < deadline:
        time.sleep(0.1)
        try:
            seen = statuses(state)
        except sqlite3.Error:
            continue
        if "done" in seen.values() and "running" in seen.values():
            break
    workers = descendants(proc.pid)  # the clip's process and its detection workers
    os.kill(proc.pid, signal.SIGKILL)  # mid-clip: one done, one running
    proc.wait()
    assert "done" in seen.values() and "running" in seen.values(), seen
    deadline = time.time() + 20  # each process notices its parent is gone within a job or a second
    while [pid for pid in workers if alive(pid)] and time.time() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if alive(pid)], "workers outlived the killed batch"

    resumed = run_batch(interrupted, FAST)
    assert resumed.failed == 0 and resumed.skipped >= 1 and resumed.skipped + resumed.done == 3
    assert derivative_hashes(interrupted) == derivative_hashes(reference)
    assert not [p for p in interrupted.iterdir() if p.name.startswith(".")]  # no temporaries left


def descendants(pid: int) -> list[int]:
    found = children(pid)
    return found + [d for c in found for d in descendants(c)]


def clip_processes_left() -> list[int]:
    """Live processes under this one, except multiprocess's resource tracker (it lives on)."""
    left = []
    for pid in descendants(os.getpid()):
        try:
            if alive(pid) and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                left.append(pid)
        except OSError:
            continue
    return left


def test_a_clip_that_stalls_or_crashes_fails_alone_and_a_rerun_redoes_it(tmp_path):
    """A hung detector (here: stopped) and a crash (here: SIGSEGV) each fail their clip only."""
    src = tmp_path / "request"
    clips = clip_folder(src, clips=3, frames=30)
    before = {p.name: hash_file(p) for p in clips}
    done: list[str] = []

    def sabotage() -> None:
        """First clip: stop its detection worker. Second clip: crash its process mid-clip."""
        deadline = time.time() + 120
        while len(done) < 2 and time.time() < deadline:
            for clip in children(os.getpid()):
                workers = children(clip)
                if clip in done or not workers:
                    continue
                if not done:
                    os.kill(workers[0], signal.SIGSTOP)
                else:
                    os.kill(clip, signal.SIGSEGV)
                done.append(clip)
            time.sleep(0.05)

    saboteur = threading.Thread(target=sabotage)
    saboteur.start()
    started = time.monotonic()
    result = run_batch(src, BatchSettings(preset="fast", quiet=True, workers=1, stall_timeout=5))
    saboteur.join()
    assert len(done) == 2 and time.monotonic() - started < 120
    errors = dict(result.failures)
    assert (result.done, result.failed) == (1, 2), errors
    assert "stalled" in errors[str(src / "c0.mp4")] and "5 s" in errors[str(src / "c0.mp4")]
    assert "SIGSEGV" in errors[str(src / "c1.mp4")]
    assert statuses(src / "redact-batch.sqlite") == {"c0.mp4": "failed", "c1.mp4": "failed", "c2.mp4": "done"}
    deadline = time.time() + 5  # SIGKILL takes a moment to land
    while clip_processes_left() and time.time() < deadline:
        time.sleep(0.1)
    assert not clip_processes_left()  # the stopped worker was killed too
    assert {p.name: hash_file(p) for p in clips} == before  # originals untouched

    again = run_batch(src, FAST)
    assert (again.skipped, again.done, again.failed) == (1, 2, 0)
    assert not [p for p in src.iterdir() if p.name.startswith(".")]  # the stopped attempts' temporaries removed


def test_hashing_a_large_original_is_progress_where_process_io_cannot_be_read(tmp_path, monkeypatch):
    """Off Linux the watchdog cannot read a process's I/O counters: hashing a large original on
    a slow share for longer than --stall-timeout must still count as progress, not a stall."""
    from redact.batch import supervise
    from redact.batch.source import Job

    monkeypatch.setattr(supervise, "group_io", lambda pgid: None)  # as on macOS or Windows
    clip = write_clip(tmp_path / "long.mp4", count=8)  # index first: the padding below is never read as video
    with open(clip, "r+b") as f:
        f.truncate(clip.stat().st_size + (3 << 30))  # 3 GiB more (sparse): ~6 s of hashing here, no frame
    started = time.monotonic()
    outcome = supervise.run_job_supervised(Job(clip).as_dict(), {"preset": "fast", "workers": 0}, None, stall_s=2)
    assert outcome["status"] == "done", outcome
    # longer than the stall timeout, mostly hashing (2 GiB took 3.9 s on one VM: too close to a bound of 4 s)
    assert time.monotonic() - started > 3


def test_a_resume_check_that_stalls_is_stopped_and_the_clips_are_redone(tmp_path):
    """Rerunning a batch hashes every earlier derivative; a share that hangs there is a stall too."""
    src = tmp_path / "request"
    clip_folder(src)
    run_batch(src, FAST)
    before = derivative_hashes(src)
    stopped: list[int] = []

    def stop_the_checker() -> None:
        deadline = time.time() + 60
        while not stopped and time.time() < deadline:
            for child in children(os.getpid()):
                if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                    os.kill(child, signal.SIGSTOP)
                    stopped.append(child)
                    break
            time.sleep(0.01)

    saboteur = threading.Thread(target=stop_the_checker)
    saboteur.start()
    again = run_batch(src, BatchSettings(preset="fast", quiet=True, workers=1, stall_timeout=3))
    saboteur.join()
    assert stopped and (again.skipped, again.done, again.failed) == (0, 2, 0)  # not trusted unchecked: redone
    assert derivative_hashes(src) == before


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # ended meanwhile
        return b""


def test_ctrl_c_mid_batch_stops_the_clip_cleanly_and_a_rerun_finishes(tmp_path):
    """Ctrl-C reaches the terminal's process group; the clip's own group gets it from the batch."""
    src = tmp_path / "request"
    clip_folder(src, clips=2, frames=30)
    proc = subprocess.Popen(
        [*PY, "redact", "batch", "-q", "--preset", "fast", "--workers", "1", str(src)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        start_new_session=True,  # its own group, as a shell gives a foreground job
    )
    deadline = time.time() + 120
    while time.time() < deadline:  # the first clip is being analysed: its detection worker is up
        if any(b"multiprocess.spawn" in cmdline(pid) for pid in descendants(proc.pid)):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    everything = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "rerun the same command to resume" in err, err
    deadline = time.time() + 10
    while [pid for pid in everything if alive(pid)] and time.time() < deadline:
        time.sleep(0.1)
    assert everything and not [pid for pid in everything if alive(pid)]  # clip process, workers, tracker
    assert not [p for p in src.iterdir() if p.name.startswith(".")]  # the clip removed its temporaries
    assert not list(src.glob("*.redacted.mp4"))
    again = run_batch(src, BatchSettings(preset="fast", workers=1))  # with the progress bar, this time
    assert (again.done, again.failed) == (2, 0)


def test_progress_bar_totals_add_up_whatever_order_probes_and_clips_finish_in():
    from redact.batch.runner import Progress

    bar = Progress(clips=3, quiet=False)
    bar.expect("a", 10)
    bar.frames(10)
    bar.clip("a", 10)
    bar.frames(5)
    bar.clip("b", 5)  # finished before its probe came back
    bar.expect("b", 8)  # the probe says 8 (it stopped early): it counts as 8
    bar.expect("c", 4)
    bar.frames(2)
    bar.clip("c", 2)  # failed after 2 frames: the rest are skipped over
    task = bar.bar.tasks[0]
    bar.stop()
    assert task.total == task.completed == 22 and task.fields["clips"] == "3/3"
    silent = Progress(clips=1, quiet=True)
    silent.count_frames([])  # quiet: no probing, no bar
    silent.expect("a", 3)
    silent.clip("a", 3)
    assert silent.bar is None and not silent.counted


def test_parallel_clips_on_a_local_dask_cluster_match_one_by_one(tmp_path):
    one_by_one, parallel = tmp_path / "serial", tmp_path / "parallel"
    for folder in (one_by_one, parallel):
        clip_folder(folder, clips=2)
    assert run_batch(one_by_one, FAST).done == 2
    result = run_batch(parallel, BatchSettings(preset="fast", quiet=True, parallel=2))
    assert (result.done, result.failed) == (2, 0)
    assert derivative_hashes(parallel) == derivative_hashes(one_by_one)
    with sqlite3.connect(parallel / "redact-batch.sqlite") as db:
        assert db.execute("SELECT mode FROM runs").fetchone()[0] == "local x2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(procs: list[subprocess.Popen]) -> None:
    """Ctrl-C each Dask process, last started first; kill what does not stop."""
    for proc in reversed(procs):
        proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def dask_cluster():
    """A real scheduler and two worker processes on 127.0.0.1 (what a station PC would run)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = os.environ.copy()
    procs = [
        subprocess.Popen(
            [*PY, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    procs.append(
        subprocess.Popen(
            [*PY, "distributed.cli.dask_worker", address, *WORKER_ARGS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    )
    from distributed import Client

    deadline = time.time() + 60
    while True:
        try:
            with Client(address, timeout="5s") as client:
                client.wait_for_workers(2, timeout=30)
            break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    yield address, procs[1]
    stop(procs)


def test_dask_cluster_batch_matches_a_local_run_even_when_a_worker_dies(tmp_path, dask_cluster):
    address, worker_group = dask_cluster
    local, remote = tmp_path / "local", tmp_path / "remote"
    for folder in (local, remote):
        clip_folder(folder, clips=3, frames=30)
    assert run_batch(local, FAST).done == 3

    proc = subprocess.Popen(
        [*PY, "redact", "batch", "-q", "--preset", "fast", "--workers", "1", "--cluster", address, str(remote)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    # kill -9 a Dask worker while it is redacting (it has detection workers of its own)
    killed = None
    deadline = time.time() + 120
    while killed is None and time.time() < deadline and proc.poll() is None:
        for pid in children(worker_group.pid) + [c for n in children(worker_group.pid) for c in children(n)]:
            try:
                busy = any(b"multiprocess.spawn" in Path(f"/proc/{c}/cmdline").read_bytes() for c in children(pid))
            except OSError:
                continue
            if busy:
                os.kill(pid, signal.SIGKILL)
                killed = pid
                break
        time.sleep(0.05)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert killed is not None, "no worker was caught mid-clip"
    assert derivative_hashes(remote) == derivative_hashes(local)
    report = json.loads((remote / "batch-report.json").read_text())
    assert {c["status"] for c in report["clips"]} == {"done"}
    assert not [p for p in remote.iterdir() if p.name.startswith(".")]  # the lost attempt left nothing


def test_a_cluster_that_anyone_could_use_is_refused_before_anything_is_touched(tmp_path):
    from redact.errors import BadInputError

    src = tmp_path / "request"
    clip_folder(src, clips=1)
    before = sorted(p.name for p in src.iterdir())
    for address, certs, expected in [
        ("tcp://10.0.0.5:8786", None, "plain-TCP"),
        ("10.0.0.5:8786", None, "plain-TCP"),
        ("tls://10.0.0.5:8786", None, "needs its member certificate"),
        ("tls://10.0.0.5:8786", tmp_path, "no cluster-ca.pem, member.pem, member-key.pem"),
    ]:
        settings = BatchSettings(preset="fast", quiet=True, cluster=address, cluster_certs=certs)
        with pytest.raises(BadInputError, match=expected):
            run_batch(src, settings)
    assert sorted(p.name for p in src.iterdir()) == before  # nothing sealed, no state


def test_a_tls_cluster_admits_only_holders_of_a_member_certificate(tmp_path):
    """What docs/batch.md tells a force to run across station PCs, on 127.0.0.1."""
    certs = tmp_path / "certs"
    made = redact_cli("cluster-certs", str(certs))
    assert made.returncode == 0, made.stderr
    assert oct((certs / "member-key.pem").stat().st_mode & 0o777) == "0o600"
    again = redact_cli("cluster-certs", str(certs))
    assert again.returncode == 2 and "already holds" in again.stderr  # never overwrites a CA
    tls = ["--tls-ca-file", str(certs / "cluster-ca.pem"), "--tls-cert", str(certs / "member.pem")]
    tls += ["--tls-key", str(certs / "member-key.pem")]
    port = free_port()
    address = f"tls://127.0.0.1:{port}"
    scheduler = [*PY, "distributed.cli.dask_scheduler", "--protocol", "tls", "--host", "127.0.0.1"]
    scheduler += ["--port", str(port), "--no-dashboard", *tls]
    worker = [*PY, "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1"]
    worker += ["--host", "127.0.0.1", "--no-dashboard", *tls]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for cmd in (scheduler, worker)]
    try:
        src = tmp_path / "request"
        clip_folder(src, clips=2)
        proc = redact_cli(
            "batch",
            "-q",
            "--preset",
            "fast",
            "--workers",
            "1",
            "--cluster",
            address,
            "--cluster-certs",
            str(certs),
            str(src),
        )
        assert proc.returncode == 0, proc.stderr
        assert set(derivative_hashes(src)) == {"c0.mp4.redacted.mp4", "c1.mp4.redacted.mp4"}
        from distributed import Client

        from redact.batch.cluster_tls import cluster_security, make_certificates

        stranger = make_certificates(tmp_path / "other-ca")  # valid certificates, from another CA
        with pytest.raises((OSError, TimeoutError)):
            Client(address, timeout="5s", security=cluster_security(address, stranger["member.pem"].parent))
    finally:
        stop(procs)


def test_sockets_to_other_machines_stay_blocked_in_tests():
    with pytest.raises(OSError, match="network access blocked"):
        socket.create_connection(("198.51.100.7", 80), timeout=1)
