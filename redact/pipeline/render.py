"""Render: decode → mask what the analysis and the decisions say → encode. No model is loaded.

A clerk's correction (a track kept visible, a region added, a stretch of pictures blacked
out, a name bleeped) costs one transcode. The frames come through the same ``Timeline`` as in
the analysis, and every frame's timestamp must be the one the analysis recorded: a decoder
that gives other frames (another FFmpeg) would put regions on the wrong pictures, so it stops.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import BadInputError
from ..evidence.redaction_log import RegionLog
from ..i18n import N_, _
from ..mask import i420_planes, single_threaded_opencv
from ..media.background_writer import BackgroundWriter
from ..media.decode import DecodeReport, VideoInfo, frame_to_i420, iter_media, open_input
from ..media.encode import DerivativeWriter
from ..options import DetectOptions, RedactOptions
from ..progress import FrameProgress
from ..review.decisions import Decisions
from ..track import Region, TrackOptions
from .analysis_file import Analysis
from .frame_masks import FrameMasks
from .frames import Timeline, Timer


def analysed_options(options: RedactOptions, analysis: Analysis) -> RedactOptions:
    """``options`` with the detection and tracking settings the analysis was made with: a
    render masks what that analysis found, with its margins, whatever preset it is given."""
    params = analysis.parameters
    try:
        detect = {k: tuple(v) if isinstance(v, list) else v for k, v in params["detect"].items()}
        return replace(options, detect=DetectOptions(**detect), track=TrackOptions(**params["track"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # another release's settings
        raise BadInputError(
            N_("analysis {name} was made with settings this release of redact does not know ({error})"),
            analysis.path,
            hint=N_("analyse the clip again with this release (`redact analyze --force`)"),
            name=analysis.path.name,
            error=exc,
        ) from exc


ANALYSE_AGAIN = N_("analyse the clip again with this installation (`redact analyze --force`)")


class FrameRenderer:
    """Per-frame work in display order: the analysis's regions (less kept tracks) + regions
    added + whole pictures → mask → encode → log."""

    def __init__(
        self,
        writer,
        info: VideoInfo,
        options: RedactOptions,
        decisions: Decisions,
        analysis: Analysis,
        timer: Timer,
        regions: RegionLog,
        original: Path,
    ):
        self.writer, self.info, self.options, self.decisions = writer, info, options, decisions
        self.info_path = original  # named in errors
        self.timer, self.regions = timer, regions
        self.width, self.height = info.padded_size
        self.masks = FrameMasks(info, options, decisions, *analysis.kept_with(bool(decisions.keep)))
        self.kept: dict[int, int] = {}  # track id -> frames left unmasked on request
        self.twins: dict[int, list[int]] = {}  # track kept with a kept one -> [that track, frames left unmasked]
        self.found = analysis.frame_regions()
        self.next_found: tuple[int, list[Region]] | None = next(self.found, None)
        self.stamps = analysis.timestamps()
        self.expected_frames = analysis.head["frames"]
        self.written = 0
        self.pictures_masked = 0

    def add(self, index: int, frame, pts: int, duration: int) -> int:
        expected = next(self.stamps, None)
        if expected is None or tuple(expected) != (pts, duration):
            raise BadInputError(
                N_(
                    "frame {index} decodes at {pts}/{duration} where the analysis has {expected}: this FFmpeg gives"
                    " other frames than the one that analysed the clip"
                ),
                self.info_path,
                hint=ANALYSE_AGAIN,
                index=index,
                pts=pts,
                duration=duration,
                expected=expected,
            )
        with self.timer("mask"):
            plan = self.masks.plan(self._found(index), pts, duration)
            for track in plan.kept:
                self.kept[track] = self.kept.get(track, 0) + 1
            for twin, kept in plan.twins.items():
                self.twins.setdefault(twin, [kept, 0])[1] += 1
            direct = frame.format.name == "yuv420p" and (frame.width, frame.height) == (self.width, self.height)
            if direct:  # masked in the decoded frame itself, which goes to the encoder as it is
                if plan:
                    frame.make_writable()  # a copy only if the decoder still holds the picture
                planes = frame_planes(frame)
            else:
                with self.timer("convert"):
                    buf = frame_to_i420(frame)
                planes = i420_planes(buf, self.width, self.height)
            rects = plan.apply(planes, self.options.mask)
            regions = plan.regions
            self.pictures_masked += bool(plan.pictures)
        self.regions.add(index, float(pts * self.info.time_base), regions, rects)
        with self.timer("encode_wait"):  # the encoding itself runs on the writer's thread
            if direct:
                self.writer.write_frame(frame, pts, duration)
            else:
                self.writer.write_i420(buf, pts, duration)
        self.written += 1
        return 1

    def _found(self, index: int) -> list[Region]:
        while self.next_found is not None and self.next_found[0] < index:
            self.next_found = next(self.found, None)
        if self.next_found is not None and self.next_found[0] == index:
            return list(self.next_found[1])
        return []

    def close(self) -> None:
        """Close the analysis's readers (a suspended reader keeps its file open)."""
        self.found.close()
        self.stamps.close()

    def finish(self) -> None:
        if self.written != self.expected_frames:
            raise BadInputError(
                N_("{written} frames decode where the analysis has {expected}"),
                self.info_path,
                hint=ANALYSE_AGAIN,
                written=self.written,
                expected=self.expected_frames,
            )


def frame_planes(frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Writable views of a yuv420p frame's Y, U and V planes (rows padded to line size cut off)."""
    views = []
    for plane in frame.planes:
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        views.append(rows[:, : plane.width])
    return tuple(views)


@dataclass
class Rendered:
    writer: DerivativeWriter
    background: BackgroundWriter
    renderer: FrameRenderer
    report: DecodeReport
    timeline: Timeline


def render_frames(
    original: Path,
    info: VideoInfo,
    options: RedactOptions,
    decisions: Decisions,
    analysis: Analysis,
    tmp_video: Path,
    timer: Timer,
    regions: RegionLog,
    threads: int,
    progress: Callable[[int], None] | None = None,
    holder: list | None = None,
) -> Rendered:
    """Decode ``original``, mask and encode every frame to ``tmp_video``; audio copied, or
    re-encoded with its ranges muted or bleeped. ``holder`` receives the writer as soon as it
    exists, so the caller can abort it on failure."""
    report = DecodeReport()
    with contextlib.closing(open_input(original)) as container:
        audio = [] if options.mute else list(container.streams.audio)
        derivative_writer = DerivativeWriter(tmp_video, info, audio, options.encode, decisions.audio_ranges)
        writer = BackgroundWriter(derivative_writer)
        if holder is not None:
            holder.append(writer)
        renderer = FrameRenderer(writer, info, options, decisions, analysis, timer, regions, original)
        timeline = Timeline(info, report)
        doing = _("rendering")
        with (
            contextlib.closing(renderer),
            single_threaded_opencv(),
            FrameProgress(f"{original.name} ({doing})", info.frames, options.quiet) as bar,
        ):

            def advance(n: int) -> None:
                bar.advance(n)
                if progress is not None and n:
                    progress(n)

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
                    continue
                with timer("convert"):
                    steps = list(timeline.push(payload))
                for step in steps:
                    advance(renderer.add(*step))
            for step in timeline.flush():
                advance(renderer.add(*step))
            renderer.finish()
        with timer("encode_wait"):
            writer.finish()
        timer.totals["encode"] = writer.busy_seconds
    return Rendered(derivative_writer, writer, renderer, report, timeline)
