"""``redact batch``: every clip of a folder or manifest, resumable, one failure never stops it.

Locally, clips run one after another, each using every core through the pipeline's
detection workers, each in a watched process of its own (``supervise.py``: a clip that
crashes or stalls fails alone); ``parallel`` > 1 or a ``cluster`` address hands the clips to Dask
distributed (a ``LocalCluster`` of processes, or an existing scheduler whose workers see the
same storage). Dask reschedules a clip whose worker died; the retry removes the hidden
temporary files of the lost attempt, and outputs only ever appear by atomic rename.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import __version__
from ..errors import BadInputError, StorageError
from ..i18n import N_, _
from ..media.decode import probe
from ..options import usable_cores
from .clip_task import job_options, outputs_of
from .cluster_tls import cluster_security
from .report import write_reports
from .source import Job, jobs_from
from .state import BatchState
from .supervise import STALL_S, run_job_supervised, verified_results_supervised

STATE_NAME = "redact-batch.sqlite"


@dataclass
class BatchSettings:
    preset: str | None = None  # default preset for clips whose row names none
    workers: int | None = None  # detection workers per clip (None: every core / cores per parallel clip)
    parallel: int = 1  # clips at a time on this machine
    cluster: str | None = None  # Dask scheduler address, e.g. tls://10.0.0.5:8786
    cluster_certs: Path | None = None  # folder made by `redact cluster-certs`, for a tls:// cluster
    insecure_cluster: bool = False  # allow a plain tcp:// scheduler on another PC
    operator: str | None = None
    mute: bool = False
    quiet: bool = False
    state: Path | None = None  # default: redact-batch.sqlite in the case folder, else the batch folder
    case_dir: Path | None = None  # seals, outputs, custody, state and reports here; the clips are only read
    stall_timeout: float = STALL_S  # a clip with no progress this long is stopped and failed (0: never)
    bleep_patterns: tuple[str, ...] = ()  # spoken patterns bleeped in clips whose row names none
    language: str = "auto"  # of the speech, for clips whose row names none


@dataclass
class BatchSummary:
    total: int
    skipped: int  # already done and still verifying
    done: int
    failed: int
    state: Path
    reports: list[Path]
    exit_code: int
    failures: list[tuple[str, str]] = field(default_factory=list)
    reused: int = 0  # of those done now, rendered from their earlier analysis (no detection ran)


def batch_folder(source: Path) -> Path:
    return source if source.is_dir() else source.parent


def in_case_folder(job: Job, base: Path, case_dir: Path) -> Job:
    """``job`` with its records in ``case_dir``, in the sub-folder its clip has under ``base``
    (so ``a/clip.mp4`` and ``b/clip.mp4`` keep separate seals)."""
    try:
        folder = case_dir / job.path.parent.relative_to(base)
    except ValueError:  # a manifest row pointing outside the manifest's folder
        folder = case_dir
    return replace(job, case_dir=folder)


def frames_of(path: Path) -> int:
    try:
        return probe(path).frames or 0
    except Exception:
        return 0


class Progress:
    """Overall bar: frames (with ETA) and clips done; silent when quiet.

    Each clip's frame count comes from probing it on a background thread (``count_frames``):
    hundreds of clips on a share would delay the start, and a file whose probe hangs (dead
    storage) must not hold up the batch, whose clips are each watched for stalls. Until a
    clip is probed it adds nothing to the total; a finished clip counts the larger of its probe
    and what it wrote.
    """

    def __init__(self, clips: int, quiet: bool):
        self.bar = None
        self.lock = threading.Lock()
        self.counted: dict[str, int] = {}  # frames each clip adds to the total: probed, or what it wrote
        self.finished: set[str] = set()
        if quiet:
            return
        import sys

        from rich.console import Console
        from rich.markup import escape
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("[bold]" + escape(_("batch"))),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(escape(_("frames, {clips} clips")).replace("{clips}", "{task.fields[clips]}")),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
        )
        self.clips_total = clips
        self.task = self.bar.add_task("batch", total=None, clips=f"0/{clips}")
        self.bar.start()

    def count_frames(self, jobs: list[Job]) -> None:
        """Probe every clip's frame count on a daemon thread (nothing to do when quiet)."""
        if self.bar is None:
            return

        def probe_all() -> None:
            for job in jobs:
                self.expect(job.key, frames_of(job.path))

        threading.Thread(target=probe_all, daemon=True, name="redact-batch-probe").start()

    def _count(self, key: str, frames: int) -> None:
        """Count ``key`` for at least ``frames``; what a finished clip grows by is done work."""
        grown = max(0, frames - self.counted.get(key, 0))
        self.counted[key] = self.counted.get(key, 0) + grown
        if key in self.finished:
            self.bar.advance(self.task, grown)

    def _show(self) -> None:
        total = sum(self.counted.values())
        self.bar.update(self.task, total=total or None, clips=f"{len(self.finished)}/{self.clips_total}")

    def expect(self, key: str, frames: int) -> None:
        if self.bar is not None:
            with self.lock:
                self._count(key, frames)
                self._show()

    def frames(self, n: int) -> None:
        if self.bar:
            self.bar.advance(self.task, n)

    def clip(self, key: str, seen: int) -> None:
        """A clip ended (done or failed) after ``seen`` frames were counted for it: the rest of its
        probed frames are skipped over."""
        if self.bar is None:
            return
        with self.lock:
            self.bar.advance(self.task, max(0, self.counted.get(key, 0) - seen))
            self._count(key, seen)
            self.finished.add(key)
            self._show()

    def stop(self) -> None:
        if self.bar:
            self.bar.stop()


def per_clip_workers(settings: BatchSettings) -> int | None:
    """Detection workers per clip: as asked; else every core of whichever PC runs it (None),
    shared among the clips running side by side on this one."""
    if settings.workers is not None or settings.cluster or settings.parallel <= 1:
        return settings.workers
    return max(1, usable_cores() // settings.parallel)


def run_batch(source: Path, settings: BatchSettings | None = None) -> BatchSummary:
    """Redact every clip of ``source``; raises ``BadInputError`` (e.g. a bad manifest) before starting."""
    settings = settings or BatchSettings()
    source = source.absolute()
    jobs = jobs_from(source)
    case_dir = settings.case_dir.absolute() if settings.case_dir is not None else None
    if case_dir is not None:
        jobs = [in_case_folder(job, batch_folder(source), case_dir) for job in jobs]
    if settings.bleep_patterns:  # the batch's own, for rows that name none: part of the job from here
        jobs = [job if job.bleep_patterns else replace(job, bleep_patterns=settings.bleep_patterns) for job in jobs]
    if any(job.bleep_words or job.bleep_patterns for job in jobs):
        from ..speech.model import require_speech

        require_speech()  # every clip would fail on it: say so once, before anything starts
    defaults = {
        "version": __version__,
        "preset": settings.preset,
        "operator": settings.operator,
        "mute": settings.mute,
        "workers": per_clip_workers(settings),
        "language": settings.language,
    }
    options = {job.key: job_options(job, defaults) for job in jobs}  # validates every job first
    security = dask_security(settings) if settings.cluster or settings.parallel > 1 else None
    records = case_dir or batch_folder(source)
    if case_dir is not None:
        case_dir.mkdir(parents=True, exist_ok=True)
    state_path = settings.state or records / STATE_NAME
    state = BatchState(state_path)
    mode = f"dask {settings.cluster}" if settings.cluster else f"local x{settings.parallel}"
    run_id = state.begin_run(str(source), mode)
    try:
        skipped, todo = 0, []
        parameters_of = {job.key: options[job.key].as_log() for job in jobs}
        for position, job in enumerate(jobs):
            state.register(job.key, position, str(job.path), job.as_dict(), parameters_of[job.key])
        # only clips with outputs from an earlier run need checking (none on a first run)
        earlier_runs = [
            (job.as_dict(), parameters_of[job.key]) for job in jobs if all(p.exists() for p in outputs_of(job))
        ]
        verified = verified_results_supervised(earlier_runs, settings.stall_timeout)
        for job in jobs:
            earlier = verified.get(job.key)
            if earlier is not None:
                row = state.get(job.key)
                if row is None or row.status != "done":
                    state.record(job.key, {**earlier, "worker": "adopted: derivative verified"})
                skipped += 1
            else:
                state.mark_pending(job.key)
                todo.append(job)
        progress = Progress(len(todo), settings.quiet)
        progress.count_frames(todo)
        try:
            if settings.cluster or settings.parallel > 1:
                _run_dask(todo, settings, security, defaults, state, progress)
            else:
                _run_here(todo, defaults, settings, state, progress)
        finally:
            progress.stop()
    finally:  # only the run's end time: an error on the way out (a full disk) is the one to report
        with contextlib.suppress(StorageError):
            state.end_run(run_id)
    rows = state.rows([job.key for job in jobs])
    state.close()
    reports = write_reports(records, source, state_path, rows)
    failed = [r for r in rows if r.status != "done"]
    redone = {job.key for job in todo}
    return BatchSummary(
        total=len(jobs),
        skipped=skipped,
        done=sum(r.status == "done" for r in rows) - skipped,
        failed=len(failed),
        state=state_path,
        reports=reports,
        exit_code=max((r.exit_code or 1 for r in failed), default=0),
        failures=[(r.path, r.error or r.status) for r in failed],
        reused=sum(r.key in redone and r.status == "done" and bool(r.analysis_reused) for r in rows),
    )


def _run_here(todo: list[Job], defaults: dict, settings: BatchSettings, state: BatchState, progress: Progress) -> None:
    for job in todo:
        state.mark_running(job.key, "local")
        seen = [0]

        def advance(n: int, seen=seen) -> None:
            seen[0] += n
            progress.frames(n)

        outcome = run_job_supervised(job.as_dict(), defaults, advance, settings.stall_timeout)
        state.record(job.key, outcome)
        progress.clip(job.key, seen[0])


def dask_security(settings: BatchSettings):
    """How to reach the batch's Dask cluster safely; raises ``BadInputError`` before anything runs."""
    try:
        from distributed import Security
    except ImportError as exc:
        raise BadInputError(
            N_("parallel and cluster batches need Dask distributed"), hint=N_("pip install 'redact[cluster]'")
        ) from exc
    if settings.cluster:
        return cluster_security(settings.cluster, settings.cluster_certs, settings.insecure_cluster)
    # Our own cluster listens on loopback only, and over TLS with throw-away certificates, so
    # another user of this PC cannot submit work to it either.
    return Security.temporary()


def _run_dask(
    todo: list[Job], settings: BatchSettings, security, defaults: dict, state: BatchState, progress: Progress
) -> None:
    from distributed import Client, LocalCluster, as_completed

    if settings.cluster:
        client = Client(settings.cluster, timeout="30s", security=security)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=settings.parallel,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            protocol="tls://",
            security=security,
            dashboard_address=None,
        )
        client = Client(cluster, security=security)
    try:
        futures = {}
        for job in todo:
            state.mark_running(job.key, "dask")
            # pure=False: a rerun must really run. A worker lost mid-clip makes the scheduler
            # run the clip again elsewhere (distributed.scheduler.allowed-failures, default 3).
            key = f"redact-{job.path.name}-{time.time_ns()}"
            future = client.submit(
                run_job_supervised, job.as_dict(), defaults, None, settings.stall_timeout, key=key, pure=False
            )
            futures[future] = job
        for future in as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
            except Exception as error:
                outcome = {
                    "status": "failed",
                    "error": f"{job.path}: lost on the cluster ({type(error).__name__}: {error})",
                    "exit_code": 1,
                }
            state.record(job.key, outcome)
            progress.clip(job.key, 0)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
