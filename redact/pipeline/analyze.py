"""Analyze: decode → detect (in worker processes) → track, into ``NAME.ext.analysis.json``.

The expensive half of a redaction, done once per clip and detection setting. Frames that are
due for detection are converted to I420 and sent to the detectors; the rest are only counted
and timed. A frame's regions are settled once the tracker has seen the next ``lookahead``
frames' detections (interpolation, back-fill), so only frame numbers wait, never pictures.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..appearance import looks
from ..detect.workers import DetectionPool, InlineDetection, Result
from ..errors import storage_error, writing
from ..evidence import custody
from ..evidence.atomic import sweep_partials, temp_path_for
from ..evidence.seal import utc_iso
from ..i18n import N_, shown
from ..mask import i420_planes
from ..media.decode import DecodeReport, VideoInfo, frame_to_i420, iter_media, open_input
from ..options import RedactOptions
from ..progress import FrameProgress
from ..subjects import SubjectOptions
from ..track import Tracker
from .analysis_file import AnalysisSpool, build_analysis, write_analysis
from .frames import Timeline, Timer
from .prepare import Prepared
from .subject_list import counts_line, link_tracks, spooled_frames, spooled_tracks, strides_of, subjects_document


def start_detection(options: RedactOptions, info: VideoInfo, workers: int):
    """Detection for one clip: ``workers`` processes, or inline when it is 0."""
    if workers == 0:
        return InlineDetection(options.detect, info.rotation, deinterlace=bool(info.interlaced))
    width, height = info.padded_size
    return DetectionPool(
        options.detect, info.rotation, width * height * 3 // 2, workers, deinterlace=bool(info.interlaced)
    )


class FrameAnalyzer:
    """Per-frame work in display order: detect (when due) → track → record the frame's regions.

    Detection runs on ``detection`` (worker processes or inline); its results may arrive out
    of order but reach the tracker in frame order.
    """

    def __init__(self, detection, info: VideoInfo, options: RedactOptions, timer: Timer, spool: AnalysisSpool):
        self.detection, self.info, self.options, self.timer, self.spool = detection, info, options, timer, spool
        self.tracker = Tracker(options.track)
        self.lookahead: deque[tuple[int, int, int]] = deque()  # (index, pts, duration) not yet settled
        self.awaiting: deque[int] = deque()  # frames sent to detection, results not yet tracked
        self.arrived: dict[int, Result] = {}
        self.pictures: dict[int, object] = {}  # frames sent to detection: how their detections look
        self.dropped: dict[str, dict[str, int]] = {}
        self.detected = 0  # frames that went through the detectors
        self.staged = 0
        self.settled = 0

    def add(self, index: int, frame, pts: int, duration: int) -> int:
        """Take one frame of the timeline; returns how many frames were settled."""
        before = self.settled
        if index % self.options.detect.every == 0:
            with self.timer("convert"):
                buf = frame_to_i420(frame)
            with self.timer("detect_wait"):
                self.detection.submit(index, buf)
            self.awaiting.append(index)
            self.pictures[index] = buf
        self.lookahead.append((index, pts, duration))
        self.staged += 1
        self._advance(block=False)
        return self.settled - before

    def finish(self) -> int:
        before = self.settled
        while self.awaiting:
            self._advance(block=True)
        while self.lookahead:
            self._settle(*self.lookahead.popleft())
        self.spool.add_tracks(self.tracker.tracks)
        return self.settled - before

    def _advance(self, block: bool) -> None:
        """Track the detections that have arrived (in frame order), then settle what is ready."""
        with self.timer("detect_wait"):
            for result in self.detection.collect(block):
                self.arrived[result.index] = result
        while self.awaiting and self.awaiting[0] in self.arrived:
            result = self.arrived.pop(self.awaiting.popleft())
            found = result.found
            self.timer.add("detect", result.seconds)
            for (name, reason), n in result.dropped.items():
                counts = self.dropped.setdefault(name, {})
                counts[reason] = counts.get(reason, 0) + n
            picture = self.pictures.pop(result.index, None)
            with self.timer("track"):
                seen = None
                if picture is not None and len(found):
                    seen = looks(i420_planes(picture, *self.info.padded_size), found.boxes)
                self.tracker.update(result.index, found.boxes, found.scores, found.kinds, found.models, seen)
            self.detected += 1
        # frames before the oldest unanswered detection have all their detections tracked
        tracked = self.awaiting[0] - 1 if self.awaiting else self.staged - 1
        while self.lookahead and self.lookahead[0][0] + self.options.lookahead <= tracked:
            self._settle(*self.lookahead.popleft())

    def _settle(self, index: int, pts: int, duration: int) -> None:
        with self.timer("track"):
            regions = self.tracker.regions(index)
            self.spool.add_tracks(self.tracker.forget_before(index))
            self.spool.add_parts(self.tracker.settle(index))
        self.spool.add_frame(index, float(pts * self.info.time_base), pts, duration, regions)
        self.settled += 1


@dataclass(frozen=True)
class AnalysisResult:
    path: Path
    sha256: str
    frames: int
    regions: int
    report: DecodeReport
    seconds: float
    found: str = ""  # "2 people, 0 plates, 5 uncertain regions (masked)"


def analyze_clip(
    prepared: Prepared,
    options: RedactOptions,
    timer: Timer,
    progress: Callable[[int], None] | None = None,
    label: str = N_("analysing"),
) -> AnalysisResult:
    """Decode, detect and track ``prepared``'s original; write its analysis atomically and
    record it in the custody log ("analysed")."""
    started, started_at = time.perf_counter(), utc_iso()
    layout, info = prepared.layout, prepared.info
    out = layout.analysis
    report = DecodeReport()
    with writing(out, N_("the analysis")):
        out.parent.mkdir(parents=True, exist_ok=True)
        sweep_partials(out)  # what a killed analysis left
        spool = AnalysisSpool(beside=out)
    tmp = temp_path_for(out)
    detection = None
    workers = options.worker_count  # reads the cores and free memory: once per clip
    threads = workers if options.workers is not None else 0  # decoder; 0: FFmpeg decides
    try:
        with timer("start_workers"):
            detection = start_detection(options, info, workers)
        timeline = Timeline(info, report)
        analyzer = FrameAnalyzer(detection, info, options, timer, spool)
        try:
            with contextlib.closing(open_input(layout.original)) as container:
                with FrameProgress(f"{layout.original.name} ({shown(label)})", info.frames, options.quiet) as bar:

                    def settled(n: int) -> None:
                        bar.advance(n)
                        if progress is not None and n:
                            progress(n)

                    media = iter_media(container, copy_audio=False, report=report, threads=threads)
                    while True:
                        with timer("decode"):
                            item = next(media, None)
                        if item is None:
                            break
                        for step in timeline.push(item[1]):
                            settled(analyzer.add(*step))
                    for step in timeline.flush():
                        settled(analyzer.add(*step))
                    settled(analyzer.finish())
        except OSError as error:  # the spools beside the analysis met a full disk or a quota
            if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise storage_error(error, out, N_("the analysis")) from error
        detection.close()
        with timer("subjects"):
            # no clock (rate and duration unknown): 0, and no track continues another (subjects.link)
            fps = float(info.rate) if info.rate else (spool.frames / info.duration_s if info.duration_s else 0.0)
            strides = strides_of(options.as_log()["detect"])
            tracks, frames = spooled_tracks(spool.track_lines()), spooled_frames(spool.frame_lines())
            subjects = link_tracks(tracks, frames, fps, strides)
        timer.totals["total"] = time.perf_counter() - started
        document = build_analysis(
            spool=spool,
            parameters={k: v for k, v in options.as_log().items() if k in ("detect", "track")},
            original={
                "file": os.path.relpath(layout.original, out.parent),
                "sha256": prepared.seal.sha256,
                "seal": os.path.relpath(layout.seal, out.parent),
            },
            input=input_facts(info),
            decode={
                **asdict(report),
                "retimed_frames": timeline.retimed,
                "rescaled_frames": timeline.rescaled,
                "detected_frames": analyzer.detected,
            },
            detectors=[asdict(d) for d in detection.infos],
            not_masked=analyzer.dropped,
            run={"workers": workers, "decoder_threads": threads or "auto"},
            timings_s={k: round(v, 4) for k, v in timer.totals.items()},
            operator=prepared.operator,
            started_at=started_at,
            finished_at=utc_iso(),
            subjects=subjects_document(subjects, SubjectOptions(), strides),
        )
        with writing(out, N_("the analysis")):
            sha = write_analysis(tmp, document, spool, prepared.key)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            entry = [{"name": os.path.relpath(out, layout.records), "role": "analysis", "sha256": sha}]
            custody.append(  # renamed into place with its entry, or not at all
                layout.records, "analysed", entry, prepared.operator, prepared.key, utc_iso(), publish=((tmp, out),)
            )
    finally:
        spool.close()
        if detection is not None:
            detection.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    found = counts_line(document["subjects"])
    return AnalysisResult(out, sha, spool.frames, spool.count, report, time.perf_counter() - started, found)


def input_facts(info: VideoInfo) -> dict:
    """The probe as the analysis and the log record it (what the derivative carries is the log's)."""
    skip = ("time_base", "rate", "color", "tags", "dropped_streams", "labels_withheld")
    return {
        **{k: v for k, v in asdict(info).items() if k not in skip},
        "time_base": str(info.time_base),
        "rate": str(info.rate) if info.rate else None,
    }
