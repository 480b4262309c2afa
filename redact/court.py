"""``redact report``: verify, render and write the court report for each derivative, atomically,
and record the export in the custody log."""

from __future__ import annotations

import json
from pathlib import Path

from . import custody, keys
from .atomic import atomic_output
from .errors import BadInputError
from .log_reader import LogReader
from .report import contact_sheet, render, track_rows
from .seal import current_operator, hash_file, utc_iso
from .verify import verify_paths

LOG_SUFFIX, REPORT_SUFFIX = ".redacted.json", ".redaction-report.html"


def find_logs(paths: list[Path]) -> list[Path]:
    logs = []
    for path in paths:
        path = path.absolute()
        if path.is_dir():
            logs += sorted(path.rglob(f"*{LOG_SUFFIX}"))
        elif path.name.endswith(".redacted.mp4"):
            logs.append(path.with_name(path.name[: -len(".redacted.mp4")] + LOG_SUFFIX))
        elif path.name.endswith(LOG_SUFFIX):
            logs.append(path)
        else:
            raise BadInputError("not a derivative (NAME.redacted.mp4) or its log", path)
    return logs


def write_report(log_path: Path, reviewer: str) -> Path:
    if not log_path.exists():
        raise BadInputError("no redaction log beside it", log_path)
    try:
        reader = LogReader(log_path, digest=False)  # never held whole; verify_paths checks it
    except ValueError as exc:
        raise BadInputError(f"not a readable redaction log ({exc})", log_path) from exc
    log = reader.head
    folder = log_path.parent
    derivative = folder / log["derivative"]["file"]
    seal = json.loads((folder / log["original"]["seal"]).read_text())
    findings = verify_paths([derivative, folder / log["original"]["file"]])
    reviewed_at = utc_iso()
    start_s = log.get("input", {}).get("start_s") or 0.0  # absent from older logs
    tracks = track_rows(reader.items(("regions", "frames")), reader.items(("tracks",)), start_s)
    sheet = contact_sheet(derivative, log["derivative"]["frames"], start_s=start_s)
    page = render(log, tracks, seal, findings, sheet, reviewer, reviewed_at)
    out = folder / (log["derivative"]["file"][: -len(".redacted.mp4")] + REPORT_SUFFIX)
    with atomic_output(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    key = keys.load()
    custody.append(
        folder,
        "exported",
        [
            {"name": derivative.name, "role": "derivative", "sha256": log["derivative"]["sha256"]},
            {"name": log_path.name, "role": "log", "sha256": hash_file(log_path)},
            {"name": out.name, "role": "report", "sha256": hash_file(out)},
        ],
        current_operator(),
        key,
        reviewed_at,
        detail=f"court report written; reviewed by {reviewer}",
    )
    return out


def write_reports(paths: list[Path], reviewer: str) -> list[Path]:
    """Reports for every derivative named or found; the first failure raises."""
    return [write_report(log_path, reviewer) for log_path in find_logs(paths)]
