"""``batch-report.json`` and ``batch-report.html``: every clip, its outcome, time and hashes."""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path

from ..errors import writing
from ..evidence.atomic import atomic_output
from ..evidence.seal import utc_iso
from ..i18n import N_, _, current, ngettext, number, when
from .state import ClipRow

JSON_NAME, HTML_NAME = "batch-report.json", "batch-report.html"


def summary(rows: list[ClipRow]) -> dict:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return {
        "clips": len(rows),
        "by_status": counts,
        "frames": sum(r.frames or 0 for r in rows),
        "seconds": round(sum(r.seconds or 0 for r in rows if r.status == "done"), 1),
    }


def reported(row: dict) -> dict:
    """A clip row as the reports give it: no parameters; the words its request bleeps counted,
    never listed (they are personal data; the manifest and the batch state hold them)."""
    row = {k: v for k, v in row.items() if k != "parameters"}
    job = row.get("job")
    if isinstance(job, dict) and job.get("bleep_words"):
        row["job"] = {**job, "bleep_words": len(job["bleep_words"])}
    return row


def write_reports(folder: Path, source: Path, state: Path, rows: list[ClipRow]) -> list[Path]:
    """Write both reports into ``folder``; ``StorageError`` when the storage refuses them."""
    data = {
        "format": "redact.batch-report/1",
        "written_at": utc_iso(),
        "source": str(source),
        "state": str(state),
        "summary": summary(rows),
        "clips": [reported(asdict(r)) for r in rows],
    }
    json_path, html_path = folder / JSON_NAME, folder / HTML_NAME
    with writing(folder, N_("the batch report")):
        with atomic_output(json_path) as tmp:
            tmp.write_text(json.dumps(data, indent=2) + "\n")
        with atomic_output(html_path) as tmp:
            tmp.write_text(render_html(data))
    return [json_path, html_path]


def reused_note() -> str:
    return _("rendered from the clip's earlier analysis (no detection ran)")


def notes(clip: dict) -> str:
    """A clip row's last column: its error, or what a done clip should still say."""
    said = [reused_note()] if clip.get("analysis_reused") and clip["status"] == "done" else []
    return "; ".join([*said, *([clip["error"]] if clip.get("error") else [])])


def status_name(status: str) -> str:
    """A clip's status as the report shows it (the JSON keeps the English key)."""
    names = {"done": _("done"), "failed": _("failed"), "running": _("running"), "pending": _("pending")}
    return names.get(status, status)


def render_html(data: dict) -> str:
    """The report page, in the interface language (``redact.i18n``)."""
    e = html.escape
    colour = {"done": "#2a7", "failed": "#c33", "running": "#c80", "pending": "#888"}
    rows = []
    for c in data["clips"]:
        seconds = "" if c["seconds"] is None else number(c["seconds"], decimals=1)
        rows.append(
            "<tr>"
            f"<td>{e(Path(c['path']).name)}</td>"
            f"<td style='color:{colour.get(c['status'], '#000')}'><b>{e(status_name(c['status']))}</b></td>"
            f"<td>{number(c['frames']) if c['frames'] else ''}</td><td>{e(c.get('found') or '')}</td>"
            f"<td>{number(c['regions']) if c['regions'] is not None else ''}</td>"
            f"<td>{seconds}</td>"
            f"<td>{c['attempts']}</td>"
            f"<td class='h'>{e(c['original_sha256'] or '')}</td>"
            f"<td class='h'>{e(c['derivative_sha256'] or '')}</td>"
            f"<td>{e(notes(c))}</td>"
            "</tr>"
        )
    s = data["summary"]
    counts = ", ".join(f"{status_name(k)}: {number(v)}" for k, v in sorted(s["by_status"].items()))
    clips = ngettext("{n} clip", "{n} clips", s["clips"]).format(n=number(s["clips"]))
    totals = _("{clips} ({counts}), {frames} frames, {seconds} s of redaction.").format(
        clips=f"<b>{e(clips)}</b>",
        counts=e(counts),
        frames=number(s["frames"]),
        seconds=number(s["seconds"], decimals=1),
    )
    heads = [
        _("clip"), _("status"), _("frames"), _("to review"), _("regions"), _("seconds"), _("attempts"),
        _("original SHA-256"), _("derivative SHA-256"), _("error / notes"),
    ]  # fmt: skip
    source, state, written = _("Source"), _("State"), _("Written")  # marked outside f-strings: extracted
    where = (
        f"{e(source)}: {e(data['source'])}<br>{e(state)}: {e(data['state'])}<br>"
        f"{e(written)}: {e(when(data['written_at']))}"
    )
    title = _("redact batch report")
    return f"""<!doctype html>
<html lang="{current()}"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}}
.h{{font:11px monospace;word-break:break-all;max-width:22em}}</style></head><body>
<h1>{e(title)}</h1>
<p>{where}</p>
<p>{totals}</p>
<table><tr>{"".join(f"<th>{e(h)}</th>" for h in heads)}</tr>
{"".join(rows)}
</table></body></html>
"""
