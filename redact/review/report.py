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

from ..detect.runtime import device_names
from ..evidence.redaction_log import REASONS
from ..evidence.verify import Finding, kind_name
from ..geometry import quarter_turns
from ..i18n import N_, _, current, from_record, named, ngettext, number, shown
from ..i18n import when as written_when
from ..pipeline.subject_list import counts_line
from ..speech.withhold import reason_said

THUMB_WIDTH = 320
# the log's codes, as the report names them in the reader's language (the log keeps the codes)
REASON_NAMES = {
    "detected": N_("detected"),
    "interpolated": N_("interpolated"),
    "coasted": N_("coasted"),
    "back-filled": N_("back-filled"),
    "added": N_("added"),
    "whole picture": N_("whole picture"),
}
DETECTION_KINDS = {"face": N_("face"), "plate": N_("plate"), "operator": N_("operator"), "picture": N_("picture")}
STATUS_NAMES = {"ok": N_("OK"), "warn": N_("WARNING"), "fail": N_("FAILED")}


def said(record, english: str) -> str:
    """What a log says in words, in the reader's language: the message it kept beside the English
    (``as_record``) where that is a message of ours and says what the English says; else the
    English, translated where it is a fixed message."""
    kept = from_record(record) if record is not None else None
    if kept is None or str(kept) != str(english):  # only what the signed English says, and only ours
        return _(str(english))
    return str(shown(kept))


def reason_meaning(code: str, recorded: str) -> str:
    """What a reason means, as the log recorded it: translated where it is the wording this
    version records, else as the (older or newer) log words it."""
    return shown(REASONS[code]) if code in REASONS and str(REASONS[code]) == recorded else recorded


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


def padding(params: dict) -> str:
    """How a log's spoken ranges were padded, in words (older logs: one margin for all)."""
    margin = params.get("bleep_margin", 0.5)
    if margin is None:
        return _("0.25 s around listed words, 0.5 s around numbers, dates and the other patterns")
    return _("{margin} s").format(margin=margin)


def track_rows(frames: Iterable, tracks: Iterable, start_s: float = 0.0) -> list[dict]:
    """Per track: id, kind, time range (s from ``start_s``, the file's start, as a player counts),
    frames masked, reasons, the models that found its detections (how many each), from a log's
    ``regions.frames`` and ``tracks`` (streamed: memory
    grows with tracks, not frames). Regions added on review come after the tracks, by their
    negative ids: the boxes drawn (kind operator, -1, -2...), then whole pictures (kind
    picture, numbered on from the boxes); they are not tracks."""
    listed, found_by = [], {}
    for t in tracks:
        listed.append((t["id"], t["kind"], t["first_frame"], t["last_frame"]))
        found_by[t["id"]] = t.get("models", {})  # none in analyses made before model attribution
    wanted = {index for *_, first, last in listed for index in (first, last)}
    times: dict[int, float] = {}  # pts of those frames, where they have regions
    masked: dict[int, Counter] = {}
    span: dict[int, list] = {}  # track -> [pts of its first masked frame, pts of its last]
    added: dict[int, str] = {}  # regions added on review (negative ids) -> their kind
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
                "models": found_by.get(track_id, {}),
            }
        )
    return rows


def subject_rows(rows: list[dict], log: dict) -> None:
    """Give each track row its subject (the tracks of one face or plate, linked: the items the
    review listed) from the log's ``subjects``, and order the rows by subject: each subject's
    tracks under it. Logs made before subjects keep one row per track."""
    subjects = (log.get("subjects") or {}).get("list") or []
    of = {t: s for s in subjects for t in s.get("tracks", [])}
    for row in rows:
        subject = of.get(row["id"])
        if subject is not None:
            row["subject"] = {
                "id": subject["id"],
                "confident": subject.get("confident", True),
                "tracks": subject["tracks"],
            }
    rows.sort(key=lambda r: (r["id"] < 0, r.get("subject", {}).get("id", r["id"]), r["id"] < 0 or r["id"]))


def kept_spans(frames: Iterable, ids: Iterable[int]) -> dict[int, tuple[float, float]]:
    """Track id -> (pts of its first region, pts of its last) for the tracks ``ids``, from an
    analysis's ``regions.frames`` (streamed): when a track kept visible would have been masked,
    which the derivative's log, having no region of it, cannot say."""
    ids = set(ids)
    spans: dict[int, list[float]] = {}
    for _index, pts, entries in frames:
        for entry in entries:
            if entry[7] in ids:
                spans.setdefault(entry[7], [pts, pts])[1] = pts
    return {track: (first, last) for track, (first, last) in spans.items()}


def _counted(tracks: list[dict]) -> str:
    pictures = sum(t["kind"] == "picture" for t in tracks if t["id"] < 0)
    added = sum(t["id"] < 0 for t in tracks) - pictures
    counted = len(tracks) - added - pictures
    parts = [ngettext("{n} track", "{n} tracks", counted).format(n=counted)]
    if added:
        parts.append(ngettext("{n} region added on review", "{n} regions added on review", added).format(n=added))
    if pictures:
        parts.append(ngettext("{n} whole-picture range", "{n} whole-picture ranges", pictures).format(n=pictures))
    if len(parts) == 1:
        return parts[0]
    return _("{some} and {last}").format(some=", ".join(parts[:-1]), last=parts[-1])


def _track_label(track: int, kind: str = "", regions_added: int = 0) -> str:
    """Track ids as people refer to them; regions added on review are numbered apart: the
    boxes drawn from 1, whole pictures from 1 after them (their ids follow the boxes')."""
    if track >= 0:
        return str(track)
    if kind == "picture":
        return _("whole picture {n}").format(n=-track - regions_added)
    return _("added region {n}").format(n=-track)


def _streams_rows(derivative: dict) -> str:
    """The timecode carried, and each stream the derivative left out and why (older logs: none)."""
    rows = ""
    if derivative.get("timecode"):
        label, carried = _("timecode"), _("{timecode} (the original's)").format(timecode=derivative["timecode"])
        rows += f"<tr><th>{_e(label)}</th><td colspan='2'>{_e(carried)}</td></tr>"
    for d in derivative.get("dropped_streams") or []:
        what = ", ".join(str(v) for v in (d.get("codec"), d.get("language")) if v)
        stream = _("stream {n}").format(n=d["index"]) if d.get("index") is not None else ""
        label = " ".join(filter(None, [stream, d["type"], f"({what})" if what else ""]))
        carried = _("not carried")
        rows += (
            f"<tr><th>{_e(carried)}</th><td colspan='2'>{_e(label)}: {_e(said(d.get('why_said'), d['why']))}</td></tr>"
        )
    return rows


def style_name(style: str) -> str:
    names = {"solid": _("blacked out"), "blur": _("blurred"), "pixelate": _("pixelated")}
    return names.get(style, style)


def action_name(action: str) -> str:
    names = {"mute": _("muted (silence)"), "bleep": _("bleeped (1 kHz tone)")}
    return names.get(action, action)


def review_decisions(log: dict) -> dict:
    """The log's review decisions, as the report lists them: its ``decisions`` member, or in a
    log written before decisions were recorded, what its parameters asked for (``recorded``
    false: no reason or reviewer was kept for them)."""
    decided = log.get("decisions")
    if decided is not None:
        return {**decided, "recorded": True}
    params = log.get("parameters", {})
    action = params.get("audio_redaction") or "mute"
    return {
        "keep_tracks": [{"track": t, "reason": "", "reviewer": ""} for t in params.get("keep_tracks") or []],
        "add_regions": [{"keys": keys, "reason": ""} for keys in params.get("add_regions") or []],
        "redact_pictures": [],
        "audio": [{"start": a, "end": b, "action": action, "reason": ""} for a, b in params.get("mute_ranges") or []],
        "reviewer": None,
        "updated_at": None,
        "recorded": False,
    }


def _probability(spoken: dict) -> str:
    p = spoken.get("language_probability")
    return number(p, decimals=3) if isinstance(p, int | float) else str(p)


def _reason(text: str, flag: str, recorded: bool = False) -> str:
    """A decision's reason; an empty one is said to be missing, and where it came from only when
    the log is older than recorded decisions (then it can only have been that flag)."""
    if text:
        return _e(shown(reason_said(text)))
    missing = _("no reason recorded") if recorded else _("not recorded (given as {flag})").format(flag=flag)
    return f"<span class='none'>{_e(missing)}</span>"


def _none(text: str) -> str:
    return f"<p class='none'>{_e(text)}</p>"


def _p(text: str) -> str:
    return f"<p>{_e(text)}</p>"


def _h3(text: str) -> str:
    return f"<h3>{_e(text)}</h3>"


def _heads(names: list[str]) -> str:
    """A table's header row."""
    return "<tr>" + "".join(f"<th>{_e(name)}</th>" for name in names) + "</tr>"


def kept_with(track: int) -> str:
    return _("kept with track {track}: the same face or plate (its subject, or a turned copy of it)").format(
        track=track
    )


def _box(key) -> str:
    return ", ".join(f"{v:g}" for v in key[2:6])


def _keys(keys: list) -> str:
    """A region's box: one key as it stands, or each key of a moving box with its time."""
    if len(keys) == 1:
        return _box(keys[0])
    lines = []
    for start, end, *box in keys:
        span = _time(start) if start == end else _("{start} to {end}").format(start=_time(start), end=_time(end))
        lines.append(f"{span}: {_box([start, end, *box])}")
    return _e(_("moving, in straight lines between")) + "<br>" + "<br>".join(lines)


def _lines(joined: str) -> str:
    """A detector's model files (or their hashes), comma-joined in the log, one a line: a clerk
    reads which hash is which file's."""
    return "<br>".join(_e(part) for part in joined.split(","))


def _ran_on(detector: dict) -> str:
    """Where a detector's models ran, as its log entry says ("CPU", "CUDA"); logs from before it
    was recorded say nothing."""
    return device_names(detector.get("providers", []))


def _decisions_section(log: dict, tracks: list[dict]) -> str:
    """Every review decision with its reason, who made it and when; kept tracks by id, kind,
    time range and frames left visible only (nothing else that could identify the person)."""
    decided = review_decisions(log)
    by_id = {t["id"]: t for t in tracks}
    visible = log["derivative"].get("kept_tracks") or {}
    regions_added = len(decided["add_regions"])
    parts = []
    if not decided["recorded"]:
        older = _(
            "This log was written before review decisions were recorded: what follows is what the run's"
            " parameters asked for, given by {operator}; no reason or reviewer was recorded."
        )
        parts.append(f"<p>{_e(older.format(operator=log.get('operator')))}</p>")
    elif decided.get("reviewer") or decided.get("updated_at"):
        source = decided.get("source")
        where = (
            _(" in {file} (its SHA-256 is under Files)").format(file=source["file"])
            if source
            else _(", given as options to the render (no decisions file)")
        )
        saved = (
            _(", last saved {time}").format(time=written_when(decided["updated_at"]))
            if decided.get("updated_at")
            else ""
        )
        by = decided.get("reviewer") or _("no one named")
        parts.append(_p(_("Decided by {reviewer}{saved}{where}.").format(reviewer=by, saved=saved, where=where)))
    parts.append(_h3(_("Tracks left visible")))
    if decided["keep_tracks"]:
        companions: dict[int, list[tuple[int, int]]] = {}  # kept track -> [(track kept with it, frames)]
        for t, w in sorted((log["derivative"].get("kept_with") or {}).items(), key=lambda kv: int(kv[0])):
            companions.setdefault(w["track"], []).append((int(t), w["frames"]))

        def subject(track: int) -> str:
            s = by_id.get(track, {}).get("subject")
            return _e(s["id"]) if s else "-"

        rows = ""
        for kept in decided["keep_tracks"]:
            row = by_id.get(kept["track"], {})
            left = visible.get(str(kept["track"]), "-")
            rows += (
                f"<tr><td>{subject(kept['track'])}</td><td>{_e(kept['track'])}</td><td>{_e(named(DETECTION_KINDS, row.get('kind', '-')))}</td><td>{_time(row.get('from_s'))}</td>"
                f"<td>{_time(row.get('to_s'))}</td><td>{_e(left)}</td><td>{_reason(kept['reason'], '--keep-tracks', decided['recorded'])}</td>"
                f"<td>{_e(kept.get('reviewer') or decided.get('reviewer') or '-')}</td></tr>"
            )
            for track, frames in companions.get(kept["track"], []):
                other = by_id.get(track, {})
                rows += (
                    f"<tr><td>{subject(track)}</td><td>{_e(track)}</td><td>{_e(named(DETECTION_KINDS, other.get('kind', '-')))}</td><td>{_time(other.get('from_s'))}</td>"
                    f"<td>{_time(other.get('to_s'))}</td><td>{_e(frames)}</td><td>{_e(kept_with(kept['track']))}</td><td>-</td></tr>"
                )
        heads = [_("subject"), _("track"), _("kind"), _("from"), _("to"), _("frames left visible"), _("reason")]
        heads.append(_("decided by"))
        parts.append(f"<table>{_heads(heads)}{rows}</table>")
    else:
        parts.append(_none(_("None: every track found is masked.")))
    parts.append(_h3(_("Regions added")))
    if decided["add_regions"]:
        rows = ""
        for n, region in enumerate(decided["add_regions"], 1):
            keys = region["keys"]
            masked = by_id.get(-n, {}).get("frames", 0)
            rows += (
                f"<tr><td>{_e(_track_label(-n))}</td><td>{_time(keys[0][0])}</td><td>{_time(keys[-1][1])}</td>"
                f"<td>{_keys(keys)}</td><td>{masked}</td><td>{_reason(region['reason'], '--add-regions', decided['recorded'])}</td></tr>"
            )
        heads = [_("region"), _("from"), _("to"), _("box (x0, y0, x1, y1 in pixels as shown)"), _("frames masked")]
        heads.append(_("reason"))
        parts.append(f"<table>{_heads(heads)}{rows}</table>")
    else:
        parts.append(_none(_("None.")))
    parts.append(_h3(_("Whole pictures obscured")))
    if decided["redact_pictures"]:
        rows = ""
        for n, picture in enumerate(decided["redact_pictures"], 1):
            masked = by_id.get(-(regions_added + n), {}).get("frames", 0)
            style = style_name(picture["style"])
            rows += (
                f"<tr><td>{_e(_track_label(-(regions_added + n), 'picture', regions_added))}</td>"
                f"<td>{_time(picture['start'])}</td><td>{_time(picture['end'])}</td>"
                f"<td>{_e(style)}</td><td>{masked}</td><td>{_reason(picture['reason'], '--redact-frames', decided['recorded'])}</td></tr>"
            )
        heads = [_("range"), _("from"), _("to"), _("style"), _("frames obscured"), _("reason")]
        parts.append(f"<table>{_heads(heads)}{rows}</table>")
    else:
        parts.append(_none(_("None.")))
    parts.append(_h3(_("Audio")))
    if log.get("parameters", {}).get("mute"):
        parts.append(_p(_("The whole soundtrack is muted (--mute).")))
    spoken = log.get("transcript")
    if spoken:  # which transcript the spoken ranges came from, and what was asked; never the words
        params = log.get("parameters", {})
        entries = params.get("bleep_words") or 0
        asked = ngettext("{n} word list entry", "{n} word list entries", entries).format(n=entries)
        patterns = ", ".join(params.get("bleep_patterns") or []) or _("none")
        language = spoken.get("language")
        heard = (
            _(" in language {language} (heard: {heard}, probability {p})").format(
                language=language, heard=spoken.get("language_heard") or "-", p=_probability(spoken)
            )
            if language
            else ""
        )
        withheld = _(
            "Spoken words withheld: {asked}, patterns: {patterns}; found in the transcript {file} (SHA-256 {sha256},"
            " {words} words, by {model}{heard}), each range padded by {padding}. The speech model misses and"
            " mishears words: what it did not write down is not bleeped, so the audio was to be listened to in review."
        ).format(
            asked=_e(asked),
            patterns=_e(patterns),
            file=_e(spoken.get("file", "")),
            sha256=f"<code>{_e(spoken.get('sha256', ''))}</code>",
            words=_e(spoken.get("words", 0)),
            model=_e(spoken.get("model") or "?"),
            heard=_e(heard),
            padding=_e(padding(params)),
        )
        parts.append(f"<p>{withheld}</p>")
    warned = _("Warning:")
    kept = log.get("warnings_said") if isinstance(log.get("warnings_said"), list) else []
    for n, warning in enumerate(log.get("warnings") or []):
        record = kept[n] if n < len(kept) else None
        parts.append(f"<p class='warning'><b>{_e(warned)}</b> {_e(said(record, warning))}</p>")
    if decided["audio"]:
        rows = "".join(
            f"<tr><td>{_time(a['start'])}</td><td>{_time(a['end'])}</td><td>{_e(action_name(a['action']))}</td>"
            f"<td>{_reason(a['reason'], '--mute-ranges', decided['recorded'])}</td></tr>"
            for a in decided["audio"]
        )
        heads = _heads([_("from"), _("to"), _("action"), _("reason")])
        parts.append(f"<table>{heads}{rows}</table>")
    elif not log.get("parameters", {}).get("mute"):
        parts.append(_none(_("None: the audio is as recorded.")))
    return "\n".join(parts)


def _provenance_rows(log: dict) -> str:
    """The analysis the derivative was rendered from and the decisions file applied (newer logs)."""
    rows = ""
    analysis = log.get("analysis")
    if analysis:
        signer = analysis.get("signer") or _("UNSIGNED (no station key)")
        analysed = _("{time}, signed by {signer}").format(
            time=_e(written_when(analysis.get("started_at")) or "-"), signer=f"<span class='hash'>{_e(signer)}</span>"
        )
        labels = _("analysis"), _("analysed")
        rows += (
            f"<tr><th>{_e(labels[0])}</th><td>{_e(analysis.get('file'))}</td>"
            f"<td class='hash'>{_e(analysis.get('sha256'))}</td></tr>"
            f"<tr><th>{_e(labels[1])}</th><td colspan='2'>{analysed}</td></tr>"
        )
    decided = log.get("decisions")
    if decided is not None:
        source = decided.get("source")
        label = _("decisions")
        if source:
            rows += (
                f"<tr><th>{_e(label)}</th><td>{_e(source.get('file'))}</td>"
                f"<td class='hash'>{_e(source.get('sha256'))}</td></tr>"
            )
        else:
            made = (
                _("given as options to the render (no decisions file)")
                if any(decided.get(k) for k in ("keep_tracks", "add_regions", "redact_pictures", "audio"))
                else _("none (no decisions file)")
            )
            rows += f"<tr><th>{_e(label)}</th><td colspan='2'>{_e(made)}</td></tr>"
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
    signer = signature.get("fingerprint") or _("UNSIGNED (no station key)")
    if any(f.status == "fail" for f in findings):
        verdict = _("VERIFICATION FAILED")
    elif not signature.get("fingerprint") or any(f.status == "warn" for f in findings):
        verdict = _(
            "NOT VERIFIED BY SIGNATURE: the hashes match, but unsigned files prove nothing against anyone who could"
            " write to them"
        )
    else:
        verdict = _("VERIFIED")
    decided = review_decisions(log)
    regions_added = len(decided["add_regions"])
    kept = {k["track"] for k in decided["keep_tracks"]}
    kept |= {int(t) for t in log["derivative"].get("kept_with") or {}}  # kept with their subject

    def why(t: dict) -> str:
        reasons = _e(", ".join(f"{named(REASON_NAMES, k)}: {v}" for k, v in sorted(t["reasons"].items())))
        return "; ".join(filter(None, [reasons, _e(_("left visible on review")) if t["id"] in kept else ""]))

    def found_by(t: dict) -> str:
        return _e(", ".join(f"{m} ({n})" for m, n in sorted(t.get("models", {}).items())))

    def subject(t: dict) -> str:
        s = t.get("subject")
        if s is None:
            return "-"
        sure = "" if s["confident"] else _e(_(" (uncertain)"))
        if len(s["tracks"]) == 1:
            return f"{_e(s['id'])}{sure}"
        return f"{_e(s['id'])}{sure}, " + _e(
            ngettext("{n} track", "{n} tracks", len(s["tracks"])).format(n=len(s["tracks"]))
        )

    rows = "".join(
        f"<tr><td>{subject(t)}</td><td>{_e(_track_label(t['id'], t['kind'], regions_added))}</td><td>{_e(named(DETECTION_KINDS, t['kind']))}</td>"
        f"<td>{_time(t['from_s'])}</td><td>{_time(t['to_s'])}</td><td>{t['frames']}</td><td>{why(t)}</td>"
        f"<td>{found_by(t)}</td></tr>"
        for t in tracks
    )

    reasons = "".join(
        f"<li><b>{_e(named(REASON_NAMES, k))}</b>: {_e(reason_meaning(k, v))}</li>"
        for k, v in log["regions"]["reasons"].items()
    )
    checks = "".join(
        f"<tr class='{f.status}'><td>{_e(named(STATUS_NAMES, f.status))}</td><td>{_e(kind_name(f.kind))}</td>"
        f"<td>{_e(Path(f.path).name)}</td><td>{_e(shown(f.detail))}</td></tr>"
        for f in findings
    )
    models = "".join(
        f"<tr><td>{_e(d['name'])}</td><td>{_e(named(DETECTION_KINDS, d['kind']))}</td><td>{_lines(d['model_file'])}</td>"
        f"<td class='hash'>{_lines(d['model_sha256'])}</td><td>{_e(_ran_on(d))}</td></tr>"
        for d in log["detectors"]
    )
    frame_at = _("frame at")
    thumbs = "".join(
        f"<figure><img alt='{_e(frame_at)} {_time(t)}' src='data:image/jpeg;base64,{data}'><figcaption>{_time(t)}</figcaption></figure>"
        for t, data in sheet
    )
    d = log["derivative"]
    T = {
        "title": _("Redaction report"),
        "derived": _("{derivative}, derived from {original} by {tool} {version}").format(
            derivative=d["file"],
            original=log["original"]["file"],
            tool=log["tool"]["name"],
            version=log["tool"]["version"],
        ),
        "verdict": _("{verdict} at the time of this report").format(verdict=verdict),
        "files": _("Files"),
        "original": _("original"),
        "derivative": _("derivative"),
        "sealed": _("sealed"),
        "sealed_by": _("{time} by {operator} ({tool})").format(
            time=written_when(seal.get("sealed_at")), operator=seal.get("operator"), tool=seal.get("tool")
        ),
        "redacted": _("redacted"),
        "redacted_by": _("{start} to {end} by {operator}").format(
            start=written_when(log["started_at"]), end=written_when(log["finished_at"]), operator=log["operator"]
        ),
        "signed": _("signed by"),
        "reviewed": _("reviewed"),
        "reviewed_by": _("{reviewer} (for this report), {time}").format(
            reviewer=reviewer, time=written_when(reviewed_at)
        ),
        "frames": _("frames"),
        "frames_are": _("{frames} frames, {width}x{height}, audio: {audio}").format(
            frames=d["frames"], width=d["width"], height=d["height"], audio=said(d.get("audio_said"), d["audio"])
        ),
        "verification": _("Verification"),
        "checks": _heads([_("result"), _("kind"), _("file"), _("detail")]),
        "what": _("What was redacted"),
        "regions": _("{regions} regions in {frames} frames, {counted}.").format(
            regions=log["regions"]["total"], frames=log["regions"]["frames_with_regions"], counted=_counted(tracks)
        ),
        "subjects": _("Reviewed as {counts}: the tracks of one face or plate are one subject.").format(
            counts=counts_line(log.get("subjects"))
        )
        if log.get("subjects")
        else "",
        "times": _(
            "Times here and below count from the start of the clip, as a player shows them; in this table, from and"
            " to are when the first and the last frame masked are shown (review decisions give the span decided)."
        ),
        "reasons": _("Reasons a region is masked:"),
        "tracks": _heads(
            [
                _("subject"),
                _("track"),
                _("kind"),
                _("from"),
                _("to"),
                _("frames masked"),
                _("why"),
                _("found by (detections)"),
            ]
        ),
        "decisions": _("Review decisions"),
        "tools": _("Tools and models"),
        "models": _heads([_("detector"), _("kind"), _("model file"), _("SHA-256"), _("ran on")]),
        "parameters": _("Parameters"),
        "sheet": _("Contact sheet (frames of the redacted derivative)"),
        "how": _("How to check this report"),
        "check": _(
            "Run {command} beside the files, or compute SHA-256 of each file and compare with the values above."
            " Signatures are Ed25519 over canonical JSON; the signer's public key is embedded in each signature and"
            " its fingerprint must match the station key published by the force."
        ).format(command=f"<code>redact verify {_e(d['file'])}</code>"),
    }
    T["trust"] = _(
        "Trust policy: a station with a key acts only on records (seal, analysis, decisions, transcript, log, custody"
        " entries) signed by its own key or by a station key it was told to trust; an unsigned record, or one signed by"
        " any other key, is refused and fails verification, so nobody who can write to the evidence folder but holds no"
        " key can change what is masked. The custody log is the case's index: every file it records must still be there"
        " with the hash it recorded, and its signed head shows whether entries were cut from its end. Without a station"
        " key, records are unsigned and protected by their hashes only; this report then does not say VERIFIED."
    )
    T = {k: v if k in ("checks", "tracks", "models", "check") else _e(v) for k, v in T.items()}
    return f"""<!doctype html>
<html lang="{current()}"><head><meta charset="utf-8"><title>{T["title"]}: {_e(d["file"])}</title>
<style>
body {{ font: 11pt/1.4 system-ui, sans-serif; margin: 2em; color: #111; }}
h1 {{ font-size: 16pt; margin-bottom: 0; }} h2 {{ font-size: 12pt; border-bottom: 1px solid #999; margin-top: 1.6em; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }}
.hash {{ font-family: monospace; font-size: 9pt; word-break: break-all; }}
.fail td {{ background: #fdd; }} .warn td {{ background: #ffd; }}
.verdict {{ font-weight: bold; font-size: 13pt; }} .warning {{ background: #ffd; padding: 4px; }}
h3 {{ font-size: 11pt; margin: 1.2em 0 0.3em; }} .none {{ color: #555; }} ul.reasons {{ margin: 0.3em 0; }}
figure {{ display: inline-block; margin: 4px; }} figure img {{ width: 240px; border: 1px solid #888; }}
figcaption {{ font-size: 9pt; text-align: center; }}
pre {{ font-size: 9pt; white-space: pre-wrap; background: #f4f4f4; padding: 6px; }}
@media print {{ body {{ margin: 1cm; }} figure {{ page-break-inside: avoid; }} }}
</style></head><body>
<h1>{T["title"]}</h1>
<p>{T["derived"]}</p>
<p class="verdict">{T["verdict"]}</p>
<h2>{T["files"]}</h2>
<table>
<tr><th>{T["original"]}</th><td>{_e(log["original"]["file"])}</td><td class="hash">{_e(log["original"]["sha256"])}</td></tr>
<tr><th>{T["derivative"]}</th><td>{_e(d["file"])}</td><td class="hash">{_e(d["sha256"])}</td></tr>
<tr><th>{T["sealed"]}</th><td colspan="2">{T["sealed_by"]}</td></tr>
<tr><th>{T["redacted"]}</th><td colspan="2">{T["redacted_by"]}</td></tr>
<tr><th>{T["signed"]}</th><td colspan="2" class="hash">{_e(signer)}</td></tr>
{_provenance_rows(log)}
<tr><th>{T["reviewed"]}</th><td colspan="2">{T["reviewed_by"]}</td></tr>
<tr><th>{T["frames"]}</th><td colspan="2">{T["frames_are"]}</td></tr>
{_streams_rows(d)}
</table>
<h2>{T["verification"]}</h2>
<table>{T["checks"]}{checks}</table>
<h2>{T["what"]}</h2>
<p>{T["regions"]}</p>
{f"<p>{T['subjects']}</p>" if T["subjects"] else ""}
<p>{T["times"]}</p>
<p>{T["reasons"]}</p>
<ul class="reasons">{reasons}</ul>
<table>{T["tracks"]}{rows}</table>
<h2>{T["decisions"]}</h2>
{_decisions_section(log, tracks)}
<h2>{T["tools"]}</h2>
<table>{T["models"]}{models}</table>
<h2>{T["parameters"]}</h2>
<pre>{_e(json.dumps(log["parameters"], indent=2))}</pre>
<h2>{T["sheet"]}</h2>
{thumbs}
<h2>{T["how"]}</h2>
<p>{T["check"]}</p>
<p>{T["trust"]}</p>
</body></html>
"""
