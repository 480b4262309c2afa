"""One clip under review: its verified original, its analysis, the decisions being made, and
the pictures the page shows of them.

The session verifies the original against its seal and the analysis against the original when
it opens (custody "verified"), holds the decisions as last saved (signed, custody "reviewed"
each time they change), and masks every frame and thumbnail it serves with the same plan the
render will apply, so the page shows what the derivative will hold. The unredacted original
is shown only after the reviewer switches it on, which the custody log records.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from ...errors import BadInputError
from ...evidence import custody
from ...evidence.layout import Layout
from ...evidence.seal import utc_iso
from ...geometry import quarter_turns, rotate_boxes
from ...i18n import N_, Listed
from ...mask import i420_planes, single_threaded_opencv
from ...options import RedactOptions
from ...pipeline.analysis_file import read_analysis, turned_only
from ...pipeline.frame_masks import FrameMasks, subject_companions, twin_tracks
from ...pipeline.frames import Timer
from ...pipeline.prepare import prepare
from ...pipeline.render import analysed_options
from ...track import Region
from ..decisions import DECISIONS_FORMAT, Decisions, KeptTrack, from_document, load_decisions, save_decisions
from ..operator_regions import check_fits
from .frames import NO_FRAME, FrameSource, jpeg, shown_rgb

THUMB_HEIGHT = 72


@dataclass(frozen=True)
class TrackSummary:
    """A track as the page lists it; ``best``: the frame and stored box of its best detection."""

    id: int
    kind: str
    first_frame: int
    last_frame: int
    frames: int
    start_s: float
    end_s: float
    score: float
    best: tuple[int, tuple[float, float, float, float]]

    def as_json(self) -> dict:
        fields = ("id", "kind", "first_frame", "last_frame", "frames", "start_s", "end_s", "score")
        return {name: getattr(self, name) for name in fields}


class ClipSession:
    def __init__(self, original: Path, options: RedactOptions, reviewer: str, case_dir: Path | None = None):
        self.layout = Layout(original, case_dir)
        self.original = self.layout.original
        # verifies the seal (custody "verified", by the reviewer: the person, with the login beside it)
        prepared = prepare(self.layout, replace(options, operator=reviewer or options.operator), Timer())
        self.info, self.key, self.seal, self.trust = prepared.info, prepared.key, prepared.seal, prepared.trust
        self.reviewer = reviewer or prepared.operator
        self.analysis = read_analysis(self.layout.analysis, self.original, prepared.seal.sha256, self.trust)
        self.options = replace(analysed_options(options, self.analysis), operator=self.reviewer)
        self.stamps = [tuple(s) for s in self.analysis.timestamps()]
        base, start = self.info.time_base, self.info.start_s
        self.times = [round(float(pts * base) - start, 6) for pts, _ in self.stamps]
        self.durations = [round(float(d * base), 6) for _, d in self.stamps]
        self.found: dict[int, list[Region]] = dict(self.analysis.frame_regions())
        self.tracks = self._tracks()
        # the items the page lists: tracks of one face or plate linked (an analysis made before
        # subjects: each track its own); a kept track keeps its whole subject, as the render does
        self.subjects, self.linked = self.analysis.subjects()
        self.subject_of = {t: s for s in self.subjects for t in s.tracks}
        self.masked_frames = self._masked_frames()
        # before subjects: turned-only tracks that are another track's face seen again, listed as
        # such and kept with it (the render's mapping too: Analysis.twin_tracks)
        upright = {t for t in self.tracks if t not in self.turned_only}
        self.twin_of = {} if self.linked else twin_tracks(sorted(self.found.items()), upright, self.turned_only)
        self.lock = threading.Lock()  # decisions and the original switch
        self.decisions = (
            load_decisions(self.layout.decisions, self.analysis.sha256, self.original, self.trust)
            if self.layout.decisions.exists()
            else Decisions()
        )
        self.version = 0  # bumped at every save: the page's cache-buster for masked pictures
        self.view_original = False
        self.original_since = 0.0
        self.source = FrameSource(self.original, self.info, self.stamps)
        self.turns = quarter_turns(self.info.rotation)

    def _tracks(self) -> dict[int, TrackSummary]:
        from ...evidence.log_reader import LogReader

        tracks = {}
        turned = set()
        for track in LogReader(self.analysis.path, digest=False).items(("tracks",)):
            if turned_only(track.get("models") or {}):
                turned.add(track["id"])
            boxes = track.get("boxes") or []
            best = max(boxes, key=lambda b: b[5]) if boxes else [track["first_frame"], 0, 0, 1, 1, 0.0]
            first, last = track["first_frame"], track["last_frame"]
            tracks[track["id"]] = TrackSummary(
                id=track["id"],
                kind=track["kind"],
                first_frame=first,
                last_frame=last,
                frames=last - first + 1,
                start_s=self.times[first] if first < len(self.times) else 0.0,
                end_s=self._end(last),
                score=round(max((b[5] for b in boxes), default=0.0), 3),
                best=(best[0], tuple(best[1:5])),
            )
        self.turned_only = frozenset(turned)  # kept visible with a kept face they are (frame_masks)
        return tracks

    def _masked_frames(self) -> dict[int, list[int]]:
        """Subject id -> [first frame masked, last frame masked, frames masked]: how long the
        render masks it (coasted and back-filled frames included), not only when it was detected."""
        out: dict[int, list[int]] = {}
        for index, regions in self.found.items():
            for subject in {self.subject_of[r.track].id for r in regions if r.track in self.subject_of}:
                span = out.setdefault(subject, [index, index, 0])
                span[0], span[1], span[2] = min(span[0], index), max(span[1], index), span[2] + 1
        return out

    def kept_along(self, decisions: Decisions) -> dict[int, int]:
        """Tracks kept visible with a kept one: its subject's other tracks (or, before subjects, its twin)."""
        kept = set(decisions.kept_ids)
        if self.linked:
            return subject_companions(kept, self.subjects)
        return {t: face for t, face in self.twin_of.items() if face in kept and t not in kept}

    def subject_rows(self) -> list[dict]:
        """The subjects as the page lists them: confident ones one by one (surest first), the rest
        in one group of uncertain regions per kind; each with how long it is masked."""
        rows = []
        for s in self.subjects:
            first, last, frames = self.masked_frames.get(s.id, [s.first, s.last, 0])
            start, end = (self.times[first] if first < len(self.times) else 0.0), self._end(last)
            rows.append(
                {
                    "id": s.id,
                    "kind": s.kind,
                    "tracks": list(s.tracks),
                    "confidence": round(s.confidence, 3),
                    "confident": s.confident,
                    "best_track": s.best_track,
                    "first_frame": first,
                    "start_s": start,
                    "end_s": end,
                    "masked_s": round(end - start, 3),  # from its first masked frame to its last
                    "masked_frames": frames,
                    "detections": s.detections,
                }
            )
        return sorted(rows, key=lambda r: (not r["confident"], -r["confidence"], r["first_frame"], r["id"]))

    def _end(self, index: int) -> float:
        if index >= len(self.times):
            return self.times[-1] if self.times else 0.0
        return round(self.times[index] + self.durations[index], 6)

    # --- what the page reads -------------------------------------------------------------

    @property
    def shown_size(self) -> tuple[int, int]:
        w, h = self.info.width, self.info.height
        return (h, w) if self.turns % 2 else (w, h)

    @property
    def duration_s(self) -> float:
        """When the last frame leaves the screen, as a player counts."""
        return self._end(len(self.times) - 1) if self.times else 0.0

    def summary(self) -> dict:
        width, height = self.shown_size
        duration = self.duration_s
        return {
            "name": self.original.name,
            "width": width,
            "height": height,
            "frames": len(self.stamps),
            "fps": round(float(self.info.rate), 3)
            if self.info.rate
            else round(len(self.times) / max(duration, 1e-6), 3),
            "duration_s": duration,
            "times": self.times,
            "durations": self.durations,
            "has_audio": self.info.audio_streams > 0,
            "reviewer": self.reviewer,
            "view_original": self.view_original,
            "tracks": [
                {
                    **t.as_json(),
                    **({"twin_of": self.twin_of[t.id]} if t.id in self.twin_of else {}),
                    **({"subject": self.subject_of[t.id].id} if t.id in self.subject_of else {}),
                }
                for t in sorted(self.tracks.values(), key=lambda t: (t.first_frame, t.id))
            ],
            "subjects": self.subject_rows(),
            "counts": {
                "people": sum(1 for s in self.subjects if s.confident and s.kind == "face"),
                "plates": sum(1 for s in self.subjects if s.confident and s.kind == "plate"),
                "uncertain": sum(1 for s in self.subjects if not s.confident),
            },
            "decisions": self.decisions_json(),
            "version": self.version,
        }

    def decisions_json(self) -> dict:
        log = self.decisions.as_log()
        return {
            "keep_tracks": [{"track": k["track"], "reason": k["reason"]} for k in log["keep_tracks"]],
            "add_regions": log["add_regions"],
            "redact_pictures": log["redact_pictures"],
            "audio": log["audio"],
        }

    def frame_regions(self, index: int) -> list[dict]:
        """The analysis's regions of frame ``index`` as masked (margins included), in shown pixels."""
        self._check_index(index)
        found = self.found.get(index, [])
        width, height = self.info.padded_size
        tight = np.array([r.box for r in found], np.float32).reshape(-1, 4)
        boxes = self.options.detect.regions(tight, [r.kind for r in found], width, height)
        shown = rotate_boxes(np.clip(boxes, 0, [width, height, width, height]), self.turns, *self.info_size)
        kept = set(self.decisions.kept_ids)
        twins = self.kept_along(self.decisions)  # kept along with them: their subject's other tracks
        return [
            {
                "track": r.track,
                "kind": r.kind,
                "box": [round(float(v), 1) for v in box],
                "score": round(r.score, 3),
                "reason": r.reason,
                "kept": r.track in kept or r.track in twins,
                **({"kept_with": twins[r.track]} if r.track in twins else {}),
            }
            for r, box in zip(found, shown, strict=True)
        ]

    @property
    def info_size(self) -> tuple[int, int]:
        return self.info.width, self.info.height

    def picture(self, index: int, original: bool = False) -> np.ndarray:
        """Frame ``index`` as shown (RGB): masked as the render will mask it, unless ``original``."""
        self._check_index(index)
        if original:
            self.check_original()
        buf = self.source.i420(index)
        if not original:
            with self.lock:
                decisions = self.decisions
            masks = FrameMasks(self.info, self.options, decisions, self.twin_of, self.subjects if self.linked else None)
            plan = masks.plan(self.found.get(index, []), *self.stamps[index])
            if plan:
                with single_threaded_opencv():
                    plan.apply(i420_planes(buf, *self.info.padded_size), self.options.mask)
        return shown_rgb(buf, self.info)

    def unmasked_picture(self, index: int) -> np.ndarray:
        """Frame ``index`` as recorded, for the tracker only: never sent to the page."""
        self._check_index(index)
        return shown_rgb(self.source.i420(index), self.info)

    def frame_jpeg(self, index: int, original: bool = False) -> bytes:
        return jpeg(self.picture(index, original))

    def thumbnail_jpeg(self, track_id: int, original: bool = False) -> bytes:
        """The track's best detection, cut out of its frame as shown (masked unless ``original``)."""
        track = self.tracks.get(track_id)
        if track is None:
            raise BadInputError(N_("no track {track} in the analysis"), self.original, track=track_id)
        frame, box = track.best
        rgb = self.picture(frame, original)
        x0, y0, x1, y1 = rotate_boxes(np.array([box]), self.turns, *self.info_size)[0]
        grow_x, grow_y = max(8.0, (x1 - x0) * 0.4), max(8.0, (y1 - y0) * 0.4)
        h, w = rgb.shape[:2]
        left, top = int(max(0, x0 - grow_x)), int(max(0, y0 - grow_y))
        right, bottom = int(min(w, x1 + grow_x)), int(min(h, y1 + grow_y))
        crop = rgb[top : max(bottom, top + 1), left : max(right, left + 1)]
        scale = THUMB_HEIGHT / crop.shape[0]
        size = (max(1, min(160, round(crop.shape[1] * scale))), THUMB_HEIGHT)
        return jpeg(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), 85)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.stamps):
            raise BadInputError(NO_FRAME, self.original, index=index, frames=len(self.stamps))

    def check_original(self) -> None:
        if not self.view_original:
            raise PermissionError(N_("the unredacted original is not switched on for this session"))

    # --- what the page changes ------------------------------------------------------------

    def show_original(self, on: bool) -> bool:
        """Switch the unredacted view on or off; both are custody entries ("viewed original"),
        the second with how long the original was shown."""
        with self.lock:
            if on != self.view_original:
                name = os.path.relpath(self.original, self.layout.records)
                files = [{"name": name, "role": "original", "sha256": self.seal.sha256}]
                if on:
                    detail = f"unredacted original shown in the review page to {self.reviewer}"
                    self.original_since = time.monotonic()
                else:
                    shown = time.monotonic() - self.original_since
                    detail = f"unredacted original hidden again in the review page after {shown:.0f} s"
                custody.append(
                    self.layout.records, "viewed original", files, self.reviewer, self.key, utc_iso(), detail
                )
            self.view_original = on
            return self.view_original

    def save(self, body: dict) -> dict:
        """Save the decisions the page sends (signed, custody "reviewed"); ``ValueError`` says
        what is wrong with them, and nothing is saved then."""
        if not isinstance(body, dict):
            raise ValueError(N_("decisions are a JSON object"))
        fields = ("keep_tracks", "add_regions", "redact_pictures", "audio")
        unknown = sorted(set(body) - set(fields))
        if unknown:
            raise ValueError(N_("unknown decision field(s): {names}", names=", ".join(unknown)))
        decisions = from_document({"format": DECISIONS_FORMAT, **{k: body.get(k, []) for k in fields}})
        unexplained = [
            N_("{what} {number}", what=what, number=i)
            for what, items in (
                (N_("added region"), decisions.regions),
                (N_("whole-picture range"), decisions.pictures),
                (N_("audio range"), decisions.audio),
            )
            for i, item in enumerate(items, start=1)
            if not item.reason.strip()
        ]
        if unexplained:  # the court report lists every decision with its reason
            raise ValueError(N_("{items} without a reason: give one", items=Listed(unexplained, ", ")))
        missing = sorted(set(decisions.kept_ids) - set(self.tracks))
        if missing:
            raise ValueError(N_("no track {track} in the analysis", track=", ".join(map(str, missing))))
        problem = check_fits(
            decisions.region_keys, self.info.rotation, self.info.width, self.info.height, self.info.duration_s
        ) or decisions.outside(self.info.duration_s)
        if problem:
            raise ValueError(problem)
        with self.lock:
            before = {(k.track, k.reason): k.reviewer for k in self.decisions.keep}
            keep = tuple(
                KeptTrack(k.track, k.reason, before.get((k.track, k.reason), self.reviewer)) for k in decisions.keep
            )
            decisions = replace(decisions, keep=keep, reviewer=self.reviewer)
            save_decisions(
                self.layout.decisions,
                decisions,
                self.analysis.path,
                self.analysis.sha256,
                self.layout.records,
                self.key,
                self.reviewer,
            )
            self.decisions = load_decisions(self.layout.decisions, self.analysis.sha256, self.original, self.trust)
            self.version += 1
            return self.decisions_json()

    def close(self) -> None:
        self.source.close()
