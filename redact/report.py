"""The court report ``NAME.redaction-report.html``: one self-contained, printable page.

It states what was redacted, by what and why, and how to check it: original and derivative
SHA-256, signer fingerprint, tool and model versions with hashes, every parameter, each track
with its time range, kind and reasons, the verification result at the time of the report,
the reviewer, and a contact sheet made from the *redacted derivative* only (never from the
original, which must not leave the evidence store unredacted).
"""

from __future__ import annotations

import base64
import html
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import av
import cv2
import numpy as np

from .geometry import quarter_turns
from .verify import Finding

THUMB_WIDTH = 320


def contact_sheet(derivative: Path, total: int, count: int = 12, start_s: float = 0.0) -> list[tuple[float, str]]:
    """(seconds from ``start_s``, the file's start, base64 JPEG) for ``count`` frames spread over
    the derivative's ``total``."""
    wanted = {round(i * (total - 1) / max(1, count - 1)) for i in range(count)} if total else set()
    out = []
    with av.open(str(derivative)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index not in wanted:
                continue
            k = quarter_turns(int(frame.rotation or 0))
            rgb = np.ascontiguousarray(np.rot90(frame.to_ndarray(format="rgb24"), k))  # as displayed
            h, w = rgb.shape[:2]
            thumb = cv2.resize(rgb, (THUMB_WIDTH, max(1, round(h * THUMB_WIDTH / w))), interpolation=cv2.INTER_AREA)
            _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(thumb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
            seconds = float(frame.pts * frame.time_base) - start_s if frame.pts is not None else 0.0
            out.append((seconds, base64.b64encode(jpeg).decode()))
            if len(out) == len(wanted):
                break
    return out


def track_rows(frames: Iterable, tracks: Iterable, start_s: float = 0.0) -> list[dict]:
    """Per track: id, kind, time range (s from ``start_s``, the file's start, as a player counts),
    frames masked, reasons, from a log's ``regions.frames`` and ``tracks`` (streamed: memory
    grows with tracks, not frames)."""
    listed = [(t["id"], t["kind"], t["first_frame"], t["last_frame"]) for t in tracks]
    wanted = {index for *_, first, last in listed for index in (first, last)}
    times: dict[int, float] = {}  # pts of those frames, where they have regions
    masked: dict[int, Counter] = {}
    span: dict[int, list] = {}  # track -> [pts of its first masked frame, pts of its last]
    added: dict[int, str] = {}  # regions added by the operator (negative ids): not tracks
    for index, pts, entries in frames:
        if index in wanted:
            times[index] = pts
        for entry in entries:
            track = entry[7]
            masked.setdefault(track, Counter())[entry[6]] += 1
            span.setdefault(track, [pts, pts])[1] = pts
            if track < 0:
                added[track] = entry[0]
    listed += [(track, kind, None, None) for track, kind in sorted(added.items(), reverse=True)]
    rows = []
    for track_id, kind, first_frame, last_frame in listed:
        from_s, to_s = (
            None if t is None else t - start_s
            for t in span.get(track_id, [times.get(first_frame), times.get(last_frame)])
        )
        counts = masked.get(track_id, Counter())
        rows.append(
            {
                "id": track_id,
                "kind": kind,
                "from_s": from_s,
                "to_s": to_s,
                "frames": sum(counts.values()),
                "reasons": dict(counts),
            }
        )
    return rows


def _counted(tracks: list[dict]) -> str:
    added = sum(t["id"] < 0 for t in tracks)
    return f"{len(tracks) - added} tracks" + (f" and {added} regions added on review" if added else "")


def _track_label(track: int) -> str:
    """Track ids as people refer to them; the operator's own regions are numbered apart."""
    return str(track) if track >= 0 else f"added region {-track}"


def _streams_rows(derivative: dict) -> str:
    """The timecode carried, and each stream the derivative left out and why (older logs: none)."""
    rows = ""
    if derivative.get("timecode"):
        rows += f"<tr><th>timecode</th><td colspan='2'>{_e(derivative['timecode'])} (the original's)</td></tr>"
    for d in derivative.get("dropped_streams") or []:
        what = ", ".join(str(v) for v in (d.get("codec"), d.get("language")) if v)
        stream = f"stream {d['index']}" if d.get("index") is not None else ""
        label = " ".join(filter(None, [stream, d["type"], f"({what})" if what else ""]))
        rows += f"<tr><th>not carried</th><td colspan='2'>{_e(label)}: {_e(d['why'])}</td></tr>"
    return rows


def _e(value) -> str:
    return html.escape(str(value))


def _time(seconds) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(float(seconds), 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


def render(
    log: dict, tracks: list[dict], seal: dict, findings: list[Finding], sheet: list, reviewer: str, reviewed_at: str
) -> str:
    """The report page; ``log`` is the log's head (``LogReader``), ``tracks`` its ``track_rows``."""
    signature = log.get("signature", {})
    signer = signature.get("fingerprint") or "UNSIGNED (no station key)"
    verdict = "VERIFIED" if all(f.status != "fail" for f in findings) else "VERIFICATION FAILED"
    rows = "".join(
        f"<tr><td>{_track_label(t['id'])}</td><td>{_e(t['kind'])}</td><td>{_time(t['from_s'])}</td><td>{_time(t['to_s'])}</td>"
        f"<td>{t['frames']}</td><td>{_e(', '.join(f'{k}: {v}' for k, v in sorted(t['reasons'].items())))}</td></tr>"
        for t in tracks
    )
    checks = "".join(
        f"<tr class='{f.status}'><td>{f.status.upper()}</td><td>{_e(f.kind)}</td><td>{_e(Path(f.path).name)}</td>"
        f"<td>{_e(f.detail)}</td></tr>"
        for f in findings
    )
    models = "".join(
        f"<tr><td>{_e(d['name'])}</td><td>{_e(d['kind'])}</td><td>{_e(d['model_file'])}</td>"
        f"<td class='hash'>{_e(d['model_sha256'])}</td></tr>"
        for d in log["detectors"]
    )
    thumbs = "".join(
        f"<figure><img alt='frame at {_time(t)}' src='data:image/jpeg;base64,{data}'><figcaption>{_time(t)}</figcaption></figure>"
        for t, data in sheet
    )
    d = log["derivative"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Redaction report: {_e(d["file"])}</title>
<style>
body {{ font: 11pt/1.4 system-ui, sans-serif; margin: 2em; color: #111; }}
h1 {{ font-size: 16pt; margin-bottom: 0; }} h2 {{ font-size: 12pt; border-bottom: 1px solid #999; margin-top: 1.6em; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }}
.hash {{ font-family: monospace; font-size: 9pt; word-break: break-all; }}
.fail td {{ background: #fdd; }} .warn td {{ background: #ffd; }}
.verdict {{ font-weight: bold; font-size: 13pt; }}
figure {{ display: inline-block; margin: 4px; }} figure img {{ width: 240px; border: 1px solid #888; }}
figcaption {{ font-size: 9pt; text-align: center; }}
pre {{ font-size: 9pt; white-space: pre-wrap; background: #f4f4f4; padding: 6px; }}
@media print {{ body {{ margin: 1cm; }} figure {{ page-break-inside: avoid; }} }}
</style></head><body>
<h1>Redaction report</h1>
<p>{_e(d["file"])}, derived from {_e(log["original"]["file"])} by {_e(log["tool"]["name"])} {_e(log["tool"]["version"])}</p>
<p class="verdict">{verdict} at the time of this report</p>
<h2>Files</h2>
<table>
<tr><th>original</th><td>{_e(log["original"]["file"])}</td><td class="hash">{_e(log["original"]["sha256"])}</td></tr>
<tr><th>derivative</th><td>{_e(d["file"])}</td><td class="hash">{_e(d["sha256"])}</td></tr>
<tr><th>sealed</th><td colspan="2">{_e(seal.get("sealed_at"))} by {_e(seal.get("operator"))} ({_e(seal.get("tool"))})</td></tr>
<tr><th>redacted</th><td colspan="2">{_e(log["started_at"])} to {_e(log["finished_at"])} by {_e(log["operator"])}</td></tr>
<tr><th>signed by</th><td colspan="2" class="hash">{_e(signer)}</td></tr>
<tr><th>reviewed</th><td colspan="2">{_e(reviewer)}, {_e(reviewed_at)}</td></tr>
<tr><th>frames</th><td colspan="2">{d["frames"]} frames, {d["width"]}x{d["height"]}, audio: {_e(d["audio"])}</td></tr>
{_streams_rows(d)}
</table>
<h2>Verification</h2>
<table><tr><th>result</th><th>kind</th><th>file</th><th>detail</th></tr>{checks}</table>
<h2>What was redacted</h2>
<p>{log["regions"]["total"]} regions in {log["regions"]["frames_with_regions"]} frames, {_counted(tracks)}.
Reasons: {_e("; ".join(f"{k}: {v}" for k, v in log["regions"]["reasons"].items()))}.</p>
<p>Times count from the start of the clip, as a player shows them.</p>
<table><tr><th>track</th><th>kind</th><th>from</th><th>to</th><th>frames masked</th><th>why</th></tr>{rows}</table>
<h2>Tools and models</h2>
<table><tr><th>detector</th><th>kind</th><th>model file</th><th>SHA-256</th></tr>{models}</table>
<h2>Parameters</h2>
<pre>{_e(json.dumps(log["parameters"], indent=2))}</pre>
<h2>Contact sheet (frames of the redacted derivative)</h2>
{thumbs}
<h2>How to check this report</h2>
<p>Run <code>redact verify {_e(d["file"])}</code> beside the files, or compute SHA-256 of each file and compare
with the values above. Signatures are Ed25519 over canonical JSON; the signer's public key is embedded in each
signature and its fingerprint must match the station key published by the force.</p>
</body></html>
"""
