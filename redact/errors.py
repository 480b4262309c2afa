"""One error hierarchy. The CLI catches ``RedactError`` only, prints one line, exits non-zero."""

from __future__ import annotations

from pathlib import Path


class RedactError(Exception):
    """Base class for every error a user can act on. ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, path: Path | str | None = None, hint: str | None = None):
        self.path = Path(path) if path is not None else None
        self.message = message
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        fix = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{fix}"


class BadInputError(RedactError):
    """The input cannot be redacted: missing, not a video, corrupt, no video stream."""

    exit_code = 2


class SealMismatchError(RedactError):
    """The original no longer matches its seal: it was changed after sealing."""

    exit_code = 3


class OutputExistsError(RedactError):
    """A derivative already exists and ``--force`` was not given."""

    exit_code = 4


class ModelError(RedactError):
    """A model file is missing or is not the file its model card names."""

    exit_code = 5


class EncodeError(RedactError):
    """The derivative could not be written (codec or container refused the stream)."""

    exit_code = 6


class WorkerError(RedactError):
    """A detection worker died, hung or crashed; the job stops rather than hangs."""

    exit_code = 8
