"""What a batch redacts: clips found in a folder, or the rows of a manifest (CSV or JSON lines).

A manifest row names a clip and, optionally, how the request wants it: ``preset``, ``kinds``,
``mute`` (audio ranges to silence, ``"12.5-20; 1:02-1:10"``), ``audio_redaction`` (``mute`` or
``bleep``, for those ranges), ``keep_tracks`` (track ids from an earlier log to leave visible,
``"3 7"``), ``add_regions`` (regions review found, masked by hand, ``"12-15.5@640,200,760,340"``),
``redact_frames`` (ranges of whole pictures blacked out, as ``mute``), ``bleep_words`` (words and
phrases bleeped wherever they are said, ``"Daniel Martinez; 221B"``), ``bleep_patterns`` (spoken
numbers, dates, e-mail addresses, streets, registrations: ``"numbers,dates"``), ``language``
(of the speech: ``de``, ``en``, ``auto``), ``decisions`` (a review's decisions file,
relative to the manifest), ``reason`` (why the row's requests are made, as the log and court
report record it: required with ``keep_tracks``) and ``output`` (folder for the derivative). The
whole manifest is checked before anything runs, and every bad row is reported at once.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..detections import KINDS
from ..errors import DENIED, REFUSED, BadInputError, conjoined, message_of
from ..i18n import N_, Listed
from ..options import AUDIO_REDACTIONS
from ..presets import available, preset_file
from ..review.decisions import from_document
from ..review.operator_regions import OperatorRegion, parse_regions
from ..review.request_fields import parse_ranges, parse_tracks
from ..speech.transcribe import check_language
from ..speech.withhold import check_patterns, parse_word_list

COLUMNS = (
    "path",
    "preset",
    "kinds",
    "mute",
    "keep_tracks",
    "add_regions",
    "output",
    "decisions",
    "redact_frames",
    "audio_redaction",
    "bleep_words",
    "bleep_patterns",
    "language",
    "reason",
)
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mts", ".m2ts", ".ts", ".mpg", ".mpeg", ".wmv"}
VIDEO_SUFFIXES |= {".3gp", ".flv", ".asf", ".mxf", ".dav", ".h264", ".264", ".vob", ".ogv", ".gif"}
OURS = (".redacted.mp4", ".redacted.json", ".seal.json", ".redaction-report.html", ".analysis.json", ".decisions.json")
OURS += (".transcript.json",)
BATCH_FILES = ("redact-batch.sqlite", "batch-report.json", "batch-report.html", "custody.jsonl", "custody.head.json")


@dataclass(frozen=True)
class Job:
    """One clip to redact, with what its request asked for (None: the batch's default)."""

    path: Path
    preset: str | None = None
    kinds: tuple[str, ...] | None = None
    mute_ranges: tuple[tuple[float, float], ...] = ()
    keep_tracks: tuple[int, ...] = ()
    output: Path | None = None
    row: int | None = None  # manifest line, for messages
    add_regions: tuple[OperatorRegion, ...] = ()
    case_dir: Path | None = None  # seal and custody here, not beside the original (read-only stores)
    decisions: Path | None = None  # a review's decisions file, for the clip's current analysis
    picture_ranges: tuple[tuple[float, float], ...] = ()  # whole pictures blacked out (start_s, end_s)
    audio_redaction: str | None = None  # how mute_ranges are redacted (None: mute)
    bleep_words: tuple[str, ...] = field(default=(), repr=False)  # spoken words bleeped (personal data)
    bleep_patterns: tuple[str, ...] = ()  # of speech.withhold.PATTERNS
    language: str | None = None  # of the speech (None: the batch's)
    reason: str | None = None  # why the row's requests are made

    @property
    def key(self) -> str:
        """Identity of the job in the batch state: the clip and where its derivative goes."""
        return f"{self.path}::{self.output or self.case_dir or self.path.parent}"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["path"], data["output"] = str(self.path), str(self.output) if self.output else None
        data["case_dir"] = str(self.case_dir) if self.case_dir else None
        data["decisions"] = str(self.decisions) if self.decisions else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Job:
        return cls(
            path=Path(data["path"]),
            preset=data.get("preset"),
            kinds=tuple(data["kinds"]) if data.get("kinds") else None,
            mute_ranges=tuple(tuple(r) for r in data.get("mute_ranges") or ()),
            keep_tracks=tuple(data.get("keep_tracks") or ()),
            add_regions=parse_regions(data.get("add_regions") or []),
            output=Path(data["output"]) if data.get("output") else None,
            row=data.get("row"),
            case_dir=Path(data["case_dir"]) if data.get("case_dir") else None,
            decisions=Path(data["decisions"]) if data.get("decisions") else None,
            picture_ranges=tuple(tuple(r) for r in data.get("picture_ranges") or ()),
            audio_redaction=data.get("audio_redaction"),
            bleep_words=tuple(data.get("bleep_words") or ()),
            bleep_patterns=tuple(data.get("bleep_patterns") or ()),
            language=data.get("language"),
            reason=data.get("reason"),
        )


class ManifestProblems(BadInputError):
    """Every bad row of a manifest, reported together."""

    def __init__(self, manifest: Path, problems: list[str]):
        self.problems = problems
        more = [N_("and {count} more", count=len(problems) - 20)] if len(problems) > 20 else []
        super().__init__(
            N_("{count} bad manifest row(s): {rows}"),
            manifest,
            hint=N_("nothing was started"),
            count=len(problems),
            rows=Listed([*problems[:20], *more], "; "),
        )


# Container signatures at the start of a file: a video is recognised by content, not name.
MAGIC = (
    (4, b"ftyp"),  # MP4 / MOV / 3GP
    (4, b"moov"),
    (4, b"mdat"),
    (4, b"wide"),
    (4, b"free"),
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska / WebM
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream
    (0, b"FLV"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"),  # ASF / WMV
    (0, b"\x06\x0e\x2b\x34\x02\x05\x01\x01"),  # MXF
    (0, b"GIF87a"),  # animated GIF: `redact run` takes it, so batches and the review page do too
    (0, b"GIF89a"),
)


def looks_like_video(path: Path) -> bool:
    """True for a file whose first bytes are a video container's (or named like one)."""
    try:
        with open(path, "rb") as f:
            head = f.read(400)
    except OSError:
        return path.suffix.lower() in VIDEO_SUFFIXES
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:  # MPEG transport stream
        return True
    if any(head[offset : offset + len(sig)] == sig for offset, sig in MAGIC):
        return True
    return path.suffix.lower() in VIDEO_SUFFIXES  # unknown content with a video name: try it, report why not


def jobs_from_folder(folder: Path) -> list[Job]:
    """Every video under ``folder`` (recursively), skipping redact's own outputs and hidden files."""
    jobs = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.name.endswith(OURS) or path.name in BATCH_FILES:
            continue
        if looks_like_video(path):
            jobs.append(Job(path=path.absolute()))
    return jobs


FIELD_MAX = 128 << 10  # one manifest cell: a path, a list of words; more is not a manifest


def _rows(manifest: Path) -> list[tuple[int, dict]]:
    """The manifest's rows by line number; a file that is no UTF-8 text, or a CSV cell past
    ``FIELD_MAX``, refuses the whole manifest (exit 2) before anything runs."""
    raw = manifest.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInputError(
            N_("the manifest is not UTF-8 text (byte 0x{byte:02x} on line {line})"),
            manifest,
            hint=N_("save it as UTF-8 (CSV UTF-8 in a spreadsheet program); nothing was started"),
            byte=raw[exc.start],
            line=line,
        ) from exc
    if manifest.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        rows = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    data = json.loads(line)
                except (ValueError, RecursionError) as exc:
                    rows.append((number, {"__error__": N_("not JSON ({error})", error=str(exc.args[0])[:100])}))
                    continue
                rows.append((number, data if isinstance(data, dict) else {"__error__": N_("not a JSON object")}))
        return rows
    reader = csv.DictReader(text.splitlines())
    rows = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise BadInputError(
                N_("the manifest's line {line} cannot be read as CSV ({error})"),
                manifest,
                hint=N_("a cell holds at most {kilobytes} kB; nothing was started"),
                line=reader.line_num,
                error=exc,
                kilobytes=FIELD_MAX // 1024,
            ) from exc
        rows.append((reader.line_num, dict(row)))


def unwritable(folder: Path) -> str | None:
    """Why this user cannot write into ``folder`` (or create it), else None; touches nothing."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent  # a folder still to be made: its nearest existing parent decides
    if not existing.is_dir():
        return N_("{path} is not a folder", path=existing)
    with contextlib.suppress(OSError):
        if os.statvfs(existing).f_flag & os.ST_RDONLY:
            return REFUSED[errno.EROFS]
    if not os.access(existing, os.W_OK | os.X_OK):
        return DENIED[errno.EACCES]
    return None


def unreadable_decisions(path: Path) -> str | None:
    """Why ``path`` is not a decisions file, else None (whether it fits the clip's current
    analysis is checked when the clip runs: the analysis may not exist yet)."""
    if not path.is_file():
        return N_("file not found")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return N_("cannot be read ({error})", error=exc)
    except ValueError as exc:
        return N_("not JSON ({error})", error=exc.args[0])
    if not isinstance(document, dict):
        return N_("not a JSON object")
    try:
        from_document(document)
    except ValueError as exc:
        return message_of(exc)
    return None


def jobs_from_manifest(manifest: Path) -> list[Job]:
    """The manifest's jobs; raises ``ManifestProblems`` listing every bad row."""
    manifest = manifest.absolute()
    base = manifest.parent
    presets = available()
    jobs, problems, seen = [], [], {}
    for number, row in _rows(manifest):
        if "__error__" in row:
            problems.append(N_("line {line}: {problem}", line=number, problem=row["__error__"]))
            continue
        unknown = set(row) - set(COLUMNS) - {None}
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            problems.append(N_("line {line}: unknown column(s) {names}", line=number, names=names))
            continue
        bad = []
        raw_path = str(row.get("path") or "").strip()
        path = (base / raw_path).absolute() if raw_path else None
        if path is None:
            bad.append(N_("no path"))
        elif not path.is_file():
            bad.append(N_("{path}: file not found", path=raw_path))
        preset = str(row.get("preset") or "").strip() or None
        if preset and preset not in presets:
            try:
                preset_file(str(base / preset) if preset.endswith(".toml") else preset)
                preset = str(base / preset) if preset.endswith(".toml") else preset
            except BadInputError:
                known = ", ".join(sorted(presets))
                bad.append(N_("unknown preset {name!r} (known: {known})", name=preset, known=known))
        kinds = None
        if row.get("kinds"):
            raw = row["kinds"]
            kinds = tuple(k.strip() for k in (raw if isinstance(raw, list) else str(raw).split(",")) if k.strip())
            if not kinds or set(kinds) - set(KINDS):
                bad.append(N_("bad kinds {kinds!r} (choose from {known})", kinds=raw, known=", ".join(KINDS)))
        try:
            ranges = parse_ranges(row.get("mute"))
        except ValueError as exc:
            bad.append(N_("{column}: {problem}", column="mute", problem=message_of(exc)))
            ranges = ()
        try:
            tracks = parse_tracks(row.get("keep_tracks"))
        except ValueError as exc:
            bad.append(N_("{column}: {problem}", column="keep_tracks", problem=message_of(exc)))
            tracks = ()
        reason = str(row.get("reason") or "").strip() or None
        if tracks and reason is None:
            bad.append(N_("keep_tracks needs a reason (the reason column): why these tracks stay visible"))
        try:
            added = parse_regions(row.get("add_regions"))
        except ValueError as exc:
            bad.append(N_("{column}: {problem}", column="add_regions", problem=message_of(exc)))
            added = ()
        try:
            pictures = parse_ranges(row.get("redact_frames"))
        except ValueError as exc:
            bad.append(N_("{column}: {problem}", column="redact_frames", problem=message_of(exc)))
            pictures = ()
        audio_redaction = str(row.get("audio_redaction") or "").strip().lower() or None
        if audio_redaction is not None and audio_redaction not in AUDIO_REDACTIONS:
            known = conjoined(AUDIO_REDACTIONS, N_("{first} or {second}"))
            bad.append(
                N_("unknown audio_redaction {value!r} (choose {known})", value=row["audio_redaction"], known=known)
            )
        try:
            words = parse_word_list(str(row.get("bleep_words") or ""))
        except ValueError as exc:
            bad.append(N_("{column}: {problem}", column="bleep_words", problem=message_of(exc)))
            words = ()
        raw = row.get("bleep_patterns")
        try:
            patterns = check_patterns(
                [p.strip() for p in (raw if isinstance(raw, list) else str(raw or "").split(",")) if p.strip()]
            )
        except ValueError as exc:
            bad.append(N_("{column}: {problem}", column="bleep_patterns", problem=message_of(exc)))
            patterns = ()
        try:
            language = check_language(str(row.get("language") or "")) if row.get("language") else None
        except ValueError as exc:
            bad.append(N_("{column}: {problem}", column="language", problem=message_of(exc)))
            language = None
        raw_decisions = str(row.get("decisions") or "").strip()
        decisions = (base / raw_decisions).absolute() if raw_decisions else None
        if decisions is not None and (why := unreadable_decisions(decisions)):
            bad.append(N_("decisions {path}: {problem}", path=raw_decisions, problem=why))
        output = str(row.get("output") or "").strip()
        out_dir = (base / output).absolute() if output else None
        if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
            bad.append(N_("output {folder!r} is a file, not a folder", folder=output))
        elif out_dir is not None and (why := unwritable(out_dir)):
            bad.append(N_("output {folder!r} cannot be written ({problem})", folder=output, problem=why))
        if bad:
            problems.append(N_("line {line}: {problem}", line=number, problem=Listed(bad, "; ")))
            continue
        job = Job(
            path,
            preset,
            kinds,
            ranges,
            tracks,
            out_dir,
            number,
            added,
            decisions=decisions,
            picture_ranges=pictures,
            audio_redaction=audio_redaction,
            bleep_words=words,
            bleep_patterns=patterns,
            language=language,
            reason=reason,
        )
        if job.key in seen:
            problems.append(
                N_("line {line}: same clip and output as line {earlier}", line=number, earlier=seen[job.key])
            )
            continue
        seen[job.key] = number
        jobs.append(job)
    if problems:
        raise ManifestProblems(manifest, problems)
    if not jobs:
        raise BadInputError(N_("manifest lists no clips"), manifest)
    return jobs


def jobs_from(source: Path) -> list[Job]:
    """Jobs from a folder or a manifest file."""
    if source.is_dir():
        return jobs_from_folder(source)
    if source.is_file():
        return jobs_from_manifest(source)
    raise BadInputError(N_("batch source not found (give a folder or a CSV / JSON-lines manifest)"), source)
