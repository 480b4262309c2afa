"""Publish a rendered derivative: content credentials, the redaction log, atomic renames, custody.

The derivative and its log appear by atomic rename only after everything succeeded, the log
first, the derivative last (its presence implies a log); the custody logs of the outputs'
folder and of the records' folder then say "redacted".
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import EncodeError, StorageError, storage_error
from ..evidence import content_credentials, custody
from ..evidence.atomic import temp_path_for
from ..evidence.redaction_log import RegionLog, build_log, write_log
from ..evidence.seal import hash_file, utc_iso
from ..i18n import N_, Listed, as_record
from ..media.decode import VideoInfo
from ..media.encode import DerivativeWriter
from ..options import RedactOptions
from ..review.decisions import Decisions
from .analysis_file import Analysis
from .analyze import input_facts
from .frames import Timer
from .prepare import Prepared
from .render import Rendered
from .subject_list import counts_line
from .transcribe import warnings_of


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
    analysis: Path | None = None
    analysis_reused: bool = False  # rendered from an earlier analysis: no detection ran
    decisions: Path | None = None  # the decisions file applied, if any
    listed_without_picture: int = 0  # frames the index lists that held no picture (skipped by the camera)
    warnings: tuple[str, ...] = ()  # what a person must act on although the derivative is complete (words by number)
    spoken: dict = field(default_factory=dict)  # what the transcript gave: entry numbers, never words
    found: str = ""  # "2 people, 0 plates, 5 uncertain regions (masked)": the analysis's subjects


def audio_note(options: RedactOptions, writer: DerivativeWriter) -> str:
    """What became of the audio, for the log: muted, or each stream copied or re-encoded and why."""
    if options.mute:
        return N_("muted")
    if not writer.audio_plans:
        return N_("none")
    if writer.audio_as_is:
        return N_("{n} stream(s) copied packet for packet", n=len(writer.audio_plans))
    return Listed(writer.audio_notes(), "; ")


def add_content_credentials(
    video: Path, original: Path, key, original_sha: str, options: RedactOptions, info: VideoInfo
) -> dict:
    """Embed a signed C2PA manifest into ``video`` in place (via a sibling temp file)."""
    signed = temp_path_for(video)
    try:
        provenance = {"original": original.name, "original_sha256": original_sha, "parameters": options.as_log()}
        try:
            result = content_credentials.embed(video, signed, original, key, provenance, info.container_format)
        except Exception as error:  # the C2PA library's own errors: a full disk reads as "Io: Other"
            if type(error).__module__.split(".")[0] != "c2pa":
                raise
            if free_bytes(video.parent) < video.stat().st_size:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(signed)) from error
            raise EncodeError(
                N_("the content credentials could not be embedded ({error})"), original, error=error
            ) from error
        if result["embedded"]:
            os.replace(signed, video)
        return result
    finally:
        with contextlib.suppress(FileNotFoundError):
            signed.unlink()


def read_to_its_end(report, info) -> bool:
    """Whether the last picture decoded ends where the file does (within a frame and a half):
    then frames its index lists beyond those decoded held no picture; they were not cut off."""
    if not (info.rate and info.duration_s and report.last_pts_s is not None):
        return False
    frame = 1 / float(info.rate)
    return report.last_pts_s - info.start_s + frame >= info.duration_s - 1.5 * frame


def logged_parameters(options: RedactOptions, analysis: Analysis) -> dict:
    """The run's parameters, with detection and tracking as the analysis that made the regions
    recorded them: a setting the analysis is older than is logged as that release behaved without
    it (``as_recorded``: turned copies off, no large-face check...), never as today's default."""
    from ..options import as_recorded

    parameters = options.as_log()
    for section in ("detect", "track"):
        recorded = analysis.parameters.get(section)
        if isinstance(recorded, dict):
            parameters[section] = as_recorded(section, recorded)
    return parameters


def free_bytes(folder: Path) -> int:
    """What an unprivileged writer may still write to ``folder``'s file system."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return 0
    return info.f_bavail * info.f_frsize


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
    return storage_error(error, original, N_("the outputs in {folder}", folder=out_dir), written)


def publish(
    prepared: Prepared,
    options: RedactOptions,
    analysis: Analysis,
    decisions: Decisions,
    rendered: Rendered,
    regions: RegionLog,
    tmp_video: Path,
    tmp_log: Path,
    timer: Timer,
    started: float,
    started_at: str,
    threads: int,
) -> RedactResult:
    layout, info, seal, key = prepared.layout, prepared.info, prepared.seal, prepared.key
    original, out, log_out, out_dir = layout.original, layout.derivative, layout.log, layout.outputs
    report, writer = rendered.report, rendered.background
    with timer("c2pa"):
        credentials = add_content_credentials(tmp_video, original, key, seal.sha256, options, info)
    unread = info.frames - report.frames - report.damaged_packets
    if info.frames and unread > 0 and not report.stopped_early:
        if read_to_its_end(report, info):
            report.listed_without_picture = unread
        else:
            report.stopped_early = True
            report.reason = (
                f"{report.frames} of the {info.frames} frames the container lists could be read (truncated or damaged?)"
            )
    with timer("hash"):
        derivative_sha = hash_file(tmp_video)
    # what this run spent, per stage: a reused analysis's detection is in the analysis, not here
    totals = {**timer.totals, "total": time.perf_counter() - started}
    audio = audio_note(options, rendered.writer)
    width, height = info.padded_size
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
            "audio_said": as_record(audio),  # the same, to be shown in the reader's language
            "timecode": info.timecode,
            "dropped_streams": list(info.dropped_streams),
            "labels_withheld": list(info.labels_withheld),
            "kept_tracks": {str(k): v for k, v in sorted(rendered.renderer.kept.items())},
            # tracks kept with a kept track: the other tracks of its subject (before subjects: a
            # turned-only track over a kept face, that face seen on a turned copy)
            "kept_with": {
                str(t): {"track": kept, "frames": n} for t, (kept, n) in sorted(rendered.renderer.twins.items())
            },
            "content_credentials": credentials,
        },
        input_info=input_facts(info),
        decode={
            **asdict(report),
            "retimed_frames": rendered.timeline.retimed,
            "rescaled_frames": rendered.timeline.rescaled,
            "detected_frames": analysis.head.get("decode", {}).get("detected_frames"),
        },
        detectors=analysis.head.get("detectors", []),
        dropped=analysis.head.get("not_masked", {}),
        parameters=logged_parameters(options, analysis),
        regions=regions,
        timings=totals,
        run={**analysis.head.get("run", {}), "render_decoder_threads": threads or "auto"},
        operator=prepared.operator,
        started_at=started_at,
        finished_at=utc_iso(),
    )
    log["analysis"] = {
        "file": os.path.relpath(analysis.path, out_dir),
        "sha256": analysis.sha256,
        "signer": analysis.signer,
        "started_at": analysis.head.get("started_at"),
    }
    if isinstance(analysis.head.get("subjects"), dict):  # tracks of one face or plate, linked: the review's items
        log["subjects"] = analysis.head["subjects"]
    log["decisions"] = {**decisions.as_log(), **({"source": decisions.source} if decisions.source else {})}
    if decisions.transcript:  # which transcript the spoken ranges came from; never what it says
        log["transcript"] = {**decisions.transcript, "file": os.path.relpath(layout.transcript, out_dir)}
    warnings = warnings_of(decisions.transcript)
    if warnings:  # by entry number: what was withheld is never written into a log handed over
        log["warnings"] = list(warnings)
        log["warnings_said"] = [as_record(w) for w in warnings]  # the same, shown in the reader's language
    log_sha = write_log(tmp_log, log, regions, key, tracks=analysis.track_lines())
    for tmp in (tmp_log, tmp_video):
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    os.replace(tmp_log, log_out)  # the derivative appears last: its presence implies a log
    os.replace(tmp_video, out)

    def produced(chain_folder: Path) -> list[dict]:  # named from the folder of the log that records them
        return [
            {"name": os.path.relpath(original, chain_folder), "role": "original", "sha256": seal.sha256},
            {"name": os.path.relpath(out, chain_folder), "role": "derivative", "sha256": derivative_sha},
            {"name": os.path.relpath(log_out, chain_folder), "role": "log", "sha256": log_sha},
        ]

    # the derivative's folder holds its own chain; the records' folder learns of it too
    try:
        for chain_folder in dict.fromkeys([out_dir, layout.records]):
            custody.append(chain_folder, "redacted", produced(chain_folder), prepared.operator, key, utc_iso())
    except BaseException:  # outputs their custody log does not record would not verify: none
        for path in (out, log_out):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise
    return RedactResult(
        original=original,
        derivative=out,
        log=log_out,
        seal=layout.seal,
        frames=writer.frames,
        regions=regions.count,
        stopped_early=report.stopped_early,
        seconds=time.perf_counter() - started,
        rescaled_frames=rendered.timeline.rescaled,
        damaged_packets=report.damaged_packets,
        listed_without_picture=report.listed_without_picture,
        warnings=warnings,
        spoken=dict(decisions.transcript),
        audio=audio,
        audio_as_is=rendered.writer.audio_as_is,
        dropped_streams=info.dropped_streams,
        analysis=analysis.path,
        decisions=Path(decisions.source["file"]) if decisions.source else None,
        found=counts_line(analysis.head.get("subjects")),
    )
