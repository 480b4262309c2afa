"""``redact_file``: seal → decode → detect → mask → encode → log, for one clip.

Nothing is written beside the original except the seal (if new), and the derivative and
its log, which appear by atomic rename only after everything succeeded.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import content_credentials, custody, keys
from .atomic import temp_path_for
from .background_writer import BackgroundWriter
from .detect.workers import DetectionPool, InlineDetection, Result
from .encode import DerivativeWriter
from .errors import BadInputError, EncodeError, OutputExistsError, SealMismatchError, StorageError, storage_error
from .layout import Layout
from .mask import i420_planes, mask_planes
from .media import DecodeReport, VideoInfo, check_path, frame_to_i420, iter_media, open_input, probe
from .operator_regions import boxes_in_frame, check_fits
from .options import RedactOptions
from .progress import FrameProgress
from .redaction_log import RegionLog, build_log, write_log
from .seal import current_operator, hash_file, read_seal_document, seal_original, utc_iso
from .timestamps import ReorderWindow, output_pts
from .track import Region, Tracker


@dataclass(frozen=True)
class RedactResult:
    original: Path
    derivative: Path
    log: Path
    seal: Path
    frames: int
    regions: int
    stopped_early: bool
    seconds: float
    rescaled_frames: int = 0  # frames whose size differed from the stream's first, scaled to it
    damaged_packets: int = 0  # video packets the decoder refused, skipped (the log says where)
    audio: str = ""  # what became of the audio (the log's derivative.audio)
    audio_as_is: bool = True  # every audio stream copied packet for packet (or muted, or none)
    dropped_streams: tuple[dict, ...] = ()  # streams left out of the derivative (the log's derivative.dropped_streams)


def derivative_path(original: Path) -> Path:
    """The derivative beside ``original`` (``Layout`` knows case and output folders)."""
    return Layout(original).derivative


def log_path(original: Path) -> Path:
    return Layout(original).log


class Timer:
    """Accumulates wall time per pipeline stage."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.totals[stage] = self.totals.get(stage, 0.0) + time.perf_counter() - start


class FrameRedactor:
    """Per-frame work in display order: timestamps → detect → track → mask → encode → log.

    Frames pass three short queues: the reorder window (timestamps), one frame held until the
    next one's timestamp is known (exact durations, VFR included; the last frame ends where
    the container's video ends), and the lookahead, where frames wait until the tracker has
    seen the detections of the next ``lookahead`` frames, so their regions can use the tracks'
    future (interpolation, back-fill). Detection runs on ``detection`` (worker processes or
    inline); its results may arrive out of order but reach the tracker in frame order.
    """

    def __init__(self, writer, detection, info: VideoInfo, options: RedactOptions, timer: Timer, regions, report):
        self.writer, self.detection, self.info = writer, detection, info
        self.options, self.timer, self.regions, self.report = options, timer, regions, report
        self.width, self.height = info.padded_size
        self.step = max(1, round(1 / ((info.rate or 30) * info.time_base)))
        self.window: ReorderWindow = ReorderWindow()
        self.tracker = Tracker(options.track)
        self.pending = None  # (frame, pts) waiting for the next frame's pts
        self.lookahead: deque = deque()  # (index, buf, pts, duration) staged, not yet masked
        self.awaiting: deque[int] = deque()  # frames sent to detection, results not yet tracked
        self.arrived: dict[int, Result] = {}
        self.dropped: dict[str, dict[str, int]] = {}
        self.keep = set(options.keep_tracks)
        self.kept: dict[int, int] = {}  # track id -> frames left unmasked on request
        self.last_in: int | None = None
        self.retimed = 0
        self.rescaled = 0  # frames of another size than the stream's first, scaled to it
        self.detected = 0  # frames that went through the detectors
        self.staged = 0  # frames converted (and sent to detection when due)
        self.written = 0

    def push(self, frame) -> int:
        """Queue a decoded frame; returns how many frames were written."""
        before = self.written
        stamp = frame.pts if frame.pts is not None else frame.dts
        if stamp is None:
            stamp = self.last_in + self.step if self.last_in is not None else 0
        self.last_in = stamp
        for f, t in self.window.push(frame, stamp):
            self._timed(f, t)
        return self.written - before

    def flush(self) -> int:
        before = self.written
        for f, t in self.window.flush():
            self._timed(f, t)
        if self.pending is not None:
            frame, pts = self.pending
            end = self.report.video_end
            self._stage(frame, pts, end - pts if end is not None and end > pts else (frame.duration or self.step))
            self.pending = None
        while self.awaiting:
            self._advance(block=True)
        while self.lookahead:
            self._emit(*self.lookahead.popleft())
        self.regions.add_tracks(self.tracker.tracks)
        return self.written - before

    def _timed(self, frame, stamp: int) -> None:
        last = self.pending[1] if self.pending is not None else None
        pts = output_pts(stamp, last, self.step)
        self.retimed += pts != stamp
        if self.pending is not None:
            self._stage(*self.pending, pts - last)
        self.pending = (frame, pts)

    def _stage(self, frame, pts: int, duration: int) -> None:
        index = self.staged
        with self.timer("convert"):
            if (frame.width, frame.height) != (self.info.width, self.info.height):
                # the stream changed size mid-way (spliced recordings): one size out, as ffmpeg does
                frame = frame.reformat(width=self.info.width, height=self.info.height)
                self.rescaled += 1
            buf = frame_to_i420(frame)
        if index % self.options.detect.every == 0:
            with self.timer("detect_wait"):
                self.detection.submit(index, buf)
            self.awaiting.append(index)
        self.lookahead.append((index, buf, pts, duration))
        self.staged += 1
        self._advance(block=False)

    def _advance(self, block: bool) -> None:
        """Track the detections that have arrived (in frame order), then mask what is ready."""
        with self.timer("detect_wait"):
            for result in self.detection.collect(block):
                self.arrived[result.index] = result
        while self.awaiting and self.awaiting[0] in self.arrived:
            result = self.arrived.pop(self.awaiting.popleft())
            found = result.found
            self.timer.totals["detect"] = self.timer.totals.get("detect", 0.0) + result.seconds
            for (name, reason), n in result.dropped.items():
                counts = self.dropped.setdefault(name, {})
                counts[reason] = counts.get(reason, 0) + n
            with self.timer("track"):
                self.tracker.update(result.index, found.boxes, found.scores, found.kinds)
            self.detected += 1
        # frames before the oldest unanswered detection have all their detections tracked
        tracked = self.awaiting[0] - 1 if self.awaiting else self.staged - 1
        while self.lookahead and self.lookahead[0][0] + self.options.lookahead <= tracked:
            self._emit(*self.lookahead.popleft())

    def _emit(self, index: int, buf: np.ndarray, pts: int, duration: int) -> None:
        with self.timer("track"):
            regions = self.tracker.regions(index)
            self.regions.add_tracks(self.tracker.forget_before(index))
            self.regions.add_parts(self.tracker.settle(index))
        if self.keep:
            for r in regions:
                if r.track in self.keep:
                    self.kept[r.track] = self.kept.get(r.track, 0) + 1
            regions = [r for r in regions if r.track not in self.keep]
        with self.timer("mask"):
            tight = np.array([r.box for r in regions], np.float32).reshape(-1, 4)
            boxes = self.options.detect.regions(tight, [r.kind for r in regions], self.width, self.height)
            if self.options.add_regions:  # masked exactly as the operator drew them: no margin
                added = self._operator_regions(pts, duration)
                regions = [*regions, *added]
                boxes = np.concatenate([boxes, np.array([r.box for r in added], np.float32).reshape(-1, 4)])
            rects = mask_planes(i420_planes(buf, self.width, self.height), boxes, self.options.mask)
        self.regions.add(index, float(pts * self.info.time_base), regions, rects)
        with self.timer("encode_wait"):  # the encoding itself runs on the writer's thread
            self.writer.write_i420(buf, pts, duration)
        self.written += 1

    def _operator_regions(self, pts: int, duration: int) -> list[Region]:
        t = float(pts * self.info.time_base) - self.info.start_s  # as a player counts
        shown = boxes_in_frame(
            self.options.add_regions,
            t,
            float(duration * self.info.time_base),
            self.info.rotation,
            self.info.width,
            self.info.height,
        )
        return [Region(track, "operator", box, 1.0, "added") for track, box in shown]


def audio_note(options: RedactOptions, writer: DerivativeWriter) -> str:
    """What became of the audio, for the log: muted, or each stream copied or re-encoded and why."""
    if options.mute:
        return "muted"
    if not writer.audio_plans:
        return "none"
    if writer.audio_as_is:
        return f"{len(writer.audio_plans)} stream(s) copied packet for packet"
    return "; ".join(writer.audio_notes())


def check_kept_tracks(options: RedactOptions, earlier_log: Path, original: Path) -> None:
    """Refuse track ids to keep visible unless the earlier log where the output goes (the log
    the ids were read from, or its court report) holds every one of them and numbered its
    tracks with these detection and tracking settings: otherwise an id means nothing, or may
    be someone else's face. Runs before anything is sealed or written."""
    if not options.keep_tracks:
        return
    wanted = " ".join(map(str, options.keep_tracks))
    if not earlier_log.exists():
        raise BadInputError(
            f"track ids to keep ({wanted}) come from an earlier log, and there is no {earlier_log.name}"
            " where this derivative goes",
            original,
            hint="redact the clip once without keep-tracks, then take the ids from its log or court report",
        )
    from .log_reader import LogReader

    ids: set[int] = set()

    def track_id(where: tuple, item) -> None:
        if where == ("tracks",):
            ids.add(item["id"])

    try:
        earlier = LogReader(earlier_log, digest=False, each=track_id).head.get("parameters")
        if not isinstance(earlier, dict):
            raise ValueError("no parameters")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise BadInputError(
            f"track ids to keep ({wanted}) cannot be checked: {earlier_log.name} is not a readable log ({exc})",
            original,
        ) from exc
    now = json.loads(json.dumps(options.as_log()))  # as the log holds them (tuples as lists)
    changed = [section for section in ("detect", "track") if earlier.get(section) != now[section]]
    if changed:
        raise BadInputError(
            f"track ids to keep ({wanted}) come from {earlier_log.name},"
            f" made with other {' and '.join(changed)} settings: there they may be other people",
            original,
            hint="use that run's preset and flags, or take the ids from a log made with these settings",
        )
    missing = [t for t in options.keep_tracks if t not in ids]
    if missing:
        raise BadInputError(
            f"track ids to keep ({' '.join(map(str, missing))}) are not in {earlier_log.name} ({listed_ids(ids)})",
            original,
            hint="take the ids from that log or its court report",
        )


def listed_ids(ids: set[int]) -> str:
    """The track ids a log holds, short enough for one line."""
    if not ids:
        return "it has no tracks"
    ordered = sorted(ids)
    if len(ordered) <= 12:
        return "its tracks: " + " ".join(map(str, ordered))
    return f"{len(ordered)} tracks, ids {ordered[0]} to {ordered[-1]}"


def check_request(options: RedactOptions, info: VideoInfo, original: Path) -> None:
    """Refuse a range to silence or a region to mask that cannot apply to this clip (after its
    end, outside its picture): it would remove nothing, and what it was meant to remove would
    be disclosed."""
    problem = check_fits(options.add_regions, info.rotation, info.width, info.height, info.duration_s)
    if problem:
        raise BadInputError(problem, original, hint="times count from the clip's start; boxes are pixels as shown")
    if info.duration_s is None or options.mute:
        return
    for start, end in options.mute_ranges:
        if start >= info.duration_s:
            raise BadInputError(
                f"range to silence {start:g}-{end:g} s starts after the clip ends ({info.duration_s:.2f} s)",
                original,
                hint="times count from the start of the clip, as a player shows them",
            )


def start_detection(options: RedactOptions, info: VideoInfo, workers: int):
    """Detection for one clip: ``workers`` processes, or inline when it is 0."""
    if workers == 0:
        return InlineDetection(options.detect, info.rotation, deinterlace=bool(info.interlaced))
    width, height = info.padded_size
    return DetectionPool(
        options.detect, info.rotation, width * height * 3 // 2, workers, deinterlace=bool(info.interlaced)
    )


def add_content_credentials(
    video: Path, original: Path, key, original_sha: str, options: RedactOptions, info: VideoInfo
) -> dict:
    """Embed a signed C2PA manifest into ``video`` in place (via a sibling temp file)."""
    signed = temp_path_for(video)
    try:
        provenance = {"original": original.name, "original_sha256": original_sha, "parameters": options.as_log()}
        result = content_credentials.embed(video, signed, original, key, provenance, info.container_format)
        if result["embedded"]:
            os.replace(signed, video)
        return result
    finally:
        with contextlib.suppress(FileNotFoundError):
            signed.unlink()


def output_refused(error: BaseException, original: Path, out_dir: Path) -> StorageError | None:
    """A ``StorageError`` when ``error`` says the outputs' folder refused a write (full, quota,
    read-only, permission), else None. A permission error counts only for a path in that folder
    other than the original: reading the original can fail the same way, and is not storage's."""
    if isinstance(error, StorageError):
        return error
    cause = error
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__
    name = getattr(cause, "filename", None)
    where = Path(name).absolute() if isinstance(name, str | os.PathLike) else None
    written = where is not None and where != original and out_dir in (where, *where.parents)
    return storage_error(error, original, f"the outputs in {out_dir}", written)


def seal_files(layout: Layout, seal) -> list[dict]:
    """The original and its seal as a custody entry in ``layout.records`` names them."""
    return [
        {"name": os.path.relpath(layout.original, layout.records), "role": "original", "sha256": seal.sha256},
        {"name": layout.seal.name, "role": "seal", "sha256": hash_file(layout.seal)},
    ]


def redact_file(
    path: str | os.PathLike,
    options: RedactOptions | None = None,
    output_dir: str | os.PathLike | None = None,
    progress: Callable[[int], None] | None = None,
    case_dir: str | os.PathLike | None = None,
) -> RedactResult:
    """Redact one video file beside itself, or into ``case_dir`` (seal, custody log and
    outputs, the original's folder only read) and ``output_dir`` (derivative and log).

    Raises ``RedactError`` subclasses on user errors. ``progress`` is called with the number
    of frames written since its last call (for batch progress bars).
    """
    options = options or RedactOptions()
    started = time.perf_counter()
    original = Path(path).absolute()
    check_path(original)
    layout = Layout(original, case_dir, output_dir)
    out_dir = layout.outputs
    out, log_out = layout.derivative, layout.log
    read_seal_document(original, layout)  # a case folder's seal of another clip of this name: refused first
    if not options.force and (out.exists() or log_out.exists()):
        raise OutputExistsError(f"{out.name} already exists", original, hint="use --force to replace it")
    check_kept_tracks(options, layout.earlier_log, original)

    timer = Timer()
    key = keys.load()
    operator = options.operator or current_operator()
    folder = layout.records
    if layout.seal.exists():
        with timer("seal"):
            try:
                seal, _ = seal_original(original, operator, key, layout)  # verifies; refuses a changed file
            except SealMismatchError as error:
                custody.append(
                    folder,
                    "verification failed",
                    [{"name": os.path.relpath(original, folder)}],
                    operator,
                    key,
                    utc_iso(),
                    detail=error.message,
                )
                raise
        custody.append(folder, "verified", seal_files(layout, seal), operator, key, utc_iso())
        with timer("probe"):
            info = probe(original)
        check_request(options, info, original)
    else:
        with timer("probe"):
            info = probe(original)  # not a readable video: leave it unsealed and untouched
        check_request(options, info, original)
        with timer("seal"):
            seal, _ = seal_original(original, operator, key, layout)
        custody.append(folder, "sealed", seal_files(layout, seal), operator, key, utc_iso())
    # the redaction starts once the original is sealed or verified: the log's times, the
    # seal's and the custody entries' then run in the order things happened
    started_at = utc_iso()
    report = DecodeReport()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)  # only now: a refused run leaves no empty folder
        regions = RegionLog(beside=out)
    except OSError as error:  # a full or unwritable output folder: not even the log's spool starts
        refused = output_refused(error, original, out_dir)
        if refused is None:
            raise
        raise refused from error
    width, height = info.padded_size

    tmp_video, tmp_log = temp_path_for(out), temp_path_for(log_out)
    writer = detection = None
    workers = options.worker_count  # reads the cores and free memory: once per clip
    threads = workers if options.workers is not None else 0  # decoder; 0: FFmpeg decides
    try:
        with timer("start_workers"):
            detection = start_detection(options, info, workers)
        container = open_input(original)
        with contextlib.closing(container):
            audio = [] if options.mute else list(container.streams.audio)
            derivative_writer = DerivativeWriter(tmp_video, info, audio, options.encode, options.mute_ranges)
            writer = BackgroundWriter(derivative_writer)
            frames = FrameRedactor(writer, detection, info, options, timer, regions, report)
            with FrameProgress(original.name, info.frames, options.quiet) as bar:
                media = iter_media(container, copy_audio=bool(audio), report=report, threads=threads)
                while True:
                    with timer("decode"):
                        item = next(media, None)
                    if item is None:
                        break
                    kind, payload = item
                    if kind == "audio":
                        with timer("encode_wait"):
                            writer.write_audio(payload)
                    else:
                        done = frames.push(payload)
                        bar.advance(done)
                        if progress is not None and done:
                            progress(done)
                done = frames.flush()
                bar.advance(done)
                if progress is not None and done:
                    progress(done)
            with timer("encode_wait"):
                writer.finish()
            timer.totals["encode"] = writer.busy_seconds
        detection.close()
        with timer("c2pa"):
            credentials = add_content_credentials(tmp_video, original, key, seal.sha256, options, info)
        if info.frames and report.frames + report.damaged_packets < info.frames and not report.stopped_early:
            report.stopped_early = True
            report.reason = (
                f"{report.frames} of the {info.frames} frames the container lists could be read (truncated or damaged?)"
            )
        with timer("hash"):
            derivative_sha = hash_file(tmp_video)
        timer.totals["total"] = time.perf_counter() - started
        audio = audio_note(options, derivative_writer)
        log = build_log(
            original={
                "file": os.path.relpath(original, out_dir),
                "sha256": seal.sha256,
                "seal": os.path.relpath(layout.seal, out_dir),
            },
            derivative={
                "file": out.name,
                "sha256": derivative_sha,
                "frames": writer.frames,
                "width": width,
                "height": height,
                "padded_from": [info.width, info.height] if (width, height) != (info.width, info.height) else None,
                "audio": audio,
                "timecode": info.timecode,
                "dropped_streams": list(info.dropped_streams),
                "labels_withheld": list(info.labels_withheld),
                "kept_tracks": {str(k): v for k, v in sorted(frames.kept.items())},
                "content_credentials": credentials,
            },
            input_info={
                **{
                    k: v
                    for k, v in asdict(info).items()
                    if k not in ("time_base", "rate", "color", "tags", "dropped_streams", "labels_withheld")
                },
                "time_base": str(info.time_base),
                "rate": str(info.rate) if info.rate else None,
            },
            decode={
                **asdict(report),
                "retimed_frames": frames.retimed,
                "rescaled_frames": frames.rescaled,
                "detected_frames": frames.detected,
            },
            detectors=detection.infos,
            dropped=frames.dropped,
            parameters=options.as_log(),
            regions=regions,
            timings=timer.totals,
            run={"workers": workers, "decoder_threads": threads or "auto"},
            operator=operator,
            started_at=started_at,
            finished_at=utc_iso(),
        )
        log_sha = write_log(tmp_log, log, regions, key)
        for tmp in (tmp_log, tmp_video):
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp_log, log_out)  # the derivative appears last: its presence implies a log
        os.replace(tmp_video, out)
        produced = [
            {"name": os.path.relpath(original, out_dir), "role": "original", "sha256": seal.sha256},
            {"name": out.name, "role": "derivative", "sha256": derivative_sha},
            {"name": log_out.name, "role": "log", "sha256": log_sha},
        ]
        # the derivative's folder holds its own chain; the original's folder learns of it too
        try:
            for chain_folder in dict.fromkeys([out_dir, folder]):
                custody.append(chain_folder, "redacted", produced, operator, key, utc_iso())
        except BaseException:  # outputs their custody log does not record would not verify: none
            for path in (out, log_out):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            raise
    except (EncodeError, OSError) as error:
        if writer is not None:
            writer.abort()
        refused = output_refused(error, original, out_dir)
        if refused is not None:  # disk full, quota, read-only: whichever write met it first
            raise refused from error
        if isinstance(error, EncodeError):  # name the original, not the hidden temporary file
            raise EncodeError(error.message, original, error.hint) from error
        raise
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        regions.close()
        if detection is not None:
            detection.close()
        for tmp in (tmp_video, tmp_log):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return RedactResult(
        original=original,
        derivative=out,
        log=log_out,
        seal=layout.seal,
        frames=writer.frames,
        regions=regions.count,
        stopped_early=report.stopped_early,
        seconds=time.perf_counter() - started,
        rescaled_frames=frames.rescaled,
        damaged_packets=report.damaged_packets,
        audio=audio,
        audio_as_is=derivative_writer.audio_as_is,
        dropped_streams=info.dropped_streams,
    )
