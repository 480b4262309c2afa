"""Pipeline presets: every shipped one loads, the default matches the library, typos are refused."""

from __future__ import annotations

import dataclasses

import pytest

from redact.errors import BadInputError
from redact.options import RedactOptions
from redact.presets import DEFAULT_PRESET, available, options_from_preset


def test_shipped_presets_load_into_valid_options():
    assert {"court-copy", "disclosure", "fast"} <= set(available())
    for name in available():
        options = options_from_preset(name)
        assert options.preset == name and set(options.detect.kinds) == {"face", "plate"}


def test_default_preset_is_what_the_library_does_without_one():
    from_file = options_from_preset(DEFAULT_PRESET)
    assert dataclasses.replace(from_file, preset=None) == RedactOptions()


def test_presets_trade_speed_for_recall_in_order():
    court, disclosure, fast = (options_from_preset(n) for n in ("court-copy", "disclosure", "fast"))
    assert court.detect.every <= disclosure.detect.every < fast.detect.every
    assert fast.detect.face_size is not None and fast.encode.preset == "ultrafast"
    assert court.encode.crf < fast.encode.crf


def test_flags_override_the_preset():
    options = options_from_preset("fast", {"detect": {"every": 2, "kinds": ("face",)}}, workers=1)
    assert options.detect.every == 2 and options.detect.kinds == ("face",) and options.workers == 1
    assert options.detect.face_size == options_from_preset("fast").detect.face_size  # the rest kept


def test_a_wider_every_narrows_only_the_extra_passes_it_would_space_too_far(tmp_path):
    said = []
    court = options_from_preset("court-copy", {"detect": {"every": 8}}, said.append)
    assert court.detect.every == 8  # as asked; every extra pass now on every detected frame (8 <= 15)
    assert (court.detect.turned_every, court.detect.small_faces_every, court.detect.plate_every) == (1, 1, 1)
    assert said == [
        "turned copies on every detected frame, not the preset's every 2: with detection on every 8 frames,"
        " every 16 would leave gaps longer than tracking bridges (15 frames)",
        "small faces on every detected frame, not the preset's every 4: with detection on every 8 frames,"
        " every 32 would leave gaps longer than tracking bridges (15 frames)",
    ]
    kept = options_from_preset("disclosure", {"detect": {"every": 2}}, said.append)
    assert kept.detect == options_from_preset("disclosure").detect and len(said) == 2  # 2 x 7 <= 15: as it was
    three = options_from_preset("disclosure", {"detect": {"every": 3}}, said.append)
    assert three.detect == dataclasses.replace(kept.detect, every=3, small_faces_every=5)  # 3 x 7 > 15: 3 x 5
    assert said[2].startswith("small faces on every 5 detected frames, not the preset's every 7")
    off = options_from_preset("disclosure", {"detect": {"every": 4, "small_faces": False}}, said.append)
    assert off.detect.small_faces_every == 7 and len(said) == 3  # a pass that does not run is not narrowed
    with pytest.raises(ValueError, match=r"small faces every 5 .* \(15 frames\); choose 3 or fewer"):
        options_from_preset("disclosure", {"detect": {"every": 4, "small_faces_every": 5}})  # asked for: kept
    mine = tmp_path / "mine.toml"  # a preset that contradicts itself is refused, not quietly changed
    mine.write_text("[detect]\nevery = 4\nsmall_faces_every = 5\n")
    with pytest.raises(ValueError, match="choose 3 or fewer"):
        options_from_preset(str(mine))


def test_typos_and_unknown_presets_are_refused(tmp_path):
    with pytest.raises(BadInputError, match=r"unknown preset 'quick'.*court-copy"):
        options_from_preset("quick")
    bad = tmp_path / "mine.toml"
    bad.write_text("[detect]\nevrey = 2\n")
    with pytest.raises(BadInputError, match=r"unknown key\(s\) in \[detect\]: evrey"):
        options_from_preset(str(bad))
    bad.write_text("[detect]\nevery = 0\n")
    with pytest.raises(ValueError, match="N >= 1"):
        options_from_preset(str(bad))
    with pytest.raises(ValueError, match=r"tracking bridges \(15 frames\); choose 15 or fewer"):
        options_from_preset("fast", {"detect": {"every": 30}})  # says what to do, not an internal name
    bad.write_text("[detect\n")
    with pytest.raises(BadInputError, match="not valid TOML"):
        options_from_preset(str(bad))


def test_a_preset_file_of_ones_own_is_accepted(tmp_path):
    mine = tmp_path / "station.toml"
    mine.write_text('description = "ours"\n[detect]\nkinds = ["face"]\nevery = 2\n[mask]\nstyle = "solid"\n')
    options = options_from_preset(str(mine))
    assert options.detect.kinds == ("face",) and options.mask.style == "solid" and options.preset == str(mine)


def test_default_workers_are_the_cores_that_memory_allows(monkeypatch):
    from redact import options

    monkeypatch.setattr(options, "usable_cores", lambda: 16)
    monkeypatch.setattr(options, "available_memory", lambda: 8 * 2**30)
    assert RedactOptions().worker_count == 11  # 8 GB / 0.7 GB, not 16
    monkeypatch.setattr(options, "available_memory", lambda: 2**29)
    assert RedactOptions().worker_count == 1  # never fewer than one
    monkeypatch.setattr(options, "available_memory", lambda: 64 * 2**30)
    assert RedactOptions().worker_count == 16 and RedactOptions(workers=3).worker_count == 3
