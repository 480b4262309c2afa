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
from pathlib import Path

from .errors import BadInputError
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
            raise BadInputError("preset file not found", path)
        return path
    known = available()
    if name not in known:
        raise BadInputError(
            f"unknown preset {name!r}",
            hint=f"choose one of {', '.join(sorted(known)) or '(none installed)'}, or give a .toml file",
        )
    return known[name]


def read_preset(name: str) -> dict:
    """A preset's sections as plain dicts, checked against the option fields."""
    path = preset_file(name)
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInputError(f"preset is not valid TOML ({exc})", path) from exc
    data.pop("description", None)
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise BadInputError(f"unknown preset section(s) {', '.join(sorted(unknown))}", path)
    for section, cls in SECTIONS.items():
        fields = {f.name for f in dataclasses.fields(cls)}
        extra = set(data.get(section, {})) - fields
        if extra:
            raise BadInputError(
                f"unknown key(s) in [{section}]: {', '.join(sorted(extra))}",
                path,
                hint=f"known: {', '.join(sorted(fields))}",
            )
    return data


def describe(name: str) -> str:
    """The preset's one-line description."""
    return str(tomllib.loads(preset_file(name).read_text()).get("description", ""))


def options_from_preset(name: str = DEFAULT_PRESET, overrides: dict | None = None, **run) -> RedactOptions:
    """``RedactOptions`` from a preset, with ``overrides`` ({section: {key: value}}) on top.

    ``run`` carries the per-run settings (mute, force, operator, quiet, workers). Raises
    ``ValueError`` for a value out of range (the option classes check them).
    """
    data = read_preset(name)
    sections = {}
    for section, cls in SECTIONS.items():
        values = {**data.get(section, {}), **{k: v for k, v in (overrides or {}).get(section, {}).items()}}
        for key in TUPLES & set(values):
            values[key] = tuple(values[key])
        sections[section] = cls(**values)
    label = name if name in available() and available()[name] == preset_file(name) else str(preset_file(name))
    return RedactOptions(**sections, preset=label, **run)
