"""The redaction log ``NAME.redacted.json``: what was done to which frames, by what, and why.

Regions are stored compactly: one entry per frame that has any, as
``[frame_index, pts_seconds, [[kind, x0, y0, x1, y1, score, reason, track], ...]]`` with
integer pixel coordinates of the stored (unrotated) frame, the detector's score, why the
region was masked (see ``REASONS``) and the track it belongs to. ``tracks`` lists every track
with its detections (``[frame, x0, y0, x1, y1, score]``, tight boxes) and ``models``: how many
of them each model found (a region's reason and track say which detections it comes from).

A long clip has millions of regions, so they never sit in memory: ``RegionLog`` spools them
to temporary files as they happen and ``write_log`` streams the final file, which is the
log's canonical JSON with the signature member last. Its signature covers the SHA-256 of the
canonical bytes (``signing.sign_digest``), computed while writing.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .. import __version__
from ..i18n import N_
from ..track import Region, Track
from .atomic import temp_prefix
from .hashing import hash_file as hash_path
from .signing import canonical_json as dumps
from .signing import sign_digest

LOG_FORMAT = "redact.log/1"
REGION_FIELDS = ["kind", "x0", "y0", "x1", "y1", "score", "reason", "track"]
REASONS = {  # recorded in English; the court report translates them (N_)
    "detected": N_("automatic detection in this frame"),
    "interpolated": N_("between two detections of the same track"),
    "coasted": N_("track lost: kept masked along its last motion"),
    "back-filled": N_("before the track's first detection"),
    "added": N_("drawn by the operator on review (add_regions; kind operator, track -1, -2... by region)"),
    "whole picture": N_("the whole picture obscured on review (redact_pictures)"),
}


class RegionLog:
    """Collects the masked rectangles frame by frame, and the tracks they belong to.

    Both are spooled to anonymous temporary files as canonical JSON as they happen, so memory
    stays flat however long the clip; ``write_log`` streams them into the final log. With
    ``beside`` (the derivative) they are spooled in its folder rather than the system's temp
    folder, which is RAM on many Linux systems (tmpfs): a crowded hour is ~1.4 GB of spool.
    Unnamed where the OS allows; elsewhere named like the derivative's other partial files,
    so a killed run's leftovers are found and removed with them.
    """

    def __init__(self, beside: Path | None = None, decimals: int | None = None) -> None:
        """``decimals``: coordinates rounded to so many decimals (the analysis keeps tight
        boxes to 0.1 px); None: whole pixels, as the log's masked rectangles are."""
        self.decimals = decimals
        where = (
            {"dir": beside.parent, "prefix": f".{beside.stem}.{temp_prefix()}", "suffix": ".partial-spool"}
            if beside
            else {}
        )
        self._frames = tempfile.TemporaryFile(**where)
        self._tracks = tempfile.TemporaryFile(**where)
        self._parts = tempfile.TemporaryFile(**where)  # settled detections of tracks still live
        self._track_at: list[tuple[int, int, int]] = []  # (track id, offset, length) in _tracks
        self._parts_at: dict[int, tuple[int, int, list[tuple[int, int]]]] = {}  # id -> first, count, pieces
        self.count = 0
        self.frames_with_regions = 0

    def add(self, index: int, pts_s: float, regions: list[Region], rects: np.ndarray) -> None:
        coordinate = int if self.decimals is None else (lambda v: round(float(v), self.decimals))
        entries = [
            [r.kind, *map(coordinate, (x0, y0, x1, y1)), round(float(r.score), 3), r.reason, r.track]
            for r, (x0, y0, x1, y1) in zip(regions, rects, strict=True)
            if x1 > x0 and y1 > y0
        ]
        if entries:
            self._frames.write(dumps([index, round(pts_s, 6), entries]) + b"\n")
            self.frames_with_regions += 1
            self.count += len(entries)

    def frame_lines(self) -> Iterator[bytes]:
        self._frames.flush()
        self._frames.seek(0)
        for line in self._frames:
            yield line.rstrip(b"\n")

    def track_lines(self) -> Iterator[Iterator[bytes]]:
        """Each track's canonical JSON in pieces of at most ``BLOCK`` bytes, in id order.

        Tracks are spooled in the order they end; an hour-long track is megabytes, so it is
        never read back whole.
        """
        self._tracks.flush()
        for _, offset, length in sorted(self._track_at):
            yield _read(self._tracks, offset, length)

    def close(self) -> None:
        """Close (and so delete) the spools. A full disk can refuse the buffered tail as they
        close: that error is not the run's to report (the write that met it first is), and the
        files go all the same."""
        for spool in (self._frames, self._tracks, self._parts):
            with contextlib.suppress(OSError):
                spool.close()

    def add_parts(self, parts: list[Track]) -> None:
        """Spool detections that ``Tracker.settle`` took from tracks still in view."""
        for part in parts:
            data = b",".join(_boxes(part))
            self._parts.seek(0, 2)
            first, count, pieces = self._parts_at.get(part.id, (part.first, 0, []))
            pieces.append((self._parts.tell(), len(data)))
            self._parts_at[part.id] = (first, count + len(part.frames), pieces)
            self._parts.write(data)

    def add_tracks(self, tracks: list[Track]) -> None:
        """Spool ended tracks, joined to their settled detections, as canonical JSON."""
        for t in tracks:
            first, count, pieces = self._parts_at.pop(t.id, (t.first, 0, []))
            head = {"detections": count + len(t.frames), "first_frame": first, "id": t.id, "kind": t.kind}
            if t.models:  # which models found its detections, and how many each
                head["models"] = dict(sorted(t.models.items()))
            look = t.look()
            if look is not None:  # how it looked at its ends (appearance.py): the analysis only
                head["look"] = look
            self._tracks.seek(0, 2)
            start = self._tracks.tell()
            # canonical key order: "boxes" sorts first, so the rest follows its closing bracket
            self._tracks.write(b'{"boxes":[')
            for offset, length in pieces:
                for block in _read(self._parts, offset, length):
                    self._tracks.write(block)
                self._tracks.write(b",")
            self._tracks.write(b",".join(_boxes(t)) + b"],")
            self._tracks.write(dumps({**head, "last_frame": t.last})[1:])
            self._track_at.append((t.id, start, self._tracks.tell() - start))


BLOCK = 1 << 20


def _boxes(track: Track) -> list[bytes]:
    """A track's detections as the log writes them: ``[frame, x0, y0, x1, y1, score]``."""
    return [
        dumps([i, *(round(float(v), 1) for v in b), round(s, 3)])
        for i, b, s in zip(track.frames, track.boxes, track.scores, strict=True)
    ]


def _read(f, offset: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of ``f`` from ``offset``, in blocks of at most ``BLOCK``."""
    f.flush()
    end = offset + length
    while offset < end:
        f.seek(offset)
        block = f.read(min(BLOCK, end - offset))
        offset += len(block)
        yield block


STREAMED = object()  # placeholder for an array written from a RegionLog spool


def build_log(
    *,
    original: dict,
    derivative: dict,
    input_info: dict,
    decode: dict,
    detectors: list,
    parameters: dict,
    dropped: dict,
    regions: RegionLog,
    timings: dict,
    run: dict,
    operator: str,
    started_at: str,
    finished_at: str,
) -> dict:
    return {
        "format": LOG_FORMAT,
        "tool": {"name": "redact", "version": __version__},
        "operator": operator,
        "started_at": started_at,
        "finished_at": finished_at,
        "original": original,
        "derivative": derivative,
        "input": input_info,
        "decode": decode,
        "detectors": [d if isinstance(d, dict) else asdict(d) for d in detectors],  # dicts: from an analysis
        # candidate regions a detector read and then left unmasked, counted by reason
        "not_masked": dropped,
        "parameters": parameters,
        "tracks": STREAMED,
        "regions": {
            "fields": REGION_FIELDS,
            "reasons": REASONS,
            "coordinates": "pixels of the stored frame, xyxy, after snapping to even numbers",
            "frames_with_regions": regions.frames_with_regions,
            "total": regions.count,
            "frames": STREAMED,
        },
        "run": run,  # how the work was spread (changes speed, never the derivative)
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }


def _write(out, value, path: tuple, streams: dict) -> None:
    """Write ``value`` as canonical JSON through ``out``; STREAMED arrays come from ``streams``."""
    if value is STREAMED:
        out(b"[")
        for n, item in enumerate(streams[path]):
            if n:
                out(b",")
            for piece in [item] if isinstance(item, bytes) else item:
                out(piece)
        out(b"]")
    elif isinstance(value, dict) and any(len(k) > len(path) and k[: len(path)] == path for k in streams):
        out(b"{")
        for n, key in enumerate(sorted(value)):
            if n:
                out(b",")
            out(dumps(str(key)) + b":")
            _write(out, value[key], (*path, key), streams)
        out(b"}")
    else:
        out(dumps(value))


def write_log(path: Path, log: dict, regions: RegionLog, key, tracks=None) -> str:
    """Write the signed log to ``path`` without holding its regions in memory; its SHA-256.

    ``tracks``: the tracks' canonical JSON, one item each, when they come from elsewhere (a
    render copies the analysis's) rather than from ``regions``.
    """
    tracks = regions.track_lines() if tracks is None else tracks
    return write_streamed(path, log, {("tracks",): tracks, ("regions", "frames"): regions.frame_lines()}, key)


def write_streamed(path: Path, log: dict, streams: dict, key) -> str:
    """Write a signed document whose ``STREAMED`` members come from ``streams``; its SHA-256.

    The file is the canonical JSON of the document (what ``signing.canonical`` would produce
    from the parsed file) with the ``signature`` member last. The signature covers the SHA-256
    of those canonical bytes, computed while they are written.
    """
    content = hashlib.sha256()
    with open(path, "wb") as f:

        def out(data: bytes) -> None:
            f.write(data)
            content.update(data)

        _write(out, {k: v for k, v in log.items() if k != "signature"}, (), streams)
        f.seek(-1, 1)  # back over the closing brace: the signature member goes before it
        f.truncate()
        f.write(b',"signature":' + dumps(sign_digest(content.digest(), key)) + b"}\n")
    return hash_path(path)
