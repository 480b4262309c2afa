"""Every model redact runs ships in models/ with a model card naming its SHA-256, is installed
with the package, and is the file the card describes."""

from __future__ import annotations

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
