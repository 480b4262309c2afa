"""Tamper tests: any changed byte in an original, derivative, seal, log or custody entry is
reported by file and reason; verification needs only public keys."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clips import write_clip
from light import ONE_MODEL, ONE_MODEL_FLAGS

from redact import redact_file
from redact.evidence import keys
from redact.evidence.hashing import hash_file
from redact.options import RedactOptions

FACES_ONLY = RedactOptions(quiet=True, detect=ONE_MODEL)


def run_verify(*args) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "redact", "verify", "--json", *map(str, args)], capture_output=True, text=True
    )
    return proc.returncode, json.loads(proc.stdout)


def failures(report: dict) -> list[tuple[str, str]]:
    return [(Path(f["path"]).name, f["detail"]) for f in report["findings"] if f["status"] == "fail"]


@pytest.fixture(scope="module")
def signed_case(tmp_path_factory) -> Path:
    """A folder with two redacted clips, signed by a station key (kept in a sibling folder)."""
    root = tmp_path_factory.mktemp("signed")
    key_dir = root / "keys"
    os.environ["REDACT_KEY_DIR"], old = str(key_dir), os.environ["REDACT_KEY_DIR"]
    try:
        keys.create(key_dir)
        case = root / "case"
        case.mkdir()
        for name in ("a", "b"):
            redact_file(write_clip(case / f"{name}.mp4", count=6, size=(96, 64)), FACES_ONLY)
    finally:
        os.environ["REDACT_KEY_DIR"] = old
    return case


@pytest.fixture
def case(signed_case, tmp_path) -> Path:
    copy = tmp_path / "case"
    shutil.copytree(signed_case, copy)
    return copy


def writable(path: Path):
    path.chmod(0o644)
    return path


def test_untouched_case_verifies(case):
    code, report = run_verify(case)
    assert code == 0 and report["ok"]
    kinds = sorted(f["kind"] for f in report["findings"])
    assert kinds == ["analysis", "analysis", "custody", "derivative", "derivative", "original", "original", "trust"]
    assert all(f["signer"] and f["signer"].startswith("ed25519:") for f in report["findings"] if f["kind"] != "trust")
    # this machine has no key: it says whose key it held the folder to, for a person to compare
    (trust,) = [f for f in report["findings"] if f["kind"] == "trust"]
    assert trust["status"] == "warn" and "compare it with the station's published fingerprint" in trust["detail"]


def test_flipped_byte_in_original(case):
    data = bytearray(writable(case / "a.mp4").read_bytes())
    data[100] ^= 1
    (case / "a.mp4").write_bytes(bytes(data))
    (case / "a.mp4").chmod(0o444)
    code, report = run_verify(case)
    assert code == 1 and failures(report) == [
        ("a.mp4", "content differs from its seal (SHA-256 mismatch); seal signed")
    ]


def test_writable_original_is_reported(case):
    writable(case / "b.mp4")
    code, report = run_verify(case / "b.mp4")
    assert code == 1 and "writable" in failures(report)[0][1]


def test_truncated_derivative(case):
    data = (case / "a.mp4.redacted.mp4").read_bytes()
    (case / "a.mp4.redacted.mp4").write_bytes(data[: len(data) // 2])
    code, report = run_verify(case)
    (name, detail), *_ = failures(report)
    assert code == 1 and name == "a.mp4.redacted.mp4" and "differs from its redaction log" in detail


@pytest.mark.parametrize(("file", "field"), [("a.mp4.seal.json", "operator"), ("a.mp4.redacted.json", "operator")])
def test_edited_json_field_breaks_the_signature(case, file, field):
    doc = json.loads((case / file).read_text())
    doc[field] = "somebody else"
    (case / file).write_text(json.dumps(doc))
    code, report = run_verify(case)
    assert code == 1 and any("signature invalid" in detail for _, detail in failures(report))


def test_a_log_saved_again_in_another_layout_still_verifies_and_an_edited_one_does_not(case):
    log_file = writable(case / "a.mp4.redacted.json")
    doc = json.loads(log_file.read_text())
    resaved = {"signature": doc.pop("signature"), **dict(reversed(doc.items()))}  # same document, new order
    log_file.write_text(json.dumps(resaved, indent=2))
    code, report = run_verify(case)
    assert code == 0 and not failures(report)
    log_file.write_text(json.dumps({**doc, "signature": resaved["signature"]}, indent=2))  # in order, spaced
    code, report = run_verify(case)
    assert code == 0 and not failures(report)
    doc["regions"]["total"] += 1  # one region more than was masked
    log_file.write_text(json.dumps({**doc, "signature": resaved["signature"]}))
    code, report = run_verify(case)
    # the log is named as the altered file; the derivative still matches what custody recorded
    assert (
        code == 1
        and failures(report) == [("a.mp4.redacted.json", failures(report)[0][1])]
        and "altered after it was written (log signature invalid" in failures(report)[0][1]
    )


def test_seal_hash_rewritten_to_match_a_changed_original_is_caught(case):
    seal = json.loads((case / "a.mp4.seal.json").read_text())
    seal["sha256"] = "0" * 64
    (case / "a.mp4.seal.json").write_text(json.dumps(seal))
    code, report = run_verify(case)
    details = " ".join(d for _, d in failures(report))
    assert code == 1 and "signature invalid" in details and "differs from the seal" in details


@pytest.mark.parametrize("tamper", ["delete", "reorder", "drop_last"])
def test_custody_entries_deleted_reordered_or_cut_off(case, tamper):
    path = case / "custody.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 6  # sealed a, analysed a, redacted a, sealed b, analysed b, redacted b
    changed = {"delete": lines[:1] + lines[2:], "reorder": [lines[1], lines[0], *lines[2:]], "drop_last": lines[:-1]}
    path.write_bytes(b"".join(changed[tamper]))
    code, report = run_verify(case)
    assert code == 1
    text = " ".join(d for _, d in failures(report))
    expected = {"delete": "chain broken", "reorder": "sequence number", "drop_last": "no 'redacted' entry"}[tamper]
    assert expected in text


def test_only_trusted_keys_are_accepted(case, signed_case, tmp_path):
    other = keys.create(tmp_path / "other")
    (tmp_path / "other.pub").write_bytes(keys.public_pem(other.public))
    code, report = run_verify("--trust", tmp_path / "other.pub", case)
    # every record says why; the original and derivative are judged by the custody log, which fails too
    assert code == 1 and all(
        "not a trusted key" in d or "though the custody log itself fails its checks" in d for _, d in failures(report)
    ), failures(report)
    station_pub = signed_case.parent / "keys" / "station.pub"  # the public key alone verifies
    assert run_verify("--trust", station_pub, case)[0] == 0


def test_unsigned_case_warns_and_fails_only_when_signatures_are_required(tmp_path):
    redact_file(write_clip(tmp_path / "u.mp4", count=4, size=(96, 64)), FACES_ONLY)  # no key in this test
    code, report = run_verify(tmp_path)
    assert code == 0 and {f["status"] for f in report["findings"]} == {"warn"}
    assert run_verify("--require-signed", tmp_path)[0] == 1


def test_folder_tree_with_good_and_bad_cases(case, signed_case, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(signed_case, tree / "2026" / "good")
    shutil.copytree(case, tree / "2026" / "bad")
    (tree / "2026" / "bad" / "b.mp4.redacted.mp4").write_bytes(b"not the derivative")
    code, report = run_verify(tree)
    bad = [f for f in report["findings"] if f["status"] == "fail"]
    assert code == 1 and [Path(f["path"]).name for f in bad] == ["b.mp4.redacted.mp4"]
    assert "/bad/" in bad[0]["path"]
    good = [f for f in report["findings"] if "/good/" in f["path"]]
    assert len(good) == 7 and all(f["status"] == "ok" for f in good)


def test_changed_original_is_logged_as_verification_failed(case, signed_case):
    data = bytearray(writable(case / "a.mp4").read_bytes())
    data[50] ^= 1
    (case / "a.mp4").write_bytes(bytes(data))
    proc = subprocess.run(
        [sys.executable, "-m", "redact", "run", "-q", *ONE_MODEL_FLAGS, "--force", str(case / "a.mp4")],
        capture_output=True,
        env={**os.environ, "REDACT_KEY_DIR": str(signed_case.parent / "keys")},
    )
    assert proc.returncode == 3
    last = json.loads((case / "custody.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "verification failed" and "changed since it was sealed" in last["detail"]


def test_signed_derivative_carries_valid_content_credentials_and_stays_faithful(case):
    import numpy as np
    from clips import video_facts

    from redact.evidence import content_credentials

    manifest = content_credentials.read(case / "a.mp4.redacted.mp4")
    original_sha = json.loads((case / "a.mp4.seal.json").read_text())["sha256"]
    assert manifest["state"] in ("Valid", "Trusted") and manifest["problems"] == []
    assert manifest["provenance"]["original_sha256"] == original_sha
    a, b = video_facts(case / "a.mp4"), video_facts(case / "a.mp4.redacted.mp4")
    assert a["frames"] == b["frames"] and np.allclose(a["pts_s"], b["pts_s"])
    code, report = run_verify(case)
    assert code == 0 and all(
        "C2PA manifest valid" in f["detail"] for f in report["findings"] if f["kind"] == "derivative"
    )


def test_unsigned_derivative_has_no_manifest_and_says_why(tmp_path):
    from redact.evidence import content_credentials

    clip = write_clip(tmp_path / "u.mp4", count=4, size=(96, 64))
    redact_file(clip, FACES_ONLY)
    log = json.loads((tmp_path / "u.mp4.redacted.json").read_text())
    assert log["derivative"]["content_credentials"] == {"embedded": False, "reason": "no station key"}
    assert content_credentials.read(tmp_path / "u.mp4.redacted.mp4") is None


@pytest.mark.parametrize("tamper", ["flip", "truncate"])
@pytest.mark.parametrize(
    "name", ["b.mp4", "b.mp4.redacted.mp4", "b.mp4.seal.json", "b.mp4.redacted.json", "custody.jsonl"]
)
def test_every_file_kind_flipped_or_truncated_is_reported_by_file(case, name, tamper):
    path = writable(case / name)
    data = bytearray(path.read_bytes())
    if tamper == "flip":
        middle = len(data) // 2
        data[middle] = data[middle] ^ 0x20 if chr(data[middle]).isalpha() else data[middle] ^ 0x01
    else:
        data = data[: len(data) - max(1, len(data) // 10)]
    path.write_bytes(bytes(data))
    if name == "b.mp4":
        path.chmod(0o444)  # only the content changed
    code, report = run_verify(case)
    assert code == 1, (name, tamper)
    # reported under the damaged file's name or the name of the file it protects
    named = {
        "b.mp4": {"b.mp4"},
        "b.mp4.seal.json": {"b.mp4", "b.mp4.seal.json"},
        "b.mp4.redacted.mp4": {"b.mp4.redacted.mp4"},
        "b.mp4.redacted.json": {"b.mp4.redacted.mp4", "b.mp4.redacted.json"},
        "custody.jsonl": {"custody.jsonl"},
    }[name]
    assert named & {file for file, _ in failures(report)}, (name, tamper, failures(report))
    assert all(f["status"] == "ok" for f in report["findings"] if Path(f["path"]).name.startswith("a."))


def findings_named(report: dict, name: str) -> list[dict]:
    return [f for f in report["findings"] if Path(f["path"]).name == name]


def test_an_edited_seal_is_named_as_altered_and_the_original_judged_by_custody(case):
    """One digit of the seal changed: the seal is reported altered, by its name, and the
    original is said to still match the SHA-256 its sealing recorded (it was not touched)."""
    seal_file = writable(case / "a.mp4.seal.json")
    doc = json.loads(seal_file.read_text())
    doc["size"] += 1
    seal_file.write_text(json.dumps(doc))
    code, report = run_verify(case)
    assert code == 1
    [seal] = findings_named(report, "a.mp4.seal.json")
    assert seal["status"] == "fail" and seal["kind"] == "seal" and "altered after sealing" in seal["detail"]
    [original] = findings_named(report, "a.mp4")
    assert original["status"] == "ok", original
    assert "a.mp4 still matches the SHA-256 recorded when it was sealed (custody.jsonl line 1)" in original["detail"]


def test_an_edited_seal_over_a_changed_original_says_both(case):
    data = bytearray(writable(case / "a.mp4").read_bytes())
    data[100] ^= 1
    (case / "a.mp4").write_bytes(bytes(data))
    (case / "a.mp4").chmod(0o444)
    seal_file = writable(case / "a.mp4.seal.json")
    doc = json.loads(seal_file.read_text())
    doc["sha256"] = hash_file(case / "a.mp4")  # rewritten to hide the change
    seal_file.write_text(json.dumps(doc))
    code, report = run_verify(case)
    assert code == 1
    assert findings_named(report, "a.mp4.seal.json")[0]["status"] == "fail"
    [original] = findings_named(report, "a.mp4")
    assert (
        original["status"] == "fail"
        and "a.mp4 differs from the SHA-256 recorded when it was sealed" in original["detail"]
    )


def test_an_edited_log_is_named_and_a_replaced_derivative_is_still_caught(case):
    log_file = writable(case / "b.mp4.redacted.json")
    doc = json.loads(log_file.read_text())
    doc["operator"] = "somebody else"
    log_file.write_text(json.dumps(doc))
    code, report = run_verify(case)
    [log] = findings_named(report, "b.mp4.redacted.json")
    assert code == 1 and log["kind"] == "log" and "altered after it was written" in log["detail"]
    [derivative] = findings_named(report, "b.mp4.redacted.mp4")
    assert (
        derivative["status"] == "ok" and "still matches the SHA-256 recorded when it was made" in derivative["detail"]
    )
    (case / "b.mp4.redacted.mp4").write_bytes((case / "a.mp4.redacted.mp4").read_bytes())  # and swapped
    code, report = run_verify(case)
    [derivative] = findings_named(report, "b.mp4.redacted.mp4")
    assert (
        derivative["status"] == "fail" and "differs from the SHA-256 recorded when it was made" in derivative["detail"]
    )
