"""The subjects of an analysis: linked once its tracks are known (``redact.subjects``), recorded
in the analysis, and read back by the render, the review page and the reports.

An analysis made before subjects existed has none recorded: each of its tracks is then its own
subject, so that it still loads, renders and reviews as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict

import numpy as np

from ..subjects import SamePlace, Subject, SubjectOptions, TrackSummary, link, one_per_track

SUBJECTS_FORMAT = "redact.subjects/1"


def summaries(tracks: Iterable[dict]) -> Iterator[TrackSummary]:
    """Each track as the analysis lists it (``{"id", "kind", "boxes": [[frame, x0, y0, x1, y1,
    score], ...], "models"}``), summarised."""
    for track in tracks:
        if track.get("boxes"):
            yield TrackSummary.of(track["id"], track["kind"], track["boxes"], track.get("models"), track.get("look"))


def same_place(frames: Iterable[tuple[int, list]], options: SubjectOptions) -> SamePlace:
    """Which tracks' detections covered each other, from the analysis's regions of every frame
    (``[kind, x0, y0, x1, y1, score, reason, track]``): detected regions only."""
    seen = SamePlace(options.same_place, 2 * options.link_size)
    for _, entries in frames:
        detected = [e for e in entries if e[6] == "detected"]
        if detected:
            seen.add([e[7] for e in detected], [e[0] for e in detected], np.array([e[1:5] for e in detected]))
    return seen


def link_tracks(
    tracks: Iterable[dict],
    frames: Iterable[tuple[int, list]],
    fps: float,
    strides: dict[str, int],
    options: SubjectOptions | None = None,
) -> list[Subject]:
    """The subjects of an analysis's tracks and regions, its detectors of each kind run on every
    ``strides[kind]``-th frame."""
    o = options or SubjectOptions()
    seen = same_place(frames, o)
    return link(summaries(tracks), seen, fps, o, strides=strides)


def strides_of(detect: dict) -> dict[str, int]:
    """Every how many frames each kind was looked for, from an analysis's ``detect`` parameters."""
    every = int(detect.get("every") or 1)
    return {"face": every, "plate": every * int(detect.get("plate_every") or 1)}


def spooled_tracks(lines: Iterable[Iterable[bytes]]) -> Iterator[dict]:
    """Tracks from a spool's ``track_lines`` (each in pieces), parsed one at a time."""
    for pieces in lines:
        yield json.loads(b"".join(pieces))


def spooled_frames(lines: Iterable[bytes]) -> Iterator[tuple[int, list]]:
    for line in lines:
        index, _, entries = json.loads(line)
        yield index, entries


def subjects_document(subjects: list[Subject], options: SubjectOptions, strides: dict[str, int]) -> dict:
    """The analysis's ``subjects`` member: how they were linked, and each one."""
    return {
        "format": SUBJECTS_FORMAT,
        "parameters": {**asdict(options), "strides": strides},
        "people": sum(1 for s in subjects if s.kind == "face" and s.confident),
        "plates": sum(1 for s in subjects if s.kind == "plate" and s.confident),
        "uncertain": sum(1 for s in subjects if not s.confident),
        "list": [s.as_document() for s in subjects],
    }


def recorded_subjects(head: dict, tracks: Iterable[dict]) -> tuple[list[Subject], bool]:
    """The subjects an analysis recorded, and True; or, for an analysis made before subjects,
    each track its own subject, and False."""
    member = head.get("subjects")
    if isinstance(member, dict) and member.get("format") == SUBJECTS_FORMAT:
        return [Subject.from_document(d) for d in member.get("list", [])], True
    strides = strides_of((head.get("parameters") or {}).get("detect") or {})
    return one_per_track(summaries(tracks), strides=strides), False


def subject_of_track(subjects: Iterable[Subject]) -> dict[int, Subject]:
    return {t: s for s in subjects for t in s.tracks}


def counts_line(member: dict | None) -> str:
    """ "2 people, 0 plates, 5 uncertain regions (masked)" from an analysis's (or log's)
    ``subjects``; "" for one made before subjects."""
    if not isinstance(member, dict):
        return ""
    from ..i18n import _, ngettext

    people, plates, uncertain = (int(member.get(k) or 0) for k in ("people", "plates", "uncertain"))
    return _("{people}, {plates}, {uncertain} (masked)").format(
        people=ngettext("{n} person", "{n} people", people).format(n=people),
        plates=ngettext("{n} plate", "{n} plates", plates).format(n=plates),
        uncertain=ngettext("{n} uncertain region", "{n} uncertain regions", uncertain).format(n=uncertain),
    )
