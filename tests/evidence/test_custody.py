import json
import subprocess
import sys

from redact.evidence import keys
from redact.evidence.custody import append, custody_path, read_chain


def write(folder, n, key=None, event="sealed"):
    for i in range(n):
        append(folder, event, [{"name": f"c{i}.mp4", "sha256": f"{i:064x}"}], "clerk", key, f"2026-11-27T10:00:0{i}Z")


def lines(folder):
    return custody_path(folder).read_bytes().splitlines(keepends=True)


def test_a_clean_signed_chain_verifies(tmp_path):
    key = keys.create(tmp_path / "k")
    write(tmp_path, 4, key)
    report = read_chain(tmp_path)
    assert report.problems == [] and len(report.entries) == 4 and report.signers == {key.fingerprint}
    assert [e["seq"] for e in report.entries] == [1, 2, 3, 4]


def test_deleted_reordered_edited_and_truncated_entries_are_reported(tmp_path):
    key = keys.create(tmp_path / "k")
    write(tmp_path, 4, key)
    original = lines(tmp_path)
    path = custody_path(tmp_path)

    path.write_bytes(b"".join(original[:1] + original[2:]))  # delete entry 2
    assert any("chain broken" in p for p in read_chain(tmp_path).problems)

    path.write_bytes(b"".join([original[1], original[0], *original[2:]]))  # reorder
    assert any("sequence number" in p for p in read_chain(tmp_path).problems)

    edited = json.loads(original[2])
    edited["operator"] = "someone else"
    path.write_bytes(b"".join([*original[:2], (json.dumps(edited) + "\n").encode(), original[3]]))
    problems = read_chain(tmp_path).problems
    assert any("line 3: signature does not match" in p for p in problems)
    assert any("line 4: does not follow" in p for p in problems)

    path.write_bytes(b"".join(original)[:-20])  # truncated mid-entry
    assert read_chain(tmp_path).problems


def test_unsigned_entries_are_counted_not_failed(tmp_path):
    write(tmp_path, 2, None)
    report = read_chain(tmp_path)
    assert report.problems == [] and report.unsigned == 2


def test_concurrent_writers_from_two_processes_keep_the_chain(tmp_path):
    code = (
        "import sys; from pathlib import Path; from redact.evidence.custody import append\n"
        "for i in range(40):\n"
        "    append(Path(sys.argv[1]), 'verified', [{'name': 'x', 'sha256': sys.argv[2]}], 'p', None, 't')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), tag * 64]) for tag in "ab"]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    report = read_chain(tmp_path)
    assert report.problems == [] and len(report.entries) == 80
