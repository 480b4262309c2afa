"""``redact report``: verify, render and write the court report for each derivative, atomically,
and record the export in the custody log."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import BadInputError
from ..evidence import custody, keys
from ..evidence.atomic import atomic_output
from ..evidence.layout import DERIVATIVE_SUFFIX, LOG_SUFFIX, Layout, log_for_derivative, report_for_derivative
from ..evidence.log_reader import LogReader
from ..evidence.seal import hash_file, utc_iso
from ..evidence.trust import writer_trust
from ..evidence.verify import verify_paths
from ..i18n import N_
from .report import contact_sheet, kept_spans, render, review_decisions, subject_rows, track_rows


def find_logs(paths: list[Path], case_dir: Path | None = None) -> list[Path]:
    """The logs of the derivatives named, of those in folders, and of originals whose outputs
    are in ``case_dir`` (all of it when no path is given)."""
    logs = []
    for path in paths or ([case_dir] if case_dir is not None else []):
        path = path.absolute()
        if path.is_dir():
            logs += sorted(path.rglob(f"*{LOG_SUFFIX}"))
        elif path.name.endswith(DERIVATIVE_SUFFIX):
            logs.append(log_for_derivative(path))
        elif path.name.endswith(LOG_SUFFIX):
            logs.append(path)
        elif case_dir is not None and path.is_file():  # an original: its log is in the case folder
            logs.append(Layout(path, case_dir).log)
        else:
            raise BadInputError(N_("not a derivative (NAME.redacted.mp4) or its log"), path)
    return logs


def write_report(log_path: Path, reviewer: str) -> Path:
    if not log_path.exists():
        raise BadInputError(N_("no redaction log beside it"), log_path)
    try:
        reader = LogReader(log_path, digest=False)  # never held whole; verify_paths checks it
    except ValueError as exc:
        raise BadInputError(N_("not a readable redaction log ({error})"), log_path, error=exc) from exc
    log = reader.head
    folder = log_path.parent
    key = keys.load()
    writer_trust(folder, key, log_path)  # before anything is written
    try:
        derivative = folder / log["derivative"]["file"]
        seal = json.loads((folder / log["original"]["seal"]).read_text())
    except (KeyError, TypeError, OSError, ValueError) as exc:
        raise BadInputError(
            N_("not a redaction log redact wrote, or its seal is gone ({error})"), log_path, error=exc
        ) from exc
    if not derivative.is_file():
        raise BadInputError(N_("its derivative {name} is missing"), log_path, name=derivative.name)
    findings = verify_paths([derivative, folder / log["original"]["seal"]])  # the seal: beside or in a case folder
    reviewed_at = utc_iso()
    start_s = log.get("input", {}).get("start_s") or 0.0  # absent from older logs
    tracks = track_rows(reader.items(("regions", "frames")), reader.items(("tracks",)), start_s)
    subject_rows(tracks, log)
    _time_kept_tracks(tracks, log, folder, start_s)
    sheet = contact_sheet(derivative, log["derivative"]["frames"], start_s=start_s)
    page = render(log, tracks, seal, findings, sheet, reviewer, reviewed_at)
    out = folder / report_for_derivative(log["derivative"]["file"])
    with atomic_output(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    custody.append(
        folder,
        "exported",
        [
            {"name": derivative.name, "role": "derivative", "sha256": hash_file(derivative)},  # as it is now
            {"name": log_path.name, "role": "log", "sha256": hash_file(log_path)},
            {"name": out.name, "role": "report", "sha256": hash_file(out)},
        ],
        reviewer,  # the person who reviewed it; custody adds the login beside
        key,
        reviewed_at,
        detail=f"court report written; reviewed by {reviewer}",
    )
    return out


def _time_kept_tracks(tracks: list[dict], log: dict, folder: Path, start_s: float) -> None:
    """Give the tracks kept visible the time range they would have been masked over, from the
    analysis the derivative was rendered from (the derivative's log has no region of them).
    Only from that very analysis (its SHA-256 as the log names it); else they keep the times of
    their first and last frames, where the log has those."""
    kept = {k["track"] for k in review_decisions(log)["keep_tracks"]}
    kept |= {int(t) for t in log["derivative"].get("kept_with") or {}}  # kept with them: their subjects' tracks
    named = log.get("analysis") or {}
    if not kept or not named.get("file"):
        return
    path = folder / named["file"]
    try:
        if hash_file(path) != named.get("sha256"):
            return
        spans = kept_spans(LogReader(path, digest=False).items(("regions", "frames")), kept)
    except (OSError, ValueError):  # moved, unreadable: the report still says what the log does
        return
    for row in tracks:
        if row["id"] in spans:
            row["from_s"], row["to_s"] = (t - start_s for t in spans[row["id"]])


def write_reports(paths: list[Path], reviewer: str, case_dir: Path | None = None) -> list[Path]:
    """Reports for every derivative named or found; the first failure raises."""
    return [write_report(log_path, reviewer) for log_path in find_logs(paths, case_dir)]
