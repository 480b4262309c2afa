"""The analysis ``NAME.ext.analysis.json``: what detection and tracking found, once, so that
every later render (a clerk's correction) costs a transcode and never a detection pass.

Canonical JSON, streamed and signed like the redaction log (``redaction_log.write_streamed``):
the original's SHA-256 and seal, the probe, the detectors with their model hashes, the
detection and tracking parameters, ``timestamps`` (``[pts, duration]`` of every frame in the
stream's time base, in display order), ``regions.frames`` (``[frame, pts_s, [[kind, x0, y0, x1,
y1, score, reason, track], ...]]``, tight boxes to 0.1 px before any margin, for every frame
with a region; reason detected / interpolated / coasted / back-filled) and ``tracks`` (every
track with its detections) and ``subjects`` (tracks of one face or plate linked, each with its
confidence: ``redact.subjects``). It names every face the clip shows: it stays with the seal, never
with the outputs handed over.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import BadInputError, SealMismatchError
from ..evidence.atomic import temp_prefix
from ..evidence.hashing import hash_file
from ..evidence.log_reader import LogReader
from ..evidence.redaction_log import REASONS, REGION_FIELDS, STREAMED, RegionLog, write_streamed
from ..evidence.signing import canonical_json
from ..evidence.trust import Trust, judge, require, require_custody, station_trust
from ..i18n import N_
from ..track import Region

ANALYSIS_FORMAT = "redact.analysis/1"


class AnalysisSpool(RegionLog):
    """Tight regions per frame, tracks, and every frame's timestamp, spooled to temporary
    files as they happen (constant memory on long clips)."""

    def __init__(self, beside: Path | None = None) -> None:
        super().__init__(beside, decimals=1)
        where = (
            {"dir": beside.parent, "prefix": f".{beside.stem}.{temp_prefix()}", "suffix": ".partial-spool"}
            if beside
            else {}
        )
        self._stamps = tempfile.TemporaryFile(**where)
        self.frames = 0

    def add_frame(self, index: int, pts_s: float, pts: int, duration: int, regions: list[Region]) -> None:
        self._stamps.write(canonical_json([pts, duration]) + b"\n")
        self.frames += 1
        boxes = np.array([r.box for r in regions], np.float64).reshape(-1, 4)
        self.add(index, pts_s, regions, boxes)

    def stamp_lines(self) -> Iterator[bytes]:
        self._stamps.flush()
        self._stamps.seek(0)
        for line in self._stamps:
            yield line.rstrip(b"\n")

    def close(self) -> None:
        super().close()
        with contextlib.suppress(OSError):  # as the other spools: a full disk refusing their tail
            self._stamps.close()


def build_analysis(*, spool: AnalysisSpool, parameters: dict, **members) -> dict:
    """The analysis document; ``members``: original, input, decode, detectors, not_masked,
    run, timings_s, operator, started_at, finished_at, subjects."""
    return {
        "format": ANALYSIS_FORMAT,
        "tool": {"name": "redact", "version": __version__},
        **members,
        "parameters": parameters,  # detection and tracking: what numbered the tracks
        "frames": spool.frames,
        "timestamps": STREAMED,
        "tracks": STREAMED,
        "regions": {
            "fields": REGION_FIELDS,
            "reasons": {k: v for k, v in REASONS.items() if k not in ("added", "whole picture")},  # review's
            "coordinates": "pixels of the stored frame, xyxy, the detector's tight box to 0.1 px, before any margin",
            "frames_with_regions": spool.frames_with_regions,
            "total": spool.count,
            "frames": STREAMED,
        },
    }


def write_analysis(path: Path, document: dict, spool: AnalysisSpool, key) -> str:
    """Write the signed analysis to ``path`` (a temporary name: the caller renames); its SHA-256."""
    streams = {
        ("timestamps",): spool.stamp_lines(),
        ("tracks",): spool.track_lines(),
        ("regions", "frames"): spool.frame_lines(),
    }
    return write_streamed(path, document, streams, key)


@dataclass
class Analysis:
    """An analysis checked against its signature and against the original it claims."""

    path: Path
    head: dict
    sha256: str
    signer: str | None

    @property
    def parameters(self) -> dict:
        return self.head["parameters"]

    def frame_regions(self) -> Iterator[tuple[int, list[Region]]]:
        """(frame index, regions) of every frame with regions, in frame order."""
        for index, _, entries in LogReader(self.path, digest=False).items(("regions", "frames")):
            yield (
                index,
                [
                    Region(track, kind, (x0, y0, x1, y1), score, reason)
                    for kind, x0, y0, x1, y1, score, reason, track in entries
                ],
            )

    def timestamps(self) -> Iterator[tuple[int, int]]:
        yield from LogReader(self.path, digest=False).items(("timestamps",))

    def track_lines(self) -> Iterator[bytes]:
        """Each track as canonical JSON, for the redaction log (which lists them too), without
        its look (``appearance.py``): that stays with the analysis, never with what is handed over."""
        for track in LogReader(self.path, digest=False).items(("tracks",)):
            track.pop("look", None)
            yield canonical_json(track)

    def subjects(self) -> tuple[list, bool]:
        """The subjects it recorded (``subject_list.recorded_subjects``) and whether it recorded
        them; an analysis made before subjects has each track as its own."""
        from .subject_list import recorded_subjects

        return recorded_subjects(self.head, LogReader(self.path, digest=False).items(("tracks",)))

    def kept_with(self, kept: bool) -> tuple[dict[int, int], list | None]:
        """What ``FrameMasks`` keeps visible along with kept tracks (nothing to read when none is
        ``kept``): the recorded subjects, or for an analysis without them, the turned twins."""
        if not kept:
            return {}, None
        subjects, recorded = self.subjects()
        return ({}, subjects) if recorded else (self.twin_tracks(), None)

    def track_ids(self) -> set[int]:
        return {track["id"] for track in LogReader(self.path, digest=False).items(("tracks",))}

    def twin_tracks(self) -> dict[int, int]:
        """Tracks found on turned or enlarged copies only that are another track's face seen again, and
        that track (``frame_masks.twin_tracks``)."""
        from .frame_masks import twin_tracks

        turned, upright = set(), set()
        for track in LogReader(self.path, digest=False).items(("tracks",)):
            (turned if turned_only(track.get("models") or {}) else upright).add(track["id"])
        return twin_tracks(self.frame_regions(), upright, frozenset(turned)) if turned else {}


def turned_only(models: dict) -> bool:
    """Whether a track's models (name -> detections) are all copies of the picture: turned a
    quarter ("centerface@90") or enlarged for small faces ("centerface@2x"). Such a track that
    follows another track's face is that face seen again (its twin)."""
    return bool(models) and all("@" in part for name in models for part in name.split("+"))


def read_analysis(path: Path, original: Path, original_sha256: str, trust: Trust | None = None) -> Analysis:
    """The analysis at ``path``, refused when it was altered after it was written (its
    signature), is not signed as ``trust`` (default: this station's policy) requires, or was
    made from other bytes than the sealed original's."""
    if not path.exists():
        raise BadInputError(
            N_("no analysis {name}"),
            original,
            hint=N_("run `redact analyze` (or `redact run`) on the clip first"),
            name=path.name,
        )
    from ..evidence.verify import read_log  # constant memory, and the digest its signature covers

    try:
        head, digest = read_log(path)
    except (OSError, ValueError) as exc:
        raise BadInputError(
            N_("{name} is not a readable analysis ({error})"), original, name=path.name, error=exc
        ) from exc
    if head.get("format") != ANALYSIS_FORMAT:
        raise BadInputError(
            N_("{name} is not an analysis (format {format!r})"), original, name=path.name, format=head.get("format")
        )
    trust = trust or station_trust().for_folder(path.parent)
    verdict = judge(head, trust, digest)
    hint = N_("analyse the clip again (`redact analyze --force`) rather than render from it")
    if verdict.status == "altered":
        raise SealMismatchError(
            N_("analysis {name} was altered after it was written ({reason})"),
            original,
            hint=hint,
            name=path.name,
            reason=verdict.reason,
        )
    signer = require(head, trust, N_("analysis {name}", name=path.name), original, digest, hint=hint)
    sha256 = hash_file(path)
    require_custody(path, "analysis", "analysed", sha256, original, hint, trust, verdict.status == "unsigned")
    named = head.get("original")
    if not isinstance(named, dict) or named.get("sha256") != original_sha256:
        raise BadInputError(
            N_("analysis {name} was made from another file than this original"),
            original,
            hint=N_("analyse this clip again (`redact analyze --force`)"),
            name=path.name,
        )
    return Analysis(path, head, sha256, signer)
