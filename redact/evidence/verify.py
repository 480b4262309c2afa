"""``redact verify``: does every original match its seal, every derivative its log, and is the
custody chain unbroken? Needs no network and no private key; writes nothing.

A finding is ``ok``, ``warn`` (verifies, but unsigned) or ``fail`` (with the reason).
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..errors import message_of
from ..i18n import N_, Listed, named
from . import content_credentials
from .custody import CUSTODY_NAME, has_event, latest_records, read_chain
from .layout import (
    ANALYSIS_SUFFIX,
    DECISIONS_SUFFIX,
    DERIVATIVE_SUFFIX,
    LOG_SUFFIX,
    SEAL_SUFFIX,
    TRANSCRIPT_SUFFIX,
    Layout,
    log_for_derivative,
    sealed_file,
)
from .log_reader import LogReader, raw_digest
from .seal import hash_file as _hash_file
from .seal import is_read_only
from .signing import check, is_digest_signature
from .trust import Trust, judge, refusal, station_trust


@dataclass(frozen=True)
class Finding:
    status: str  # ok | warn | fail
    kind: str  # original | seal | analysis | transcript | derivative | log | custody
    path: str
    detail: str
    signer: str | None = None


KIND_NAMES = {
    "original": N_("original"),
    "seal": N_("seal"),
    "analysis": N_("analysis"),
    "transcript": N_("transcript"),
    "decisions": N_("decisions"),
    "derivative": N_("derivative"),
    "log": N_("log"),
    "report": N_("report"),
    "custody": N_("custody"),
    "trust": N_("trust"),
    "folder": N_("folder"),
}


def kind_name(kind: str) -> str:
    """What a finding checked, in the interface language (the JSON report keeps the English)."""
    return named(KIND_NAMES, kind)


# SHA-256s computed during one verify_paths call, so that a file checked against its record and
# again against the custody index is read once (never kept between calls: a file may change)
_HASHED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("hashed", default=None)


def hash_file(path: Path) -> str:
    memo = _HASHED.get()
    if memo is None:
        return _hash_file(path)
    info = path.stat()
    key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in memo:
        memo[key] = _hash_file(path)
    return memo[key]


WHOLE_LOG_MAX = 64 << 20  # a log not laid out as redact writes it is parsed whole only up to this size


def read_log(log_file: Path) -> tuple[dict, bytes | None]:
    """A redaction log's members (long arrays left empty) and its canonical digest, in constant
    memory. A log signed over its whole text (before logs were streamed) or re-saved in
    another key order is parsed whole, if small enough."""
    try:
        reader = LogReader(log_file, digest=False)
    except ValueError:
        if log_file.stat().st_size > WHOLE_LOG_MAX:
            raise
        return json.loads(log_file.read_text()), None
    signature = reader.head.get("signature")
    if not isinstance(signature, dict) or signature.get("signed") is False:
        return reader.head, None  # unsigned (or no signature): there is no digest to check
    if not is_digest_signature(signature):
        return json.loads(log_file.read_text()), None
    digest = raw_digest(log_file)  # the file as written: its bytes are the canonical form
    if digest is None or check(reader.head, None, digest)[0] == "invalid":
        digest = LogReader(log_file).digest  # laid out anew, or altered: re-serialise to know which
    return reader.head, digest


def _signature(
    document: dict, trust: Trust, what: str, digest: bytes | None = None
) -> tuple[str, str, str | None, bool]:
    """(status, sentence, signer, altered) for a record's signature under ``trust``."""
    trust = trust or Trust()
    verdict = judge(document, trust, digest)
    named = KIND_NAMES.get(what, what)
    if verdict.status == "altered":
        return "fail", N_("{what} signature invalid: {reason}", what=named, reason=verdict.reason), None, True
    problem = refusal(verdict, trust)
    if problem is not None:
        return "fail", N_("{what} refused: {problem}", what=named, problem=problem), verdict.signer, False
    if verdict.status == "unsigned":
        return "warn", N_("{what} is unsigned", what=named), None, False
    return "ok", N_("{what} signed", what=named), verdict.signer, False


def _worst(statuses: list[str]) -> str:
    return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "ok"


def recorded_hashes(chain, event: str, role: str, name: str) -> list[tuple[int, str]]:
    """(custody line, SHA-256) of every ``event`` entry that names the file ``name`` in ``role``."""
    return [
        (entry.get("seq", 0), f.get("sha256", ""))
        for entry in chain.entries
        if entry.get("event") == event
        for f in entry.get("files", [])
        if f.get("role") == role and Path(f.get("name", "")).name == name
    ]


def against_custody(chain, event: str, role: str, path: Path, actual: str, problems: bool) -> tuple[str, str]:
    """Whether ``path`` still matches the SHA-256 that custody recorded for it, when the record
    that should say so (its seal or log) was altered: (status, sentence)."""
    recorded = recorded_hashes(chain, event, role, path.name)
    when = {"sealed": N_("when it was sealed"), "redacted": N_("when it was made")}[event]
    if not recorded:
        return "fail", N_("no '{event}' custody entry to check {name} against", event=event, name=path.name)
    where = N_("{custody} line {line}", custody=CUSTODY_NAME, line=recorded[-1][0])
    if problems:
        where = N_("{where}, though the custody log itself fails its checks", where=where)
    if any(sha == actual for _, sha in recorded):
        said = N_("{name} still matches the SHA-256 recorded {when} ({where})", name=path.name, when=when, where=where)
        return ("fail" if problems else "ok"), said
    return "fail", N_(
        "{name} differs from the SHA-256 recorded {when} ({where})", name=path.name, when=when, where=where
    )


def verify_original(seal_file: Path, chain, trusted) -> list[Finding]:
    original_name = seal_file.name[: -len(SEAL_SUFFIX)]
    try:
        seal = json.loads(seal_file.read_text())
        original = sealed_file(seal_file, seal)
    except (ValueError, KeyError, TypeError) as exc:
        return [Finding("fail", "seal", str(seal_file), N_("seal unreadable ({error})", error=message_of(exc)))]
    if not original.exists():
        return [Finding("fail", "original", str(seal_file.with_name(original_name)), N_("original file is missing"))]
    reasons, statuses = [], []
    actual = hash_file(original)
    status, detail, signer, altered = _signature(seal, trusted, "seal")
    findings = []
    if status == "fail":
        # the seal was edited, or is not signed as it must be: say so by its name, and judge the
        # original by what custody recorded
        said = N_("seal altered after sealing ({detail})", detail=detail) if altered else detail
        findings.append(Finding("fail", "seal", str(seal_file), said, signer))
        status, detail = against_custody(chain, "sealed", "original", original, actual, bool(chain.problems))
        statuses.append(status)
        reasons.append(detail)
        if actual != seal.get("sha256"):
            reasons.append(N_("differs from the seal's SHA-256 as it now reads"))
    else:
        if actual != seal.get("sha256"):
            statuses.append("fail")
            reasons.append(N_("content differs from its seal (SHA-256 mismatch)"))
        statuses.append(status)
        reasons.append(detail)
        if not has_event(chain.entries, "sealed", seal.get("sha256", "")):
            statuses.append("fail")
            reasons.append(N_("no 'sealed' entry in the custody log"))
    if not is_read_only(original):
        statuses.append("fail")
        reasons.append(N_("original is writable (sealed originals are read-only)"))
    return [*findings, Finding(_worst(statuses), "original", str(original), Listed(reasons), signer)]


def verify_derivative(log_file: Path, chain, trusted, read: tuple[dict, bytes | None] | None = None) -> Finding:
    """``read``: the log as ``read_log`` gave it, when the caller has already read it.

    One finding: the derivative's. ``verify_log_and_derivative`` also names an altered log."""
    return verify_log_and_derivative(log_file, chain, trusted, read)[-1]


def verify_log_and_derivative(
    log_file: Path, chain, trusted, read: tuple[dict, bytes | None] | None = None
) -> list[Finding]:
    try:
        log, digest = read if read is not None else read_log(log_file)
        derivative = log_file.with_name(log["derivative"]["file"])
    except FileNotFoundError:
        missing = N_("redaction log is missing: nothing says what this derivative is")
        return [Finding("fail", "log", str(log_file), missing)]
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        return [Finding("fail", "log", str(log_file), N_("redaction log unreadable ({error})", error=message_of(exc)))]
    if not derivative.exists():
        return [Finding("fail", "derivative", str(derivative), N_("derivative file is missing"))]
    reasons, statuses, findings = [], [], []
    actual = hash_file(derivative)
    status, detail, signer, altered = _signature(log, trusted, "log", digest)
    if status == "fail":  # the log was edited or is untrusted: name it, judge the derivative by custody
        said = N_("redaction log altered after it was written ({detail})", detail=detail) if altered else detail
        findings.append(Finding("fail", "log", str(log_file), said, signer))
        status, detail = against_custody(chain, "redacted", "derivative", derivative, actual, bool(chain.problems))
    elif actual != log["derivative"].get("sha256"):
        statuses.append("fail")
        reasons.append(N_("content differs from its redaction log (SHA-256 mismatch)"))
    seal_file = log_file.parent / log.get("original", {}).get("seal", "")  # relative to the log
    try:
        seal = json.loads(seal_file.read_text())
        if seal.get("sha256") != log["original"].get("sha256"):
            statuses.append("fail")
            reasons.append(N_("log's original SHA-256 differs from the seal's"))
    except (OSError, ValueError):
        statuses.append("fail")
        reasons.append(N_("seal {name} of its original is missing or unreadable", name=seal_file.name))
    statuses.append(status)
    reasons.append(detail)
    claimed = log["derivative"].get("content_credentials") or {}
    manifest = content_credentials.read(derivative) if claimed.get("embedded") else None
    if claimed.get("embedded"):
        if manifest is None:
            statuses.append("fail")
            reasons.append(N_("C2PA manifest missing"))
        elif manifest["state"] == "Invalid" or manifest["problems"]:
            statuses.append("fail")
            why = ", ".join(manifest["problems"]) or manifest["state"]
            reasons.append(N_("C2PA manifest invalid ({why})", why=why))
        elif (manifest["provenance"] or {}).get("original_sha256") != log["original"].get("sha256"):
            statuses.append("fail")
            reasons.append(N_("C2PA manifest names another original"))
        else:
            reasons.append(N_("C2PA manifest valid"))
    if not findings and not has_event(chain.entries, "redacted", actual):
        statuses.append("fail")
        reasons.append(N_("no 'redacted' entry for this derivative in the custody log"))
    return [*findings, Finding(_worst(statuses), "derivative", str(derivative), Listed(reasons), signer)]


def verify_analysis(path: Path, chain, trusted) -> Finding:
    """An analysis is intact (its signature), names a sealed original's SHA-256 and is in custody."""
    try:
        head, digest = read_log(path)
        named = head["original"]
        seal = json.loads((path.parent / named["seal"]).read_text())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        unreadable = N_("analysis unreadable, or its seal is ({error})", error=message_of(exc))
        return Finding("fail", "analysis", str(path), unreadable)
    use = N_("render from it")
    return record_finding("analysis", path, head, digest, named, seal, "analysed", use, chain, trusted)


def verify_transcript(path: Path, chain, trusted) -> Finding:
    """A transcript is intact (its signature), read-only, names its sealed original's SHA-256 and
    is in custody ("transcribed"). What it says is never read out."""
    try:
        document = json.loads(path.read_text())
        named = document["original"]
        seal = json.loads((path.parent / (Path(named["file"]).name + SEAL_SUFFIX)).read_text())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        unreadable = N_("transcript unreadable, or its seal is ({error})", error=message_of(exc))
        return Finding("fail", "transcript", str(path), unreadable)
    use = N_("bleeping from it")
    found = record_finding("transcript", path, document, None, named, seal, "transcribed", use, chain, trusted)
    if is_read_only(path):
        return found
    writable = Listed([found.detail, N_("writable (it was left read-only)")])
    return replace(found, status=_worst([found.status, "warn"]), detail=writable)


def record_finding(
    kind: str, path: Path, document: dict, digest, named: dict, seal: dict, event: str, use: str, chain, trusted
) -> Finding:
    """What verify says of a record made from an original (an analysis, a transcript): its
    signature, that it names the sealed original's SHA-256, and its custody entry (``event``)."""
    status, detail, signer, altered = _signature(document, trusted, kind, digest)
    statuses, reasons = [status], [detail]
    if altered:
        reasons[0] = N_(
            "{what} altered after it was written ({detail}): {use} is refused",
            what=KIND_NAMES.get(kind, kind),
            detail=detail,
            use=use,
        )
    if named.get("sha256") != seal.get("sha256"):
        statuses.append("fail")
        reasons.append(N_("made from another file than the sealed original"))
    if not has_event(chain.entries, event, hash_file(path)):
        statuses.append("fail")
        reasons.append(N_("no '{event}' entry for it in the custody log", event=event))
    return Finding(_worst(statuses), kind, str(path), Listed(reasons), signer)


def verify_decisions(path: Path, chain, trusted: Trust) -> Finding:
    """Decisions are a record like any other: intact, signed as the policy requires, valid (what
    render would accept) and in custody ("reviewed"). Whether they still fit the current
    analysis is said, not failed: a clip analysed again leaves its old decisions behind."""
    from ..review.decisions import from_document

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        decisions = from_document(document)
    except (OSError, ValueError, RecursionError) as exc:
        unreadable = N_("decisions unreadable or not valid ({error})", error=str(message_of(exc))[:200])
        return Finding("fail", "decisions", str(path), unreadable)
    status, detail, signer, altered = _signature(document, trusted, "decisions")
    statuses, reasons = [status], [detail]
    if altered:
        reasons[0] = N_(
            "decisions altered after they were saved ({detail}): rendering from them is refused", detail=detail
        )
    if not has_event(chain.entries, "reviewed", hash_file(path)):
        statuses.append("fail")
        reasons.append(N_("no 'reviewed' entry for them in the custody log"))
    analysis = document.get("analysis") if isinstance(document.get("analysis"), dict) else {}
    analysis_file = path.parent / str(analysis.get("file", ""))
    if analysis_file.is_file() and hash_file(analysis_file) != analysis.get("sha256"):
        statuses.append("warn")
        reasons.append(N_("made for an earlier analysis of the clip (render refuses them against the current one)"))
    counts = {"kept": len(decisions.keep), "added": len(decisions.regions), "audio": len(decisions.audio)}
    reasons.append(N_("{kept} kept visible, {added} added, {audio} audio ranges", **counts))
    return Finding(_worst(statuses), "decisions", str(path), Listed(reasons), signer)


INDEXED_ROLES = ("original", "seal", "analysis", "decisions", "transcript", "derivative", "log", "report")


def verify_custody_index(folder: Path, chain) -> list[Finding]:
    """The custody log is the case's index: every file its entries name (in entries that name
    files relative to the log's folder, ``"v": 2``) must still be there with the SHA-256 its
    latest entry recorded. A deleted derivative, analysis or original, or one put back from
    elsewhere, fails here even when nothing else is left to say so. A log need only be there:
    its signature covers its content in any layout, and the derivative's check compares them."""
    findings = []
    for path, recorded in sorted(latest_records(chain.entries, folder).items()):
        role = recorded.role
        if role not in INDEXED_ROLES:
            continue
        where = N_("{custody} line {line} ('{event}')", custody=CUSTODY_NAME, line=recorded.seq, event=recorded.event)
        if not path.is_file():
            findings.append(Finding("fail", role, str(path), N_("missing: {where} records it", where=where)))
        elif role != "log" and hash_file(path) != recorded.sha256:  # a log laid out anew keeps its signed content
            differs = N_("differs from the SHA-256 {where} recorded for it", where=where)
            findings.append(Finding("fail", role, str(path), differs))
    return findings


def guarded(kind: str, path: Path, check, *args) -> list[Finding]:
    """``check(path, *args)`` as a list of findings; a record whose JSON has other shapes than
    redact writes (a list for a seal, a string for a member) fails, named, never a traceback."""
    try:
        found = check(path, *args)
    except (AttributeError, TypeError, KeyError, ValueError, RecursionError) as exc:
        error = ": ".join((type(exc).__name__, str(exc)))
        unreadable = N_("not a {what} redact wrote: unreadable ({error})", what=KIND_NAMES.get(kind, kind), error=error)
        return [Finding("fail", kind, str(path), unreadable)]
    return found if isinstance(found, list) else [found]


def verify_folder(
    folder: Path,
    trusted: Trust | None,
    seals: list[Path],
    logs: list[Path],
    analyses: list[Path] = (),
    decisions: list[Path] = (),
) -> list[Finding]:
    """Every record of ``folder`` under the policy for it, the custody chain, and the custody
    log's index of the case."""
    trust = (trusted or station_trust()).for_folder(folder)
    chain = read_chain(folder, trust)
    findings = [f for s in sorted(seals) for f in guarded("seal", s, verify_original, chain, trust)]
    for a in sorted(analyses):
        kind, check = (
            ("transcript", verify_transcript) if a.name.endswith(TRANSCRIPT_SUFFIX) else ("analysis", verify_analysis)
        )
        findings += guarded(kind, a, check, chain, trust)
    findings += [f for d in sorted(decisions) for f in guarded("decisions", d, verify_decisions, chain, trust)]
    findings += [f for log in sorted(logs) for f in guarded("log", log, verify_log_and_derivative, chain, trust)]
    failed = {f.path for f in findings if f.status == "fail"}
    findings += [f for f in verify_custody_index(folder, chain) if f.path not in failed]
    where = str(folder / CUSTODY_NAME)
    if chain.problems:
        findings.append(Finding("fail", "custody", where, Listed(chain.problems)))
    elif chain.unsigned:
        said = N_("{n} entries, {unsigned} unsigned", n=len(chain.entries), unsigned=chain.unsigned)
        findings.append(Finding("warn", "custody", where, Listed([said, *chain.notes])))
    else:
        signers = ", ".join(sorted(chain.signers))
        status = "warn" if chain.notes else "ok"
        said = N_("{n} entries, chain unbroken", n=len(chain.entries))
        findings.append(Finding(status, "custody", where, Listed([said, *chain.notes]), signers))
    if trust.origin == "folder":
        findings.append(Finding("warn", "trust", str(folder), trust.describe()))
    return findings


def verify_paths(paths: list[Path], trusted: Trust | None = None, case_dir: Path | None = None) -> list[Finding]:
    """Verify files, folders and folder trees; every folder with seals or logs is checked whole.

    ``trusted``: the policy (default: this station's); ``case_dir``: where the seals of
    originals given as files are (and, with no paths, the folder to verify)."""
    token = _HASHED.set({})
    try:
        return _verify_paths(paths, trusted, case_dir)
    finally:
        _HASHED.reset(token)


def _verify_paths(paths: list[Path], trusted: Trust | None, case_dir: Path | None) -> list[Finding]:
    if case_dir is not None and not paths:
        paths = [case_dir]
    groups: dict[Path, tuple[list[Path], list[Path], list[Path], list[Path]]] = {}
    findings: list[Finding] = []

    def add(file: Path) -> None:
        seals, logs, analyses, decisions = groups.setdefault(file.parent, ([], [], [], []))
        if file.name.endswith(SEAL_SUFFIX):
            seals.append(file)
        elif file.name.endswith((ANALYSIS_SUFFIX, TRANSCRIPT_SUFFIX)):
            analyses.append(file)  # the records made from an original: analysis, transcript
        elif file.name.endswith(DECISIONS_SUFFIX):
            decisions.append(file)
        else:
            logs.append(file)

    suffixes = (SEAL_SUFFIX, LOG_SUFFIX, ANALYSIS_SUFFIX, TRANSCRIPT_SUFFIX, DECISIONS_SUFFIX)
    for path in paths:
        path = path.absolute()
        if path.is_dir():
            before = len(groups)
            for suffix in suffixes:
                for file in path.rglob(f"*{suffix}"):
                    add(file)
            for chain in path.rglob(CUSTODY_NAME):
                groups.setdefault(chain.parent, ([], [], [], []))
            if len(groups) == before and not any(folder.is_relative_to(path) for folder in groups):
                findings.append(
                    Finding("fail", "folder", str(path), N_("no seal, log or custody log here: nothing to verify"))
                )
        elif path.is_file():
            name = path.name
            if name.endswith(suffixes):
                add(path)
            elif name.endswith(DERIVATIVE_SUFFIX):
                add(log_for_derivative(path))
            elif Layout(path, case_dir).seal.exists():
                add(Layout(path, case_dir).seal)
            else:
                where = N_("in {folder}", folder=case_dir) if case_dir is not None else N_("beside it")
                findings.append(Finding("fail", "original", str(path), N_("no seal found {where}", where=where)))
        else:
            findings.append(Finding("fail", "original", str(path), N_("not found")))
    for folder, (seals, logs, analyses, decisions) in sorted(groups.items()):
        findings += verify_folder(
            folder, trusted, sorted(set(seals)), sorted(set(logs)), sorted(set(analyses)), sorted(set(decisions))
        )
    return findings


def as_json(findings: list[Finding]) -> str:
    return json.dumps(
        {"ok": all(f.status != "fail" for f in findings), "findings": [asdict(f) for f in findings]}, indent=2
    )
