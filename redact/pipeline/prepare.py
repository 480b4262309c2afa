"""Prepare a clip: check the request, seal (or verify) the original, probe it.

Nothing after this stage touches the original except to read it, and nothing reads it
before its bytes are known to be the sealed ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInputError, SealMismatchError, conjoined
from ..evidence import custody, keys
from ..evidence.keys import StationKey
from ..evidence.layout import Layout, name_problem
from ..evidence.seal import Seal, current_operator, hash_file, read_seal_document, seal_original, utc_iso
from ..evidence.trust import CHANGED_OUTSIDE, Trust, UntrustedRecordError, recorded_chain, writer_trust
from ..i18n import N_
from ..media.decode import VideoInfo, check_path, probe
from ..options import RedactOptions, as_recorded
from ..review.operator_regions import check_fits
from .frames import Timer


def name_max(folder: Path) -> int:
    """The longest file name the file system of ``folder`` (or its nearest existing parent) takes."""
    for where in (folder, *folder.parents):
        if where.is_dir():
            try:
                return os.pathconf(where, "PC_NAME_MAX")
            except (OSError, ValueError):
                break
    return 255


def clip_layout(path, case_dir=None, output_dir=None) -> Layout:
    """Where one original's records and outputs go; refuses a path that is no readable file,
    and a case folder's seal that names another clip of this name, before anything is written."""
    original = Path(path).absolute()
    check_path(original)
    layout = Layout(original, case_dir, output_dir)
    problem = name_problem(original.name, name_max(layout.records))
    if problem:
        raise BadInputError(
            problem, original, hint=N_("redact a copy named in UTF-8 and shorter (the original stays as it is)")
        )
    read_seal_document(original, layout)
    return layout


@dataclass(frozen=True)
class Prepared:
    """A sealed (or verified) original, ready to be read: what every later stage needs."""

    layout: Layout
    seal: Seal
    info: VideoInfo
    key: StationKey | None
    operator: str
    trust: Trust = field(default_factory=Trust)  # what every record read for this clip must be signed by


def seal_files(layout: Layout, seal: Seal) -> list[dict]:
    """The original and its seal as a custody entry in ``layout.records`` names them."""
    return [
        {"name": os.path.relpath(layout.original, layout.records), "role": "original", "sha256": seal.sha256},
        {"name": layout.seal.name, "role": "seal", "sha256": hash_file(layout.seal)},
    ]


def prepare(layout: Layout, options: RedactOptions, timer: Timer, check=None) -> Prepared:
    """Verify the original against its seal (custody "verified") or probe and seal it
    ("sealed"); ``check(info)`` refuses a request that cannot apply, before a new seal."""
    original = layout.original
    key = keys.load()
    operator = options.operator or current_operator()
    folder = layout.records
    trust = records_trust(layout, key)
    if layout.seal.exists():
        with timer("seal"):
            try:
                seal, _ = seal_original(original, operator, key, layout, trust)  # verifies; refuses a changed file
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
        if check is not None:
            check(info)
    else:
        with timer("probe"):
            info = probe(original)  # not a readable video: leave it unsealed and untouched
        if check is not None:
            check(info)
        with timer("seal"):
            seal, _ = seal_original(original, operator, key, layout, trust)
        custody.append(folder, "sealed", seal_files(layout, seal), operator, key, utc_iso())
    return Prepared(layout, seal, info, key, operator, trust)


def records_trust(layout: Layout, key: StationKey | None) -> Trust:
    """The policy for this clip's records, once their custody log is known to be intact under
    it: a broken, cut or forged log stops the run (exit 3) before anything is read or written,
    and a station without a key does not add unsigned records to a signed folder (exit 7)."""
    trust = writer_trust(layout.records, key, layout.original)
    log = custody.custody_path(layout.records)
    kept = log.exists() and log.stat().st_size > 0
    if not kept and layout.seal.exists():  # the seal was written with its "sealed" entry
        raise UntrustedRecordError(
            N_(
                "the original is sealed but its custody log {name} is missing or empty: the folder's history"
                " was removed, and with it what would show records put back or rolled back"
            ),
            layout.original,
            hint=N_("restore the custody log from where the case is kept, and run `redact verify` on the folder"),
            name=log.name,
        )
    if kept:
        recorded_chain(layout.records, trust, layout.original, CHANGED_OUTSIDE)
    return trust


def check_request(options: RedactOptions, info: VideoInfo, original: Path, frame_ranges=()) -> None:
    """Refuse a range to silence, a region or a stretch of whole pictures to mask that cannot
    apply to this clip (after its end, outside its picture): it would remove nothing, and what
    it was meant to remove would be disclosed."""
    problem = check_fits(options.add_regions, info.rotation, info.width, info.height, info.duration_s)
    if problem:
        raise BadInputError(problem, original, hint=N_("times count from the clip's start; boxes are pixels as shown"))
    if info.duration_s is None:
        return
    ranges = [(N_("range to redact"), start, end) for start, end in frame_ranges]
    if not options.mute:
        ranges += [(N_("range to silence"), start, end) for start, end in options.mute_ranges]
    for what, start, end in ranges:
        if start >= info.duration_s:
            raise BadInputError(
                N_("{what} {start:g}-{end:g} s starts after the clip ends ({duration:.2f} s)"),
                original,
                hint=N_("times count from the start of the clip, as a player shows them"),
                what=what,
                start=start,
                end=end,
                duration=info.duration_s,
            )


def track_ids_and_parameters(path: Path) -> tuple[set[int], dict]:
    """The track ids an analysis or redaction log holds, and its parameters (one streamed read)."""
    from ..evidence.log_reader import LogReader

    ids: set[int] = set()

    def track_id(where: tuple, item) -> None:
        if where == ("tracks",):
            ids.add(item["id"])

    parameters = LogReader(path, digest=False, each=track_id).head.get("parameters")
    if not isinstance(parameters, dict):
        raise ValueError("no parameters")
    return ids, parameters


def check_kept_tracks(keep: tuple[int, ...], numbered_by: Path, options: RedactOptions | None, original: Path) -> None:
    """Refuse track ids to keep visible unless ``numbered_by`` (the analysis, or the earlier log
    the ids were read from) holds every one of them and, when ``options`` are given, numbered
    its tracks with these detection and tracking settings: otherwise an id means nothing, or
    may be someone else's face. Runs before anything is sealed or written."""
    if not keep:
        return
    wanted = " ".join(map(str, keep))
    if not numbered_by.exists():
        raise BadInputError(
            N_(
                "track ids to keep ({wanted}) come from an earlier log or analysis, and there is no"
                " {name} where this derivative goes"
            ),
            original,
            hint=N_("redact or analyse the clip once without keep-tracks, then take the ids from its log or report"),
            wanted=wanted,
            name=numbered_by.name,
        )
    try:
        ids, earlier = track_ids_and_parameters(numbered_by)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise BadInputError(
            N_("track ids to keep ({wanted}) cannot be checked: {name} is not readable ({error})"),
            original,
            wanted=wanted,
            name=numbered_by.name,
            error=exc,
        ) from exc
    if options is not None:
        now = json.loads(json.dumps(options.as_log()))  # as the log holds them (tuples as lists)
        changed = [
            section
            for section in ("detect", "track")
            if earlier.get(section) is None or as_recorded(section, earlier[section]) != now[section]
        ]
        if changed:
            raise BadInputError(
                N_(
                    "track ids to keep ({wanted}) come from {name},"
                    " made with other {sections} settings: there they may be other people"
                ),
                original,
                hint=N_("use that run's preset and flags, or take the ids from a log made with these settings"),
                wanted=wanted,
                name=numbered_by.name,
                sections=conjoined(changed, N_("{first} and {second}")),
            )
    missing = [t for t in keep if t not in ids]
    if missing:
        raise BadInputError(
            N_("track ids to keep ({missing}) are not in {name} ({listed})"),
            original,
            hint=N_("take the ids from that analysis, log or court report"),
            missing=" ".join(map(str, missing)),
            name=numbered_by.name,
            listed=listed_ids(ids),
        )


def listed_ids(ids: set[int]) -> str:
    """The track ids a log holds, short enough for one line."""
    if not ids:
        return N_("it has no tracks")
    ordered = sorted(ids)
    if len(ordered) <= 12:
        return N_("its tracks: {ids}", ids=" ".join(map(str, ordered)))
    return N_("{count} tracks, ids {first} to {last}", count=len(ordered), first=ordered[0], last=ordered[-1])
