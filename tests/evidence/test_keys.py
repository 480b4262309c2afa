import json
import stat

import pytest

from redact.errors import OutputExistsError
from redact.evidence import keys
from redact.evidence.signing import check, sign


def test_init_writes_private_key_0600_and_public_pem(tmp_path):
    key = keys.create(tmp_path)
    assert stat.S_IMODE((tmp_path / "station.key").stat().st_mode) == 0o600
    assert (tmp_path / "station.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert keys.load(tmp_path).fingerprint == key.fingerprint
    with pytest.raises(OutputExistsError, match="already exists"):  # exit 4, like any existing output
        keys.create(tmp_path)


def test_passphrase_protected_key_needs_the_passphrase(tmp_path, monkeypatch):
    keys.create(tmp_path, passphrase=b"correct horse")
    monkeypatch.delenv("REDACT_KEY_PASSPHRASE", raising=False)
    with pytest.raises(keys.KeyError_, match="passphrase"):
        keys.load(tmp_path)
    with pytest.raises(keys.KeyError_, match="wrong passphrase"):
        keys.load(tmp_path, b"wrong")
    monkeypatch.setenv("REDACT_KEY_PASSPHRASE", "correct horse")
    assert keys.load(tmp_path) is not None


def test_signed_document_verifies_and_any_change_breaks_it(tmp_path):
    key = keys.create(tmp_path)
    doc = sign({"file": "a.mp4", "sha256": "ab" * 32, "size": 10}, key)
    assert check(doc) == ("signed", key.fingerprint)
    stored = json.loads(json.dumps(doc, indent=4))  # re-indented: still valid
    assert check(stored)[0] == "signed"
    for field, value in (("size", 11), ("sha256", "cd" * 32), ("file", "b.mp4")):
        assert check({**doc, field: value})[0] == "invalid"
    assert check({**doc, "extra": 1})[0] == "invalid"


def test_wrong_key_and_untrusted_key_are_reported(tmp_path):
    station = keys.create(tmp_path / "a")
    other = keys.create(tmp_path / "b")
    doc = sign({"x": 1}, station)
    forged = {**doc, "signature": {**doc["signature"], "public_key": other.sign(b"")["public_key"]}}
    assert check(forged) == ("invalid", "fingerprint does not match the signing key")
    assert check(doc, trusted={other.fingerprint})[0] == "invalid"
    assert check(doc, trusted={station.fingerprint})[0] == "signed"


def test_unsigned_documents_say_so(tmp_path):
    doc = sign({"x": 1}, None)
    assert doc["signature"]["signed"] is False and check(doc) == ("unsigned", None)
