"""``NAME.ext.transcript.json``: what was said in a clip, kept with its records.

It holds personal data (the names, addresses and numbers a disclosure withholds), so it is
written once, beside the seal (or in the case folder), signed, made read-only and named by
SHA-256 in the custody log ("transcribed"), and nowhere else: logs, reports and derivatives
give bleeped ranges by time and reason only. It names the sealed original by SHA-256 and is
refused against other bytes, or when altered after it was written: by its signature, or, on a
station without a key, by the SHA-256 the custody log recorded when it was written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import __version__
from ..errors import BadInputError, SealMismatchError
from ..evidence import custody
from ..evidence.hashing import hash_file
from ..evidence.seal import utc_iso
from ..evidence.trust import Trust, judge, require, require_custody, station_trust
from ..i18n import N_
from .transcript import Transcript

TRANSCRIPT_FORMAT = "redact.transcript/1"


def write_transcript(
    path: Path, transcript: Transcript, original: Path, original_sha256: str, records: Path, key, operator: str
) -> str:
    """Write ``transcript`` atomically, signed and read-only; custody "transcribed". Its SHA-256."""
    now = utc_iso()
    document = {
        "format": TRANSCRIPT_FORMAT,
        "original": {"file": os.path.relpath(original, path.parent), "sha256": original_sha256},
        "created_at": now,
        "operator": operator,
        "tool": f"redact {__version__}",
        **transcript.as_document(),
    }
    words, by = len(transcript.words), transcript.model.get("name", "?")
    detail = f"{words} words in {transcript.duration_s:.1f} s of audio by {by}"  # never what was said
    return custody.write_recorded(
        path, document, N_("the transcript"), records, "transcribed", "transcript", operator, key, now, detail, True
    )


def read_transcript(path: Path, original: Path, original_sha256: str, trust: Trust | None = None) -> Transcript:
    """The transcript at ``path``; refused when altered after it was written (exit 3) or made
    from other bytes than the sealed original's (exit 2)."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise BadInputError(
            N_("no transcript {name}"), original, hint=N_("run `redact transcribe` on the clip first"), name=path.name
        ) from exc
    except (OSError, ValueError) as exc:
        raise BadInputError(
            N_("{name} is not a readable transcript ({error})"), original, name=path.name, error=exc
        ) from exc
    if not isinstance(document, dict) or document.get("format") != TRANSCRIPT_FORMAT:
        raise BadInputError(N_("{name} is not a transcript"), original, name=path.name)
    trust = trust or station_trust().for_folder(path.parent)
    verdict = judge(document, trust)
    hint = N_("transcribe the clip again (`redact transcribe --force`)")
    if verdict.status == "altered":
        raise SealMismatchError(
            N_("transcript {name} was altered after it was written ({reason})"),
            original,
            hint=hint,
            name=path.name,
            reason=verdict.reason,
        )
    require(document, trust, N_("transcript {name}", name=path.name), original, hint=hint)
    # unsigned: nothing to check it by but the hash its custody entry recorded
    require_custody(
        path, "transcript", "transcribed", hash_file(path), original, hint, trust, verdict.status == "unsigned"
    )
    named = document.get("original")
    if not isinstance(named, dict) or named.get("sha256") != original_sha256:
        raise BadInputError(
            N_("transcript {name} was made from another file than this original"),
            original,
            hint=N_("transcribe this clip again (`redact transcribe --force`)"),
            name=path.name,
        )
    try:
        return Transcript.from_document(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInputError(
            N_("transcript {name} is incomplete ({error})"), original, name=path.name, error=exc
        ) from exc
