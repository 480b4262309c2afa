import json
import os

import pytest

from redact.errors import SealMismatchError
from redact.evidence.seal import hash_file, is_read_only, seal_original, seal_path


def test_seal_records_hash_and_makes_original_read_only(tmp_path):
    original = tmp_path / "clip.mp4"
    original.write_bytes(b"evidence" * 1000)
    seal, created = seal_original(original, operator="pc-1234")
    data = json.loads(seal_path(original).read_text())
    assert created and data["sha256"] == hash_file(original) == seal.sha256
    assert data["size"] == 8000 and data["operator"] == "pc-1234" and data["sealed_at"].endswith("Z")
    assert is_read_only(original)


def test_existing_seal_is_verified_not_rewritten(tmp_path):
    original = tmp_path / "clip.mp4"
    original.write_bytes(b"x" * 10)
    first, _ = seal_original(original)
    again, created = seal_original(original)
    assert not created and again == first


def test_changed_original_is_refused(tmp_path):
    original = tmp_path / "clip.mp4"
    original.write_bytes(b"x" * 10)
    seal_original(original)
    os.chmod(original, 0o644)
    original.write_bytes(b"y" * 10)  # same size, other bytes
    with pytest.raises(SealMismatchError, match="changed since it was sealed"):
        seal_original(original)
