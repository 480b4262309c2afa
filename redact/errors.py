"""One error hierarchy. The CLI catches ``RedactError`` only, prints one line, exits non-zero."""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
from collections.abc import Iterator
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
    """A model file is missing, is not the file its model card names, or cannot run on the device asked for."""

    exit_code = 5


class EncodeError(RedactError):
    """The derivative could not be written (codec or container refused the stream)."""

    exit_code = 6


class WorkerError(RedactError):
    """A detection worker died, hung or crashed; the job stops rather than hangs."""

    exit_code = 8


class StorageError(RedactError):
    """The outputs could not be written: disk full, quota, read-only or unwritable folder."""

    exit_code = 9


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager or scheduler stopping the job), handled exactly as Ctrl-C is."""

    exit_code = 143  # 128 + SIGTERM, as a shell reports a process ended by it


# Why the storage refused a write, and what to do about it. Full or read-only storage only
# ever refuses writes; a permission error is a storage error only where the caller says the
# path is one it writes (reading the original or a model can fail the same way).
FULL = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded"}
REFUSED = {errno.EROFS: "read-only file system"}
DENIED = {errno.EACCES: "permission denied", errno.EPERM: "operation not permitted"}
HINTS = {
    errno.ENOSPC: "free some space or write to another folder, then run again",
    errno.EDQUOT: "the disk quota is used up: free some space or write elsewhere, then run again",
    errno.EROFS: "the folder is on read-only storage: write to another folder",
    errno.EACCES: "this user may not write there: fix the folder's permissions or write elsewhere",
    errno.EPERM: "this user may not write there: fix the folder's permissions or write elsewhere",
}


def storage_errno(error: BaseException | None, written: bool = True) -> int | None:
    """The errno of a refused write in ``error`` or the errors it was raised from, else None.

    ``written``: the failing operation wrote (a permission error then counts as one too).
    """
    codes = {**FULL, **REFUSED, **(DENIED if written else {})}
    seen = 0
    while error is not None and seen < 8:  # EncodeError from av.error.OSError, and the like
        if isinstance(error, OSError) and error.errno in codes:
            return error.errno
        error, seen = error.__cause__, seen + 1
    return None


def storage_error(
    error: BaseException,
    path: Path | str | None,
    what: str,
    written: bool = True,
    unwritable_hint: str | None = None,
) -> StorageError | None:
    """A ``StorageError`` saying ``what`` could not be written, if ``error`` is a refused write.

    ``unwritable_hint`` replaces the hint for read-only or permission errors (not for full storage).
    """
    code = storage_errno(error, written)
    if code is None:
        return None
    reason = {**FULL, **REFUSED, **DENIED}[code]
    hint = unwritable_hint if unwritable_hint and code not in FULL else HINTS[code]
    return StorageError(f"{what} could not be written: {reason}", path, hint=hint)


@contextlib.contextmanager
def writing(path: Path | str | None, what: str) -> Iterator[None]:
    """Raise a ``StorageError`` for an ``OSError`` that says the storage refused this block's writes."""
    try:
        yield
    except StorageError:
        raise
    except OSError as exc:
        error = storage_error(exc, path, what)
        if error is None:
            raise
        raise error from exc


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Terminated`` in the main thread, so a job stopped by a
    service manager or scheduler cleans up as on Ctrl-C: detection workers and clip processes
    ended, temporary files removed, shared memory released. A repeated SIGTERM does not cut
    that cleanup short. Outside the main thread (nothing can be installed there) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
