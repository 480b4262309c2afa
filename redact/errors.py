"""One error hierarchy. The CLI catches ``RedactError`` only, prints one line, exits non-zero.

An error's message and hint are English templates marked ``N_()`` with ``{name}`` placeholders
(``str.format``), filled from the error's keyword params: ``BadInputError(N_("no analysis
{name}"), original, hint=N_("run `redact analyze` first"), name=path.name)``. ``describe()``
translates them (``redact/i18n/locale/*/LC_MESSAGES/errors.po``) when the error is shown, and
params that are messages themselves (``Msg``, with params of its own or not, ``Listed``, an
exception carrying one) with them; ``.message`` and ``.hint`` stay English, for logs and
machines. A ``ValueError`` a user reads carries a ``Msg`` (``ValueError(N_("bad time {text!r}",
text=text))``); ``translated()`` shows any of them in the interface language.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from .i18n import DEFAULT, FAILS, N_, Listed, Msg, current, shown


def fill(template: str, params: dict, language: str | None = None) -> str:
    """An error's ``template`` (or hint) in ``language`` (None: the interface language), filled
    from the error's ``params`` (through ``shown``: messages among them translated too). A plain
    ``str`` is text already made (a hint set later): shown as it is. A translation that does not
    fit (tests/test_i18n.py compares them) falls back to the English."""
    if isinstance(template, Listed) or (isinstance(template, Msg) and template.params):
        return str(shown(template, language))
    if not isinstance(template, Msg):
        return str(template)
    try:
        message = Msg(template.template, **params)
    except FAILS:
        return str(template)  # a plain text with braces made a template by params: as it is
    return str(shown(message, language))


def translated(value: object, language: str | None = None) -> str:
    """What a user reads of ``value``, as text: ``i18n.shown`` (a message, an error, anything)."""
    return str(shown(value, language))


def message_of(error: BaseException) -> str:
    """``error``'s message, still translatable where it carries a ``Msg`` or ``Listed``
    (``ValueError(N_("...", name=value))``), else ``str(error)``: to put into another message
    (``shown`` translates a ``Msg``'s params that are messages, not exceptions)."""
    if len(error.args) == 1 and isinstance(error.args[0], Msg | Listed):
        return error.args[0]
    return str(error)


def conjoined(items, pair: Msg) -> str:
    """``items`` joined by a conjunction, translated when shown: ``pair`` is its template for two
    (``N_("{first} and {second}")``); "a and b and c" for three."""
    items = list(items)
    if not items:
        return ""
    joined = items[0]
    for item in items[1:]:
        joined = Msg(pair, first=joined, second=item)
    return joined


class RedactError(Exception):
    """Base class for every error a user can act on. ``exit_code`` is what the CLI returns.

    ``message`` and ``hint``: English templates (``N_("...")``) filled from ``params``; a plain
    ``str`` is shown as it is (a hint set later, a message passed on from elsewhere)."""

    exit_code = 1

    def __init__(self, message: str, path: Path | str | None = None, hint: str | None = None, **params: object) -> None:
        if params and not isinstance(message, Msg):  # a template after all
            message = Msg(message)
        if params and hint is not None and not isinstance(hint, Msg | Listed):
            hint = Msg(hint)
        self.template = message
        self.params = params
        self.path = Path(path) if path is not None else None
        self.hint_template = hint
        self.language = current()  # str(error): as described when it was raised
        super().__init__(self.describe(self.language))

    @property
    def message(self) -> str:
        """The message in English, filled in: for logs, machines and checks."""
        return fill(self.template, self.params, DEFAULT)

    @property
    def hint(self) -> str | None:
        """What to do about it, in English; ``None`` when nothing is to be said."""
        return None if self.hint_template is None else fill(self.hint_template, self.params, DEFAULT)

    @hint.setter
    def hint(self, value: str | None) -> None:
        self.hint_template = value

    def describe(self, language: str | None = None, where: bool = True) -> str:
        """``path: message (hint)`` in ``language`` (None: the interface language now);
        ``message (hint)`` without ``where``."""
        at = f"{self.path}: " if where and self.path is not None else ""
        hint = None if self.hint_template is None else fill(self.hint_template, self.params, language)
        fix = f" ({hint})" if hint else ""
        return f"{at}{fill(self.template, self.params, language)}{fix}"

    def __str__(self) -> str:
        return self.describe(self.language)

    def __reduce__(self):
        # Across processes (detection workers, batch and Dask workers) with its template,
        # params, path and hint, not only the text it had: the receiver may show it in German.
        return _restore, (type(self), self.args, self.__dict__.copy())


def _restore(cls: type[RedactError], args: tuple, state: dict) -> RedactError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


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
FULL = {errno.ENOSPC: N_("no space left on the device"), errno.EDQUOT: N_("disk quota exceeded")}
REFUSED = {errno.EROFS: N_("read-only file system")}
DENIED = {errno.EACCES: N_("permission denied"), errno.EPERM: N_("operation not permitted")}
NOT_PERMITTED = N_("this user may not write there: fix the folder's permissions or write elsewhere")
HINTS = {
    errno.ENOSPC: N_("free some space or write to another folder, then run again"),
    errno.EDQUOT: N_("the disk quota is used up: free some space or write elsewhere, then run again"),
    errno.EROFS: N_("the folder is on read-only storage: write to another folder"),
    errno.EACCES: NOT_PERMITTED,
    errno.EPERM: NOT_PERMITTED,
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
    what: Msg,
    written: bool = True,
    unwritable_hint: str | None = None,
) -> StorageError | None:
    """A ``StorageError`` saying ``what`` could not be written, if ``error`` is a refused write.

    ``what``: the outputs as a noun, translated when shown (``N_("the analysis")``).
    ``unwritable_hint`` replaces the hint for read-only or permission errors (not for full storage).
    """
    code = storage_errno(error, written)
    if code is None:
        return None
    reason = {**FULL, **REFUSED, **DENIED}[code]
    hint = unwritable_hint if unwritable_hint and code not in FULL else HINTS[code]
    return StorageError(N_("{what} could not be written: {reason}"), path, hint=hint, what=what, reason=reason)


@contextlib.contextmanager
def writing(path: Path | str | None, what: Msg) -> Iterator[None]:
    """Raise a ``StorageError`` for an ``OSError`` that says the storage refused this block's writes
    (``what``: as ``storage_error``)."""
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
