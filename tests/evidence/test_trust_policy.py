"""The station's trust policy, attacked as an insider who can write to the evidence folder but
holds no key: every route to an unredacted copy or a clean `verify` over forged, downgraded,
missing or cut records is refused (run/render exit 3) or fails verify, naming the file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clips import write_clip, write_interview
from light import ONE_MODEL_FLAGS

from redact.evidence import keys
from redact.evidence.signing import canonical_json, sign

UNS = {"signed": False, "reason": "x"}  # the unsigned marker, as a forger writes it


def redact_cli(*args, key_dir: Path | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["REDACT_KEY_DIR"] = str(key_dir) if key_dir else env["REDACT_KEY_DIR"]
    return subprocess.run([sys.executable, "-m", "redact", *map(str, args)], capture_output=True, text=True, env=env)


def verify(folder: Path, key_dir: Path | None, *flags) -> tuple[int, list[tuple[str, str, str]]]:
    """verify's exit code and its failures as (kind, file name, reason)."""
    proc = redact_cli("verify", "--json", *flags, folder, key_dir=key_dir)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    return proc.returncode, [
        (f["kind"], Path(f["path"]).name, f["detail"]) for f in report["findings"] if f["status"] == "fail"
    ]


@pytest.fixture(scope="module")
def done_folder(tmp_path_factory) -> Path:
    """A station key, and a clip with two faces run, then rendered again with its decisions saved
    (as in the attack: `keys init`, `run`, `render --force --redact-frames 0-0.2 --save-decisions`)."""
    root = tmp_path_factory.mktemp("station")
    keys.create(root / "keys")
    (root / "case").mkdir()
    clip = write_interview(root / "case" / "clip.mp4", frames=12)
    for args in (("run", *ONE_MODEL_FLAGS), ("render", "--force", "--redact-frames", "0-0.2", "--save-decisions")):
        proc = redact_cli(*args, "-q", "--workers", "0", clip, key_dir=root / "keys")
        assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture
def station(done_folder, tmp_path) -> tuple[Path, Path]:
    """A private copy: (case folder, station key folder)."""
    shutil.copytree(done_folder, tmp_path / "station")
    return tmp_path / "station" / "case", tmp_path / "station" / "keys"


def writable(path: Path) -> Path:
    path.chmod(0o644)
    return path


def rewrite(path: Path, change) -> None:
    document = json.loads(writable(path).read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_the_done_folder_verifies_on_the_station(station):
    case, key_dir = station
    assert verify(case, key_dir) == (0, [])


def test_a_downgraded_analysis_is_refused_and_fails_verify(station):
    """Attack 1: the analysis emptied of every region and track, marked unsigned, decisions deleted."""
    case, key_dir = station
    before = (case / "clip.mp4.redacted.mp4").read_bytes()

    def empty(document):
        document["regions"]["frames"], document["tracks"], document["signature"] = [], [], UNS

    rewrite(case / "clip.mp4.analysis.json", empty)
    (case / "clip.mp4.decisions.json").unlink()
    proc = redact_cli("render", "--force", case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 3, proc.stderr
    assert "analysis clip.mp4.analysis.json is refused" in proc.stderr and "unsigned" in proc.stderr
    assert (case / "clip.mp4.redacted.mp4").read_bytes() == before  # nothing was rendered from it
    code, failed = verify(case, key_dir)
    names = {name for _, name, _ in failed}
    assert code == 1 and {"clip.mp4.analysis.json", "clip.mp4.decisions.json"} <= names, failed


def test_downgraded_or_edited_decisions_are_refused_and_fail_verify(station, done_folder):
    """Attack 2: every track kept visible, with a reason, signature replaced by the unsigned marker."""
    case, key_dir = station
    decisions = case / "clip.mp4.decisions.json"
    tracks = [t["id"] for t in json.loads((case / "clip.mp4.analysis.json").read_text())["tracks"]]
    assert tracks, "the interview's faces were found"

    def keep_all(document):
        document["keep_tracks"] = [{"track": t, "reason": "subject", "reviewer": "x"} for t in tracks]
        document["signature"] = UNS

    rewrite(decisions, keep_all)
    proc = redact_cli("render", "--force", case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 3 and "decisions clip.mp4.decisions.json is refused" in proc.stderr, proc.stderr
    code, failed = verify(case, key_dir)
    assert code == 1 and any(name == "clip.mp4.decisions.json" and kind == "decisions" for kind, name, _ in failed)

    # a signed decisions file edited by hand: its signature no longer matches
    shutil.copyfile(done_folder / "case" / "clip.mp4.decisions.json", decisions)
    rewrite(decisions, lambda d: d.update(reviewer="someone else"))
    code, failed = verify(case, key_dir)
    assert code == 1 and any(
        name == "clip.mp4.decisions.json" and "signature invalid" in why for _, name, why in failed
    ), failed


@pytest.mark.parametrize("downgrade", ["unsigned marker", "no signature member"])
def test_a_substituted_original_under_a_downgraded_seal_is_refused(station, tmp_path, downgrade):
    """Attack 3: another video in the original's place, its hash and size in the seal, unsigned."""
    case, key_dir = station
    other = write_clip(tmp_path / "other.mp4", count=6, size=(96, 64))
    writable(case / "clip.mp4")
    shutil.copyfile(other, case / "clip.mp4")

    def forge(document):
        document["sha256"] = hashlib.sha256(other.read_bytes()).hexdigest()
        document["size"] = other.stat().st_size
        if downgrade == "unsigned marker":
            document["signature"] = UNS
        else:
            del document["signature"]

    rewrite(case / "clip.mp4.seal.json", forge)
    proc = redact_cli("run", "--force", "-q", *ONE_MODEL_FLAGS, case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 3 and "seal clip.mp4.seal.json is refused" in proc.stderr, proc.stderr
    assert "do not redact it" in proc.stderr
    # with a forged unsigned "sealed" custody line after it, verify still fails
    custody = case / "custody.jsonl"
    last = custody.read_bytes().splitlines()[-1]
    forged = {
        "seq": len(custody.read_bytes().splitlines()) + 1,
        "event": "sealed",
        "files": [{"name": "clip.mp4", "role": "original", "sha256": hashlib.sha256(other.read_bytes()).hexdigest()}],
        "prev": hashlib.sha256(last).hexdigest(),
        "signature": UNS,
    }
    with open(custody, "ab") as f:
        f.write(canonical_json(forged) + b"\n")
    code, failed = verify(case, key_dir)
    kinds = {kind for kind, _, _ in failed}
    assert code == 1 and {"seal", "custody"} <= kinds | {"original"}, failed
    assert any("unsigned" in why for _, _, why in failed)


def test_unsigned_or_foreign_records_fail_verify_on_a_signed_station(station, done_folder, tmp_path):
    """Attack 4: a log marked unsigned; an unsigned custody line; a line signed by another station."""
    case, key_dir = station
    rewrite(case / "clip.mp4.redacted.json", lambda d: d.update(signature=UNS))
    code, failed = verify(case, key_dir)
    assert code == 1 and any(name == "clip.mp4.redacted.json" for _, name, _ in failed), failed

    stranger = keys.create(tmp_path / "stranger")
    for signer, expected in ((None, "unsigned"), (stranger, "not a trusted key")):
        copy = tmp_path / f"case-{expected.split()[0]}"
        shutil.copytree(done_folder / "case", copy)
        custody = writable(copy / "custody.jsonl")
        lines = custody.read_bytes().splitlines()
        entry = {"seq": len(lines) + 1, "event": "exported", "files": [], "prev": hashlib.sha256(lines[-1]).hexdigest()}
        custody.write_bytes(custody.read_bytes() + canonical_json(sign(entry, signer)) + b"\n")
        code, failed = verify(copy, key_dir)
        assert code == 1 and failed and all(kind == "custody" for kind, _, _ in failed), failed
        assert expected in failed[0][2]


@pytest.mark.parametrize(
    "removed",
    [
        ("clip.mp4.redacted.mp4", "clip.mp4.redacted.json"),
        ("clip.mp4.analysis.json",),
        (
            "clip.mp4",
            "clip.mp4.seal.json",
            "clip.mp4.analysis.json",
            "clip.mp4.decisions.json",
            "clip.mp4.redacted.mp4",
            "clip.mp4.redacted.json",
        ),
    ],
    ids=["derivative and log", "analysis", "original and everything beside it"],
)
def test_missing_evidence_the_custody_log_records_fails_verify(station, removed):
    """Attack 5: the custody log is the case's index; what it records must be there."""
    case, key_dir = station
    for name in removed:
        (case / name).unlink()
    code, failed = verify(case, key_dir)
    assert code == 1
    missing = {name for _, name, why in failed if "missing" in why}
    assert set(removed) - {"clip.mp4.seal.json"} <= missing | {"clip.mp4.redacted.json"}, failed


def test_the_original_in_the_derivatives_place_is_caught(station):
    """Attack 5: the log deleted and the unredacted original copied to the derivative's name."""
    case, key_dir = station
    (case / "clip.mp4.redacted.json").unlink()
    writable(case / "clip.mp4.redacted.mp4")
    shutil.copyfile(case / "clip.mp4", case / "clip.mp4.redacted.mp4")
    code, failed = verify(case, key_dir)
    assert code == 1
    assert any(name == "clip.mp4.redacted.mp4" and "differs from the SHA-256" in why for _, name, why in failed)
    # verifying the derivative alone, without its log: one line, no traceback
    proc = redact_cli("verify", case / "clip.mp4.redacted.mp4", key_dir=key_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "redaction log is missing" in proc.stdout


def test_a_cut_custody_tail_is_caught(station):
    """Attack 6: `sed -i '$d' custody.jsonl` removes the last entry; the signed head remembers it."""
    case, key_dir = station
    custody = writable(case / "custody.jsonl")
    custody.write_bytes(b"".join(custody.read_bytes().splitlines(keepends=True)[:-1]))
    code, failed = verify(case, key_dir)
    assert code == 1 and any(kind == "custody" and "cut from the end" in why for kind, _, why in failed), failed
    (case / "custody.head.json").unlink()  # and without the head: entries promise one
    code, failed = verify(case, key_dir)
    assert code == 1 and any("custody.head.json is missing" in why for _, _, why in failed), failed
    # the run refuses to go on from a log that fails its checks
    proc = redact_cli("render", "--force", case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 3 and "custody log custody.jsonl fails its checks" in proc.stderr, proc.stderr


def test_a_keyless_machine_holds_a_signed_folder_to_its_own_key_and_will_not_write_into_it(station):
    case, _ = station
    code, report_failures = verify(case, None)  # a court's machine with no key and no trust list
    assert code == 0 and not report_failures
    rewrite(case / "clip.mp4.analysis.json", lambda d: d.update(signature=UNS))
    code, failed = verify(case, None)
    assert code == 1 and any(name == "clip.mp4.analysis.json" for _, name, _ in failed)
    proc = redact_cli("render", "--force", case / "clip.mp4", key_dir=None)
    assert proc.returncode == 7 and "this station has no key" in proc.stderr, proc.stderr


def test_another_stations_records_are_refused_until_its_key_is_trusted(station, tmp_path):
    case, key_dir = station
    other = tmp_path / "other-station"
    assert redact_cli("keys", "init", key_dir=other).returncode == 0
    proc = redact_cli("render", "--force", case / "clip.mp4", key_dir=other)
    assert proc.returncode == 3 and "not a trusted key" in proc.stderr, proc.stderr
    assert verify(case, other)[0] == 1
    proc = redact_cli("keys", "trust", key_dir / "station.pub", key_dir=other)
    assert proc.returncode == 0 and "trusted: ed25519:" in proc.stdout, proc.stderr
    assert verify(case, other) == (0, [])
    proc = redact_cli("render", "--force", "-q", case / "clip.mp4", key_dir=other)
    assert proc.returncode == 0, proc.stderr
    assert verify(case, other) == (0, [])  # its own records and the first station's, both trusted
    assert verify(case, key_dir)[0] == 1  # the first station does not know the second's key


def test_an_older_signed_decisions_file_put_back_is_refused_and_fails_verify(station):
    """Rollback: every decisions file this station saved is validly signed; only the latest one
    the custody log recorded may be rendered from."""
    case, key_dir = station
    decisions = case / "clip.mp4.decisions.json"
    older = decisions.read_bytes()
    proc = redact_cli(
        "render", "--force", "-q", "--redact-frames", "0-0.3", "--save-decisions", case / "clip.mp4", key_dir=key_dir
    )
    assert proc.returncode == 0, proc.stderr
    writable(decisions).write_bytes(older)  # the earlier, signed decisions put back
    proc = redact_cli("render", "--force", case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 3 and "not the decisions the custody log last recorded" in proc.stderr, proc.stderr
    code, failed = verify(case, key_dir)
    assert code == 1 and any(
        name == "clip.mp4.decisions.json" and "differs from the SHA-256" in why for _, name, why in failed
    ), failed


def test_custody_names_the_person_and_the_login_beside(station):
    case, key_dir = station
    proc = redact_cli("render", "--force", "-q", "--operator", "DC 1234 Smith", case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 0, proc.stderr
    last = json.loads((case / "custody.jsonl").read_text().splitlines()[-1])
    assert last["operator"] == "DC 1234 Smith" and last["login"] and last["login"] != last["operator"]


def test_a_whole_folder_rolled_back_is_caught_by_the_station_that_wrote_it(station, tmp_path):
    """Every file put back as it was before the last render (log, head, records, outputs): the
    folder is consistent in itself, but the station remembers the last head it wrote."""
    case, key_dir = station
    snapshot = tmp_path / "snapshot"
    shutil.copytree(case, snapshot)
    proc = redact_cli("render", "--force", "-q", "--redact-frames", "0-0.4", case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 0, proc.stderr
    for path in case.iterdir():
        writable(path)
    shutil.rmtree(case)
    shutil.copytree(snapshot, case)
    code, failed = verify(case, key_dir)
    assert code == 1 and any("this station last wrote entry" in why for _, _, why in failed), failed
    assert verify(case, None)[0] == 0  # elsewhere the folder is consistent: only the station can tell
    proc = redact_cli("render", "--force", case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 3 and "rolled back" in proc.stderr, proc.stderr


def test_a_deleted_custody_log_stops_the_run(station):
    case, key_dir = station
    (case / "custody.jsonl").unlink()
    (case / "custody.head.json").unlink()
    proc = redact_cli("render", "--force", case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 3 and "custody log custody.jsonl is missing or empty" in proc.stderr, proc.stderr


def test_the_clips_own_decisions_named_another_way_are_still_a_record(station):
    case, key_dir = station
    rewrite(case / "clip.mp4.decisions.json", lambda d: d.update(signature=UNS))
    roundabout = case / ".." / case.name / "clip.mp4.decisions.json"
    proc = redact_cli("render", "--force", "--decisions", roundabout, case / "clip.mp4", key_dir=key_dir)
    assert proc.returncode == 3 and "is refused" in proc.stderr, proc.stderr


def test_a_trust_file_without_a_key_is_refused_not_taken_for_any_key(station, tmp_path):
    case, key_dir = station
    empty = tmp_path / "fingerprint.txt"
    empty.write_text("ed25519:55f5:d2c7:4719:149f\n")
    proc = redact_cli("verify", "--trust", empty, case, key_dir=key_dir)
    assert proc.returncode == 7 and "no public key in this file" in proc.stderr, proc.stderr
