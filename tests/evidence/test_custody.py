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


def test_a_record_is_renamed_into_place_with_its_entry_or_the_previous_one_stays(tmp_path, monkeypatch):
    """A decisions file replaced and then refused its custody line (a full disk) was left in
    place unrecorded: the next run took it for one put back and refused the folder. Now the
    record and its entry go in together, under the log's lock, or neither does."""
    import errno

    import pytest

    from redact.errors import StorageError
    from redact.evidence import custody

    record = tmp_path / "clip.mp4.decisions.json"
    record.write_text('{"old": true}')
    append(tmp_path, "sealed", [], "clerk", None, "2026-12-06T10:00:00Z")
    new = tmp_path / ".new"
    new.write_text('{"new": true}')

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(custody, "write_head", full)
    with pytest.raises(StorageError):
        append(
            tmp_path,
            "reviewed",
            [{"name": record.name, "role": "decisions"}],
            "clerk",
            None,
            "t",
            publish=((new, record),),
        )
    assert record.read_text() == '{"old": true}' and len(lines(tmp_path)) == 1
    # the new file is gone with the failed entry (the writer writes it again), no copy is left aside
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clip.mp4.decisions.json",
        "custody.head.json",
        "custody.jsonl",
    ]
    monkeypatch.undo()
    new.write_text('{"new": true}')
    append(
        tmp_path, "reviewed", [{"name": record.name, "role": "decisions"}], "clerk", None, "t", publish=((new, record),)
    )
    assert record.read_text() == '{"new": true}' and len(lines(tmp_path)) == 2 and not new.exists()
