"""Review decisions ``NAME.ext.decisions.json``: what a person decided about one analysis.

Tracks kept visible (the subject of a request, an officer), regions added (what the detectors
missed: still or moving boxes, as ``--add-regions``), whole pictures blacked out or blurred for
a time range, and audio ranges muted or bleeped, each with its reason, the reviewer and the
time. Written by hand, by ``redact review`` or from ``redact render``'s flags; signed when a
station key exists and recorded in the custody log ("reviewed"). A decisions file names the
analysis it applies to by SHA-256 and is refused against another: track ids only mean
something in the analysis that numbered them.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import BadInputError, SealMismatchError
from ..evidence import custody
from ..evidence.seal import utc_iso
from ..evidence.trust import Trust, judge, require, require_custody, station_trust
from ..i18n import N_
from ..options import AUDIO_REDACTIONS, STYLES
from .operator_regions import OperatorRegion, parse_regions

DECISIONS_FORMAT = "redact.decisions/1"


@dataclass(frozen=True)
class KeptTrack:
    track: int
    reason: str
    reviewer: str = ""


@dataclass(frozen=True)
class AddedRegion:
    keys: OperatorRegion  # ((start_s, end_s, x0, y0, x1, y1), ...) in pixels as shown
    reason: str = "missed by the detectors"


@dataclass(frozen=True)
class PictureRange:
    """The whole picture obscured from ``start`` to ``end`` (seconds as a player counts)."""

    start: float
    end: float
    style: str = "solid"  # solid (blacked out), blur or pixelate
    reason: str = ""


@dataclass(frozen=True)
class AudioRange:
    start: float
    end: float
    action: str = "mute"  # mute (silence) or bleep (1 kHz tone)
    reason: str = ""


@dataclass(frozen=True)
class Decisions:
    keep: tuple[KeptTrack, ...] = ()
    regions: tuple[AddedRegion, ...] = ()
    pictures: tuple[PictureRange, ...] = ()
    audio: tuple[AudioRange, ...] = ()
    reviewer: str | None = None
    updated_at: str | None = None
    source: dict = field(default_factory=dict)  # {"file", "sha256"} of the decisions file read, if any
    # {"file", "sha256", "model", "words"} of the transcript spoken ranges were found in, if any
    transcript: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kept in self.keep:
            if not isinstance(kept.track, int) or kept.track < 0:
                raise ValueError(N_("track ids to keep are non-negative integers (got {track!r})", track=kept.track))
            if not kept.reason.strip():
                raise ValueError(N_("track {track} is kept visible without a reason: give one", track=kept.track))
        for region in self.regions:
            parse_regions([region.keys])  # checks every key
        for span in (*self.pictures, *self.audio):
            if not (math.isfinite(span.start) and math.isfinite(span.end)):
                raise ValueError(
                    N_(
                        "a range runs {start:g}-{end:g} s: times are finite numbers of seconds",
                        start=span.start,
                        end=span.end,
                    )
                )
        for picture in self.pictures:
            if not 0 <= picture.start < picture.end:
                raise ValueError(
                    N_(
                        "picture range {start:g}-{end:g} s needs 0 <= start < end",
                        start=picture.start,
                        end=picture.end,
                    )
                )
            if picture.style not in STYLES:
                raise ValueError(
                    N_(
                        "unknown picture style {style!r}; choose one of {known}",
                        style=picture.style,
                        known=", ".join(STYLES),
                    )
                )
        for audio in self.audio:
            if not 0 <= audio.start < audio.end:
                raise ValueError(
                    N_("audio range {start:g}-{end:g} s needs 0 <= start < end", start=audio.start, end=audio.end)
                )
            if audio.action not in AUDIO_REDACTIONS:
                raise ValueError(
                    N_(
                        "unknown audio action {action!r}; choose one of {known}",
                        action=audio.action,
                        known=", ".join(AUDIO_REDACTIONS),
                    )
                )

    def outside(self, duration_s: float | None) -> str | None:
        """Why a range cannot apply to a clip of ``duration_s`` (it starts after the end, so it
        would hide nothing), or None."""
        if duration_s is None:
            return None
        for what, spans in ((N_("picture range"), self.pictures), (N_("audio range"), self.audio)):
            for span in spans:
                if span.start >= duration_s:
                    return N_(
                        "{what} {start:g}-{end:g} s starts after the clip ends ({duration:.2f} s)",
                        what=what,
                        start=span.start,
                        end=span.end,
                        duration=duration_s,
                    )
        return None

    @property
    def empty(self) -> bool:
        return not (self.keep or self.regions or self.pictures or self.audio)

    @property
    def kept_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(k.track for k in self.keep))

    @property
    def region_keys(self) -> tuple[OperatorRegion, ...]:
        return tuple(r.keys for r in self.regions)

    @property
    def audio_ranges(self) -> tuple[tuple[float, float, str], ...]:
        return tuple((a.start, a.end, a.action) for a in self.audio)

    def plus(self, other: Decisions) -> Decisions:
        """These decisions and ``other``'s (flags given on top of a decisions file)."""
        return replace(
            self,
            keep=self.keep + tuple(k for k in other.keep if k.track not in self.kept_ids),
            regions=self.regions + other.regions,
            pictures=self.pictures + other.pictures,
            audio=self.audio + other.audio,
            reviewer=self.reviewer or other.reviewer,
            transcript=self.transcript or other.transcript,
        )

    def as_log(self) -> dict:
        """Every decision, as the redaction log and the court report list them."""
        return {
            "keep_tracks": [vars(k) for k in self.keep],
            "add_regions": [{"keys": [list(key) for key in r.keys], "reason": r.reason} for r in self.regions],
            "redact_pictures": [vars(p) for p in self.pictures],
            "audio": [vars(a) for a in self.audio],
            "reviewer": self.reviewer,
            "updated_at": self.updated_at,
        }


def from_flags(
    keep_tracks=(),
    add_regions=(),
    mute_ranges=(),
    audio_redaction="mute",
    picture_ranges=(),
    operator: str = "",
    reason: str | None = None,
) -> Decisions:
    """What ``redact run`` / ``render`` flags decide, each with ``reason`` (``--reason``) and the
    flag that asked for it as its reason, or the flag alone when no reason was given."""

    def why(flag: str) -> str:
        return f"{reason.strip()} ({flag})" if reason and reason.strip() else flag

    return Decisions(
        keep=tuple(KeptTrack(t, why("--keep-tracks"), operator) for t in keep_tracks),
        regions=tuple(AddedRegion(keys, why("--add-regions")) for keys in add_regions),
        pictures=tuple(PictureRange(a, b, "solid", why("--redact-frames")) for a, b in picture_ranges),
        audio=tuple(AudioRange(a, b, audio_redaction, why("--mute-ranges")) for a, b in mute_ranges),
        reviewer=operator or None,
    )


def track_id(value) -> int:
    """A track id as a decisions file may hold it: an integer (or its digits), nothing else."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(N_("track ids are whole numbers (got {value!r})", value=str(value)[:40]))
    return int(value)


def from_document(document: dict) -> Decisions:
    """Decisions from their JSON; ``ValueError`` says what is wrong."""
    if document.get("format") != DECISIONS_FORMAT:
        raise ValueError(N_("not a decisions file (format {format!r})", format=document.get("format")))
    try:
        return Decisions(
            keep=tuple(
                KeptTrack(track_id(k["track"]), str(k.get("reason", "")), str(k.get("reviewer", "")))
                for k in document.get("keep_tracks", [])
            ),
            regions=tuple(
                AddedRegion(parse_regions([r["keys"]])[0], str(r.get("reason", "missed by the detectors")))
                for r in document.get("add_regions", [])
            ),
            pictures=tuple(
                PictureRange(float(p["start"]), float(p["end"]), str(p.get("style", "solid")), str(p.get("reason", "")))
                for p in document.get("redact_pictures", [])
            ),
            audio=tuple(
                AudioRange(float(a["start"]), float(a["end"]), str(a.get("action", "mute")), str(a.get("reason", "")))
                for a in document.get("audio", [])
            ),
            reviewer=document.get("reviewer"),
            updated_at=document.get("updated_at"),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(N_("incomplete entry ({error})", error=exc)) from exc
    except OverflowError as exc:
        raise ValueError(N_("a number out of range ({error})", error=exc)) from exc


def load_decisions(
    path: Path, analysis_sha256: str, original: Path, trust: Trust | None = None, record: bool = True
) -> Decisions:
    """The decisions at ``path``; refused when altered after signing or not signed as ``trust``
    (default: this station's policy) requires, or (a ``record``: the clip's own decisions file)
    not the one the custody log last recorded (exit 3); or written for another analysis than
    ``analysis_sha256`` or not valid (exit 2)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadInputError(N_("no decisions file {file}"), original, file=path) from exc
    except (OSError, ValueError, RecursionError) as exc:
        raise BadInputError(
            N_("{name} is not readable JSON ({error})"), original, name=path.name, error=str(exc)[:200]
        ) from exc
    if not isinstance(document, dict):
        raise BadInputError(N_("{name} is not a decisions file (not a JSON object)"), original, name=path.name)
    trust = trust or station_trust().for_folder(path.parent)
    verdict = judge(document, trust)
    hint = N_("review the clip again, or restore the decisions file as saved")
    if verdict.status == "altered":
        raise SealMismatchError(
            N_("decisions {name} were altered after they were saved ({reason})"),
            original,
            hint=hint,
            name=path.name,
            reason=verdict.reason,
        )
    require(document, trust, N_("decisions {name}", name=path.name), original, hint=hint)
    if record:
        require_custody(path, "decisions", "reviewed", _sha256(path), original, hint, trust)
    analysis = document.get("analysis")
    named = analysis.get("sha256") if isinstance(analysis, dict) else None
    if named != analysis_sha256:
        raise BadInputError(
            N_("decisions {name} were made for another analysis of this clip (its track ids mean other things)"),
            original,
            hint=N_("review the clip again against its current analysis"),
            name=path.name,
        )
    try:
        decisions = from_document(document)
    except ValueError as exc:
        raise BadInputError(N_("decisions {name}: {problem}"), original, name=path.name, problem=exc) from exc
    return replace(decisions, source={"file": path.name, "sha256": _sha256(path)})


def save_decisions(
    path: Path, decisions: Decisions, analysis_path: Path, analysis_sha256: str, records: Path, key, operator: str
) -> str:
    """Write ``decisions`` for that analysis, signed, atomically; custody "reviewed". Its SHA-256."""
    now = utc_iso()
    document = {
        "format": DECISIONS_FORMAT,
        "analysis": {"file": os.path.relpath(analysis_path, path.parent), "sha256": analysis_sha256},
        **{**decisions.as_log(), "updated_at": now, "reviewer": decisions.reviewer or operator},
    }
    detail = f"reviewed by {document['reviewer']}"
    return custody.write_recorded(
        path, document, N_("the decisions"), records, "reviewed", "decisions", operator, key, now, detail
    )


def _sha256(path: Path) -> str:
    from ..evidence.hashing import hash_file

    return hash_file(path)
