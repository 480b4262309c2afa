"""Named pipeline presets (``pipelines/*.toml``): a complete, reviewable set of options.

A preset is a small TOML file with the sections of ``RedactOptions`` (detect, track, mask,
encode). Keys it leaves out keep the library defaults; command-line flags override it. The
file's name is its name; ``--preset PATH`` also accepts a file of one's own. Unknown keys
are refused, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable
from pathlib import Path

from .errors import BadInputError
from .i18n import N_, current
from .options import DetectOptions, EncodeOptions, MaskOptions, RedactOptions
from .resources import resource_dirs
from .track import TrackOptions

DEFAULT_PRESET = "disclosure"
SECTIONS = {"detect": DetectOptions, "track": TrackOptions, "mask": MaskOptions, "encode": EncodeOptions}
TUPLES = {"kinds", "scales", "face_models"}


def preset_dirs() -> list[Path]:
    """Where named presets are looked up: $REDACT_PIPELINES_DIR, the checkout, the install."""
    return resource_dirs("REDACT_PIPELINES_DIR", "pipelines")


def available() -> dict[str, Path]:
    """Every named preset, first found wins."""
    found: dict[str, Path] = {}
    for folder in preset_dirs():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            found.setdefault(path.stem, path)
    return found


def preset_file(name: str) -> Path:
    """The TOML file for a preset name or path; ``BadInputError`` naming the choices if unknown."""
    if name.endswith(".toml") or os.sep in name:
        path = Path(name)
        if not path.is_file():
            raise BadInputError(N_("preset file not found"), path)
        return path
    known = available()
    if name not in known:
        raise BadInputError(
            N_("unknown preset {name!r}"),
            hint=N_("choose one of {known}, or give a .toml file"),
            name=name,
            known=", ".join(sorted(known)) or N_("(none installed)"),
        )
    return known[name]


def read_preset(name: str) -> dict:
    """A preset's sections as plain dicts, checked against the option fields."""
    path = preset_file(name)
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInputError(N_("preset is not valid TOML ({error})"), path, error=exc) from exc
    for key in [k for k in data if k == "description" or k.startswith("description_")]:
        data.pop(key)  # description, and description_de (and any language's) beside it
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise BadInputError(N_("unknown preset section(s) {names}"), path, names=", ".join(sorted(unknown)))
    for section, cls in SECTIONS.items():
        fields = {f.name for f in dataclasses.fields(cls)}
        extra = set(data.get(section, {})) - fields
        if extra:
            raise BadInputError(
                N_("unknown key(s) in [{section}]: {names}"),
                path,
                hint=N_("known: {known}"),
                section=section,
                names=", ".join(sorted(extra)),
                known=", ".join(sorted(fields)),
            )
    return data


def bridged_strides(detect: DetectOptions, given: set[str], max_gap: int) -> tuple[dict, dict[str, tuple[int, int]]]:
    """The stride of each extra pass of ``detect`` that runs and that the caller did not give (not
    in ``given``), narrowed so that its passes, ``every * stride`` frames apart, stay within
    ``max_gap``: a preset asked for a wider ``every`` then runs its extra passes on more of the
    detected frames instead of being refused. A stride the caller gave is kept (and refused when too
    wide). Returns the changed fields and {what: (was, now)}, named as ``extra_passes`` names them.
    """
    widest = max(1, max_gap // detect.every)
    changed, narrowed = {}, {}
    for what, (key, runs) in detect.extra_passes().items():
        was = getattr(detect, key)
        if runs and key not in given and was > widest:
            changed[key], narrowed[what] = widest, (was, widest)
    return changed, narrowed


def describe(name: str, language: str | None = None) -> str:
    """The preset's one-line description, in ``language`` (None: the interface language) where
    the file has one (``description_de``), else its ``description``."""
    data = tomllib.loads(preset_file(name).read_text())
    return str(data.get(f"description_{language or current()}") or data.get("description", ""))


def options_from_preset(
    name: str = DEFAULT_PRESET, overrides: dict | None = None, notify: Callable[[str], None] | None = None, **run
) -> RedactOptions:
    """``RedactOptions`` from a preset, with ``overrides`` ({section: {key: value}}) on top.

    An ``every`` given in ``overrides`` narrows the preset's extra-pass strides it would space
    too far apart (``bridged_strides``); ``notify`` is told each one, in a sentence. ``run``
    carries the per-run settings (mute, force, operator, quiet, workers). Raises ``ValueError``
    for a value out of range (the option classes check them).
    """
    data = read_preset(name)
    overrides = overrides or {}
    sections = {}
    for section, cls in SECTIONS.items():
        values = {**data.get(section, {}), **overrides.get(section, {})}
        for key in TUPLES & set(values):
            values[key] = tuple(values[key])
        sections[section] = cls(**values)
    given = set(overrides.get("detect", {}))
    if "every" in given:  # a wider --detect-every than the preset's narrows its extra passes' strides
        detect, max_gap = sections["detect"], sections["track"].max_gap
        changed, narrowed = bridged_strides(detect, given, max_gap)
        sections["detect"] = dataclasses.replace(detect, **changed)
        for what, (was, now) in narrowed.items():
            if notify is not None:
                notify(
                    f"{what} on {'every detected frame' if now == 1 else f'every {now} detected frames'},"
                    f" not the preset's every {was}: with detection on every"
                    f" {detect.every} frames, every {was * detect.every} would leave gaps longer than tracking"
                    f" bridges ({max_gap} frames)"
                )
    label = name if name in available() and available()[name] == preset_file(name) else str(preset_file(name))
    return RedactOptions(**sections, preset=label, **run)
