"""The interface in the clerk's language: German or English.

Messages are written in English in the code, marked with ``_()`` (``ngettext`` for counts;
``N_()`` where a message is translated later, when shown), and translated by gettext catalogs:
every ``locale/de/LC_MESSAGES/*.po`` (one per area: reports, CLI, errors), read with Babel,
merged and compiled in memory (no build step, nothing written at run time). The language comes from
``--lang``, else ``REDACT_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``);
anything but German is English. Dates, times and numbers are formatted for that language.
``tests/test_i18n.py`` fails when a marked message has no German translation, or a translation
is left over or drops a placeholder.
"""

from __future__ import annotations

import io
import os
import re
import string
from datetime import datetime
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "de")
DEFAULT = "en"
DOMAIN = "redact"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# to the second, 24-hour, as a record is read: ISO order in English, the German order in German
TIME_FORMATS = {"en": "yyyy-MM-dd HH:mm:ss", "de": "dd.MM.yyyy, HH:mm:ss"}

_chosen: str | None = None  # set by --lang for this process


def set_language(language: str | None) -> None:
    """Use ``language`` for this process (``--lang``); None: from the environment again."""
    global _chosen
    if language is not None and normalised(language) is None:
        raise ValueError(f"unknown interface language {language!r}; choose one of {', '.join(LANGUAGES)}")
    _chosen = normalised(language) if language is not None else None


def normalised(value: str | None) -> str | None:
    """``de``, ``de_DE.UTF-8``, ``de-AT`` -> ``de``; ``en_GB`` -> ``en``; anything else None."""
    if not value:
        return None
    code = value.split(".")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def current() -> str:
    """The interface language now: ``--lang``, ``REDACT_LANG``, the locale, else English."""
    if _chosen is not None:
        return _chosen
    explicit = os.environ.get("REDACT_LANG")
    if explicit:
        return normalised(explicit) or DEFAULT
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return normalised(value) or DEFAULT
    return DEFAULT


class _PlainFormatter(string.Formatter):
    """``str.format`` for messages, without what a template could abuse: a field is a name
    (``{name}``, ``{name!r}``, ``{seconds:.3f}``), never an attribute or item of one
    (``{p.__class__...}`` would reach module globals), and no width over 99 characters."""

    def get_field(self, field_name, args, kwargs):
        if not re.fullmatch(r"\w*", field_name):
            raise ValueError(f"message field {field_name!r} is not a name")
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value, format_spec):
        if re.search(r"\d{3,}", format_spec):
            raise ValueError(f"message format {format_spec!r} is too wide")
        return super().format_field(value, format_spec)


class _CommaFormatter(_PlainFormatter):
    """As ``_PlainFormatter``, a measured figure written with a decimal comma (0,67), as German
    writes it; text made already (a time range typed back into a flag) stays as it is."""

    def format_field(self, value, format_spec):
        text = super().format_field(value, format_spec)
        return text.replace(".", ",") if isinstance(value, float) and format_spec else text


_PLAIN = _PlainFormatter()
_COMMA = _CommaFormatter()
DECIMAL_COMMA = {"de"}  # languages that write 0,5
FAILS = (KeyError, IndexError, ValueError, AttributeError, TypeError)  # a template that does not fit its values


def filled(template: str, params: dict, language: str | None = None) -> str:
    """``template`` with its ``{name}`` fields filled from ``params`` (names only: see
    ``_PlainFormatter``), figures formatted as ``language`` writes them (None: as in English)."""
    if not params:
        return template
    return (_COMMA if language in DECIMAL_COMMA else _PLAIN).vformat(template, (), params)


class Msg(str):
    """A message marked for translation when it is shown, not when it is made (``N_``): an
    error's text, a verification finding, a noun put into another message. It is the English
    text, its ``params`` filled in, until ``shown`` translates it."""

    template: str
    params: dict

    def __new__(cls, template: str, **params) -> Msg:
        self = super().__new__(cls, filled(template, params))
        self.template, self.params = str(template), params
        return self

    def __reduce__(self):  # pickled and copied whole: a worker's error, a finding through asdict
        return _message, (self.template, self.params)


def _message(template: str, params: dict) -> Msg:
    return Msg(template, **params)


N_ = Msg


class Listed(str):
    """Messages joined by ``sep`` ("; " between a finding's reasons), each translated when shown."""

    parts: tuple
    sep: str

    def __new__(cls, parts, sep: str = "; ") -> Listed:
        parts = tuple(parts)
        self = super().__new__(cls, sep.join(parts))
        self.parts, self.sep = parts, sep
        return self

    def __reduce__(self):
        return Listed, (self.parts, self.sep)


def shown(value, language: str | None = None):
    """``value`` as the clerk reads it: a ``Msg`` translated and filled in (its params that are
    messages too), a ``Listed`` part by part, an error described (``RedactError.describe``) or
    its message translated (``ValueError(N_(...))``); anything else as it is. The one way a
    message reaches a person."""
    if isinstance(value, BaseException):
        describe = getattr(value, "describe", None)
        if callable(describe):
            return describe(language)
        if len(value.args) == 1 and isinstance(value.args[0], Msg | Listed):
            return shown(value.args[0], language)
        return str(value)
    if isinstance(value, Msg):
        text = _(value.template, language)
        if not value.params:
            return text
        try:
            return filled(text, {k: shown(v, language) for k, v in value.params.items()}, language or current())
        except FAILS:
            return str(value)  # a translation that does not fit its values (tests forbid it): the English
    if isinstance(value, Listed):
        return value.sep.join(str(shown(part, language)) for part in value.parts)
    return value


def named(names: dict, code) -> str:
    """A code a record keeps (a kind, a reason, a status) as the reader's language names it, from
    ``names`` (code -> ``N_`` name); a code it does not know: as it is."""
    return str(shown(names[code])) if code in names else str(code)


def as_record(value):
    """A message as JSON keeps it (template and values), to be shown later in any language:
    ``{"message": template, "params": {...}}``, ``{"parts": [...], "sep": "; "}``; else as is."""
    if isinstance(value, Msg):
        return {"message": value.template, "params": {k: as_record(v) for k, v in value.params.items()}}
    if isinstance(value, Listed):
        return {"parts": [as_record(part) for part in value.parts], "sep": value.sep}
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def from_record(value, depth: int = 0):
    """A message ``as_record`` kept, as a ``Msg`` or ``Listed`` again; None where the record is
    not one this version wrote: a template that is no message of ours (a record comes from a
    file anyone with write access could have edited), values that are not plain, too deep."""
    if depth > 8:
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) or len(value) <= 10_000 else None
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("message"), str):
        params = value.get("params", {})
        if value["message"] not in known_messages() or not isinstance(params, dict):
            return None
        values = {str(k): from_record(v, depth + 1) for k, v in params.items()}
        if any(v is None and params[k] is not None for k, v in values.items()):
            return None
        try:
            return Msg(value["message"], **values)
        except FAILS:
            return None
    if isinstance(value.get("parts"), list) and isinstance(value.get("sep", "; "), str):
        parts = [from_record(part, depth + 1) for part in value["parts"]]
        if any(not isinstance(part, str) for part in parts) or len(value.get("sep", "; ")) > 8:
            return None
        return Listed(parts, value.get("sep", "; "))
    return None


@cache
def known_messages() -> frozenset[str]:
    """Every message this version has (the German catalog holds each: tests/test_i18n.py)."""
    return frozenset(m.id for m in read_catalog("de") if isinstance(m.id, str) and m.id)


def catalog_files(language: str) -> list[Path]:
    """The ``.po`` files holding ``language``'s messages, one per area of the interface."""
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


def read_catalog(language: str):
    """Every message of ``language``, its files merged into one Babel catalog."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    merged = Catalog(locale=language, domain=DOMAIN)
    for po in catalog_files(language):
        with po.open("rb") as f:
            for message in read_po(f, locale=language, domain=DOMAIN):
                if message.id:
                    merged[message.id] = message
    return merged


@cache
def translations(language: str):
    """The catalog of ``language`` (English: none needed, the messages are English)."""
    from babel.messages.mofile import write_mo
    from babel.support import NullTranslations, Translations

    if language == DEFAULT or not catalog_files(language):
        return NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(language), use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _(message: str, language: str | None = None) -> str:
    """``message`` in the interface language."""
    return translations(language or current()).gettext(message)


def ngettext(singular: str, plural: str, n: int, language: str | None = None) -> str:
    """The form of a message for ``n`` things, in the interface language."""
    return translations(language or current()).ngettext(singular, plural, n)


def number(value: float | int, language: str | None = None, decimals: int | None = None) -> str:
    """``value`` as that language writes it (German: 1.234,5)."""
    from babel.numbers import format_decimal

    pattern = None if decimals is None else "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=language or current())


def decimal(value: float, decimals: int, language: str | None = None) -> str:
    """A measured figure in a line of the command line: as before in English (``1234.5``), the
    German way in German (``1.234,5``)."""
    language = language or current()
    return f"{value:.{decimals}f}" if language == DEFAULT else number(value, language, decimals)


def when(iso: str | None, language: str | None = None) -> str:
    """An ISO 8601 time (as logs and reports record them, UTC) as that language writes a date and
    time, with its zone; as given where it does not parse."""
    from babel.dates import format_datetime

    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    language = language or current()
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return format_datetime(moment, format=TIME_FORMATS[language], tzinfo=moment.tzinfo, locale=language) + zone
