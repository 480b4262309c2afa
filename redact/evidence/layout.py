"""Where a clip's records and outputs live: seal, custody log, derivative, redaction log.

Every output is named after the original's whole file name (``clip.mov`` gives
``clip.mov.seal.json``, ``clip.mov.redacted.mp4``, ``clip.mov.redacted.json``), so two
originals that share a stem (``clip.mov`` and ``clip.mkv`` from one camera) never share an
output. They sit beside the original, or in a case folder when the evidence store is
read-only (a share, write-once media): there the seal names the original by its path
relative to the case folder and the original's folder is only ever read.

Releases before 0.2 named outputs by the stem (``clip.seal.json``); such a seal is still
found, when the file it names is this original.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..i18n import N_

SEAL_SUFFIX = ".seal.json"
DERIVATIVE_SUFFIX = ".redacted.mp4"
LOG_SUFFIX = ".redacted.json"
REPORT_SUFFIX = ".redaction-report.html"
ANALYSIS_SUFFIX = ".analysis.json"
DECISIONS_SUFFIX = ".decisions.json"
TRANSCRIPT_SUFFIX = ".transcript.json"


NAME_ROOM = 64  # what redact adds to an original's name, at most (the hidden temporary of its report)


def name_problem(name: str, name_max: int = 255) -> str | None:
    """Why records and outputs cannot be named after an original called ``name``, or None: a
    name that is no UTF-8 text cannot be written into a JSON record, and one within
    ``NAME_ROOM`` bytes of the file system's limit cannot take the outputs' suffixes."""
    try:
        length = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return N_("its file name is not UTF-8 text, so no seal or log could name it")
    if length + NAME_ROOM > name_max:
        return N_(
            "its file name is {length} bytes long: with the suffixes of its outputs it would pass the"
            " file system's limit of {most} bytes",
            length=length,
            most=name_max,
        )
    return None


def strip_suffix(name: str, suffix: str) -> str:
    return name[: -len(suffix)] if name.endswith(suffix) else name


def log_for_derivative(derivative: Path) -> Path:
    return derivative.with_name(strip_suffix(derivative.name, DERIVATIVE_SUFFIX) + LOG_SUFFIX)


def report_for_derivative(derivative_name: str) -> str:
    return strip_suffix(derivative_name, DERIVATIVE_SUFFIX) + REPORT_SUFFIX


def _names(seal_file: Path, original: Path) -> bool:
    """Whether the seal document at ``seal_file`` is the one of ``original``."""
    try:
        document = json.loads(seal_file.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and sealed_file(seal_file, document) == original.absolute()


def sealed_file(seal_file: Path, document: dict) -> Path:
    """The original a seal document names: beside it (``file``) or, from a case folder, by
    ``path`` relative to the seal's folder."""
    relative = document.get("path") or document.get("file") or ""
    return Path(os.path.normpath(seal_file.parent.absolute() / relative))


@dataclass(frozen=True)
class Layout:
    """The paths of one original's records (seal, custody) and outputs (derivative, log).

    ``case_dir``: the folder for the records and, by default, the outputs instead of the
    original's own folder. ``output_dir``: where the derivative and its log go (a batch
    manifest's ``output`` column); the records stay in the case folder or beside the original.
    """

    original: Path
    case_dir: Path | None = None
    output_dir: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "original", Path(self.original).absolute())
        for name in ("case_dir", "output_dir"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value).absolute())

    @property
    def records(self) -> Path:
        """The folder of the seal and the custody log."""
        return self.case_dir or self.original.parent

    @property
    def outputs(self) -> Path:
        return self.output_dir or self.records

    @property
    def beside(self) -> bool:
        """Whether the seal sits beside the original (and so names it by file name alone)."""
        return self.records == self.original.parent

    @property
    def seal(self) -> Path:
        current = self.records / (self.original.name + SEAL_SUFFIX)
        if not current.exists() and self.beside:
            legacy = self.records / (self.original.stem + SEAL_SUFFIX)
            if legacy.exists() and _names(legacy, self.original):
                return legacy
        return current

    @property
    def analysis(self) -> Path:
        """What detection found (``pipeline.analysis_file``): with the records, not the
        outputs, since it maps every face and is no part of what is handed over."""
        return self.records / (self.original.name + ANALYSIS_SUFFIX)

    @property
    def decisions(self) -> Path:
        """What review decided (``decisions.py``), beside the analysis it applies to."""
        return self.records / (self.original.name + DECISIONS_SUFFIX)

    @property
    def transcript(self) -> Path:
        """What was said (``speech.transcript_file``): with the records, since it holds the
        names and numbers a disclosure withholds; never with what is handed over."""
        return self.records / (self.original.name + TRANSCRIPT_SUFFIX)

    @property
    def derivative(self) -> Path:
        return self.outputs / (self.original.name + DERIVATIVE_SUFFIX)

    @property
    def log(self) -> Path:
        return self.outputs / (self.original.name + LOG_SUFFIX)

    @property
    def earlier_log(self) -> Path:
        """The log of an earlier run (to take track ids from): this release's name, else the
        stem-named log of an older release when it is this original's."""
        legacy = self.outputs / (self.original.stem + LOG_SUFFIX)
        if self.log.exists() or not legacy.exists():
            return self.log
        from .log_reader import LogReader

        try:
            named = LogReader(legacy, digest=False).head["original"]["file"]
        except (OSError, ValueError, KeyError, TypeError):
            return self.log
        return legacy if Path(os.path.normpath(self.outputs / named)) == self.original else self.log

    def seal_names_original(self) -> dict:
        """What a new seal records to name the original: its path when it is not beside it."""
        if self.beside:
            return {}
        return {"path": os.path.relpath(self.original, self.records)}
