"""The custody log: ``custody.jsonl`` beside the originals, append-only and hash-chained.

One JSON line per event (sealed, verified, analysed, transcribed, reviewed, redacted, exported, viewed
original, verification failed) with UTC time, operator, tool version, the files concerned
and their SHA-256, a sequence number, the SHA-256 of the previous line exactly as stored
(``prev``; 64 zeros for the first), and a signature over the entry when a station key
exists. Deleting, reordering or editing any entry breaks the chain. Cutting entries off the
end leaves a valid chain, so every append also rewrites ``custody.head.json`` (signed like the
entries): the sequence number and SHA-256 of the last line. A log shorter than its head, or whose
line at the head's number is another, was cut or rolled back; entries written since heads exist
say so (``"v": 2``), so deleting the head is caught too.
Writers take an exclusive ``flock`` on the file, so concurrent runs never interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import writing
from ..i18n import N_, Msg
from .keys import StationKey

if TYPE_CHECKING:
    from .trust import Trust
from .signing import sign

CUSTODY_NAME = "custody.jsonl"
HEAD_NAME = "custody.head.json"
HEAD_FORMAT = "redact.custody-head/1"
HEADS_DIR = "custody-heads"  # in the station's key folder: the last head it wrote to each log
ENTRY_VERSION = 2  # entries that promise a head file beside the log
GENESIS = "0" * 64
EVENTS = (
    "sealed",
    "verified",
    "analysed",
    "transcribed",
    "reviewed",
    "redacted",
    "exported",
    "viewed original",
    "verification failed",
)


def login() -> str:
    """The operating system account this process runs under."""
    from .seal import current_operator

    return current_operator()


def put_in_place(pairs: tuple[tuple[Path, Path], ...]):
    """Rename each temporary over its final file, keeping the previous one aside (a hard link);
    returns ``undo(restore)``: put the previous files back (or remove the new ones), or just
    drop what was kept aside."""
    from .atomic import temp_path_for

    done: list[tuple[Path, Path | None]] = []
    try:
        for tmp, final in pairs:
            kept = None
            if final.exists():
                kept = temp_path_for(final)
                try:
                    os.link(final, kept)
                except OSError:  # a file system without hard links (exFAT evidence drives): a copy
                    shutil.copy2(final, kept)
            done.append((final, kept))
            os.replace(tmp, final)
    except OSError:
        undo_renames(done, restore=True)
        raise

    def undo(restore: bool) -> None:
        undo_renames(done, restore)

    return undo


def undo_renames(done: list[tuple[Path, Path | None]], restore: bool) -> None:
    for final, kept in reversed(done):
        with contextlib.suppress(OSError):
            if restore and kept is not None:
                os.replace(kept, final)
            elif restore:
                final.unlink()
            elif kept is not None:
                kept.unlink()


def remembered_path(folder: Path, genesis: str) -> Path:
    """Where this station keeps the last head it wrote to ``folder``'s log (named by the folder
    and the log's first line): in its key folder, which whoever can write the evidence folder
    cannot. A folder rolled back to a state older than this station's last write, with its
    log and head, is caught here even when every file in it is consistent."""
    from .atomic import host_tag  # a key folder shared between PCs keeps each one's memory apart
    from .keys import key_dir

    name = hashlib.sha256(f"{genesis}:{Path(folder).resolve()}:{host_tag()}".encode()).hexdigest()[:32]
    return key_dir() / HEADS_DIR / f"{name}.json"


def remember_head(folder: Path, genesis: str, seq: int, last_line: bytes, time: str) -> None:
    from .atomic import write_json_atomic

    path = remembered_path(folder, genesis)
    with contextlib.suppress(OSError):  # a defence in depth: the signed head in the folder stands without it
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        memo = {"folder": str(Path(folder).resolve()), "seq": seq, "sha256": hashlib.sha256(last_line).hexdigest()}
        write_json_atomic(path, {**memo, "time": time})


def remembered_head(folder: Path, genesis: str) -> dict | None:
    path = remembered_path(folder, genesis)
    try:
        memo = json.loads(path.read_text())
        valid = isinstance(memo.get("seq"), int) and isinstance(memo.get("sha256"), str)
    except (OSError, ValueError, AttributeError):
        return None
    return {**memo, "record": str(path)} if valid else None


def custody_path(folder: Path) -> Path:
    return folder / CUSTODY_NAME


def head_path(folder: Path) -> Path:
    return folder / HEAD_NAME


def write_head(folder: Path, seq: int, last_line: bytes, key: StationKey | None, time: str) -> None:
    """The signed head: how many entries the log holds and the SHA-256 of its last line."""
    from .atomic import write_json_atomic

    head = {"format": HEAD_FORMAT, "seq": seq, "sha256": hashlib.sha256(last_line).hexdigest(), "time": time}
    write_json_atomic(head_path(folder), sign(head, key))


def append(
    folder: Path,
    event: str,
    files: list[dict],
    operator: str,
    key: StationKey | None,
    time: str,
    detail: str | None = None,
    publish: tuple[tuple[Path, Path], ...] = (),
) -> dict:
    """Append one signed entry under an exclusive lock; returns the entry written. ``publish``:
    (temporary, final) files the entry records, renamed into place under the same lock, so
    that what custody last recorded for a file and the file itself never disagree: two writers
    of one decisions file cannot interleave, and if the line cannot be written the previous
    files are put back.

    Raises ``StorageError`` when the storage refuses the line (full, read-only); a line it
    took only in part is cut off again, so the chain stays as it was.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown custody event {event!r}")
    path = custody_path(folder)
    with writing(path, N_("the custody log")), open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            f.seek(0)
            lines = [line for line in f.read().splitlines() if line.strip()]
            entry = {
                "seq": len(lines) + 1,
                "time": time,
                "event": event,
                "operator": operator,  # the person (--operator, the page's reviewer)
                "login": login(),  # and the account the tool ran under
                "tool": f"redact {__version__}",
                "files": files,
                "prev": hashlib.sha256(lines[-1]).hexdigest() if lines else GENESIS,
                "v": ENTRY_VERSION,
            }
            if detail:
                entry["detail"] = detail
            entry = sign(entry, key)
            written = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode() + b"\n"
            line = memoryview(written)
            end = os.lseek(f.fileno(), 0, os.SEEK_END)
            undo = put_in_place(publish)
            try:
                while line:  # unbuffered: nothing left to flush (and fail) again at close
                    line = line[os.write(f.fileno(), line) :]
                os.fsync(f.fileno())
                write_head(folder, entry["seq"], written.rstrip(b"\n"), key, time)
                if key is not None:  # a signing station also remembers, where the folder's writers cannot reach
                    first = lines[0] if lines else written.rstrip(b"\n")
                    remember_head(folder, hashlib.sha256(first).hexdigest(), entry["seq"], written.rstrip(b"\n"), time)
            except OSError:
                os.ftruncate(f.fileno(), end)  # the head, renamed into place last, is still the old one
                undo(restore=True)
                raise
            undo(restore=False)
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    return entry


def write_recorded(
    path: Path,
    document: dict,
    what: Msg,
    records: Path,
    event: str,
    role: str,
    operator: str,
    key: StationKey | None,
    time: str,
    detail: str | None = None,
    read_only: bool = False,
) -> str:
    """``document`` signed and written atomically to ``path`` (``read_only``: then made so), and
    its custody entry ``event`` in ``records``, naming it in ``role`` by SHA-256; that SHA-256."""
    from .atomic import temp_path_for
    from .hashing import hash_file

    tmp = temp_path_for(path)
    with writing(path, what):
        try:
            with open(tmp, "w") as f:
                f.write(json.dumps(sign(document, key), indent=2) + "\n")
                f.flush()
                os.fsync(f.fileno())
            if read_only:
                with contextlib.suppress(OSError):  # read-only storage of a case folder: already read-only
                    os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            sha = hash_file(tmp)
            entry = [{"name": os.path.relpath(path, records), "role": role, "sha256": sha}]
            # renamed into place with its entry, under the log's lock (a rename replaces a read-only older one)
            append(records, event, entry, operator, key, time, detail=detail, publish=((tmp, path),))
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return sha


@dataclass(frozen=True)
class ChainReport:
    entries: list[dict]
    problems: list[str]
    unsigned: int
    signers: set[str]
    notes: tuple[str, ...] = ()  # what verifies but deserves a word (entries after the last head)


def read_chain(folder: Path, trust: Trust | None = None) -> ChainReport:
    """Parse and check the whole chain: sequence, previous-line hashes, signatures under
    ``trust`` (None: any valid signature, unsigned allowed), and its head: nothing cut off."""
    from .trust import Trust, judge, refusal

    trust = trust or Trust()
    path = custody_path(folder)
    entries, problems, signers = [], [], set()
    unsigned = 0
    if not path.exists():
        return ChainReport([], [N_("{name} is missing", name=CUSTODY_NAME)], 0, signers)
    data, head_text, memo = snapshot(folder)
    if data and not data.endswith(b"\n"):
        problems.append(N_("last entry is cut short (no final newline)"))
    prev = GENESIS
    line_hashes: list[str] = []
    for number, line in enumerate(data.splitlines(), start=1):
        line_hashes.append(hashlib.sha256(line).hexdigest())
        if not line.strip():
            problems.append(N_("line {line}: empty", line=number))
            continue
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            entry = None
        if not isinstance(entry, dict):
            problems.append(N_("line {line}: not a custody entry (not a JSON object)", line=number))
            prev = line_hashes[-1]
            continue
        if entry.get("seq") != number:
            problems.append(
                N_(
                    "line {line}: sequence number {seq} (entries deleted or reordered)",
                    line=number,
                    seq=entry.get("seq"),
                )
            )
        if entry.get("prev") != prev:
            problems.append(N_("line {line}: does not follow the previous entry (chain broken)", line=number))
        verdict = judge(entry, trust)
        problem = verdict.reason if verdict.status == "altered" else refusal(verdict, trust)
        if problem is not None:
            problems.append(N_("line {line}: {problem}", line=number, problem=problem))
        if verdict.status == "unsigned":
            unsigned += 1
        elif verdict.signer:
            signers.add(verdict.signer)
        entries.append(entry)
        prev = line_hashes[-1]
    head_problems, notes = check_head(head_text, entries, line_hashes, trust)
    return ChainReport(
        entries, problems + head_problems + check_remembered(memo, line_hashes), unsigned, signers, tuple(notes)
    )


def snapshot(folder: Path) -> tuple[bytes, str | None, dict | None]:
    """The log's bytes, its head file's text and this station's memory of its head, read under a
    shared lock: a writer appends a line and rewrites both under its exclusive one, so the three
    never disagree because a run next door was writing (a batch's clips share one log)."""
    with open(custody_path(folder), "rb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_SH)
        try:
            data = f.read()
            try:
                head_text = head_path(folder).read_text()
            except FileNotFoundError:
                head_text = None
            first = data.split(b"\n", 1)[0]
            memo = remembered_head(folder, hashlib.sha256(first).hexdigest()) if first.strip() else None
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    return data, head_text, memo


def check_remembered(memo: dict | None, line_hashes: list[str]) -> list[str]:
    """Problems against the head this station last wrote to the log (``memo``), when it wrote one."""
    if memo is None:
        return []
    seq, time = memo["seq"], memo.get("time")
    record = memo["record"] if memo.get("record") else N_("its key folder")
    where = N_("(this station's record of it: {record})", record=record)
    if seq > len(line_hashes):
        return [
            N_(
                "this station last wrote entry {seq} to this log ({time}), and it now ends at line {lines}: entries"
                " were cut, or the folder was rolled back {where}",
                seq=seq,
                time=time,
                lines=len(line_hashes),
                where=where,
            )
        ]
    if seq >= 1 and line_hashes[seq - 1] != memo["sha256"]:
        return [
            N_(
                "line {seq} is not the entry this station wrote there ({time}): the log was rewritten {where}",
                seq=seq,
                time=time,
                where=where,
            )
        ]
    return []


def check_head(
    head_text: str | None, entries: list[dict], line_hashes: list[str], trust
) -> tuple[list[str], list[str]]:
    """Problems with the log's end, judged by its head file's text: (problems, notes)."""
    from .trust import judge, refusal

    promised = any(isinstance(e.get("v"), int) and e["v"] >= ENTRY_VERSION for e in entries)
    if head_text is None:
        if promised:
            return [N_("{head} is missing: entries may have been cut from the end of the log", head=HEAD_NAME)], []
        return [], []  # a log written before heads existed
    try:
        head = json.loads(head_text)
        seq, sha = int(head["seq"]), str(head["sha256"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return [N_("{head} is unreadable ({error})", head=HEAD_NAME, error=str(exc))], []
    problem = refusal(judge(head, trust), trust)
    if problem is not None:
        return [N_("{head}: {problem}", head=HEAD_NAME, problem=problem)], []
    if seq > len(line_hashes):
        return [
            N_(
                "the log ends at line {lines} but its head records {seq} entries: entries were cut from the end, or"
                " the log was rolled back",
                lines=len(line_hashes),
                seq=seq,
            )
        ], []
    if seq < 1 or line_hashes[seq - 1] != sha:
        return [N_("line {seq} is not the entry its head records: the log was rewritten or rolled back", seq=seq)], []
    after = len(line_hashes) - seq
    if after and not trust.required:
        return [], [N_("{n} entries after the last head (an interrupted write, or added by hand)", n=after)]
    return [], []


@dataclass(frozen=True)
class Recorded:
    """What the latest entry naming a file recorded of it."""

    seq: int
    event: str
    role: str
    sha256: str


def latest_records(entries: list[dict], folder: Path) -> dict[Path, Recorded]:
    """Each file ``folder``'s log names, and what its latest entry recorded of it: the case's
    index. Only entries that name files relative to the log (``"v": 2``) count."""
    latest: dict[Path, Recorded] = {}
    for entry in entries:
        if not (isinstance(entry.get("v"), int) and entry["v"] >= ENTRY_VERSION):
            continue
        for named in entry.get("files") or []:
            if isinstance(named, dict) and named.get("role") and named.get("sha256"):
                path = Path(os.path.normpath(Path(folder).absolute() / str(named.get("name", ""))))
                latest[path] = Recorded(entry.get("seq", 0), str(entry.get("event")), named["role"], named["sha256"])
    return latest


def has_event(entries: list[dict], event: str, sha256: str) -> bool:
    return any(
        e.get("event") == event
        and isinstance(e.get("files"), list)
        and any(isinstance(f, dict) and f.get("sha256") == sha256 for f in e["files"])
        for e in entries
    )
