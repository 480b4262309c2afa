"""The station's trust policy: which signatures make a record (seal, analysis, decisions,
transcript, log, custody line) one this station may act on.

An attacker who can write to the evidence folder but holds no key can still write files that
say "unsigned", or sign them with a key of his own. So the question is never "is this record
signed?" but "is it signed by a key we trust?":

- A station with a key (``station.pub`` in the key folder), or with other stations' public keys
  in its trust list (``trusted-keys.pem`` there: ``redact keys trust``), trusts those keys only.
  Every record it reads must carry a valid signature by one of them; an unsigned record, or one
  signed by a stranger, is refused (exit 3) and fails ``redact verify``.
- A station with neither trusts nothing by itself. A folder whose custody log is signed is held
  to the key that signed its first entry (a keyless machine cannot tell that key from a forger's:
  verify says so, and ``--trust`` or a trust list settles it); a wholly unsigned folder is taken as
  unsigned, with a warning everywhere, never as verified.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ..errors import SealMismatchError
from ..i18n import N_, Listed, Msg
from . import keys
from .signing import check

TRUST_LIST_NAME = "trusted-keys.pem"  # in the key folder: other stations' public keys, PEM, one after another


@dataclass(frozen=True)
class Trust:
    """``anchors``: fingerprints of the keys trusted (empty and not required: any valid
    signature; empty and required: none); ``required``:
    unsigned records are refused; ``origin``: where the anchors came from (``station``: this
    station's key and trust list, ``given``: named on the command line, ``folder``: the key that
    signed the folder's first custody entry, ``none``: nothing, an unsigned station)."""

    anchors: frozenset[str] = frozenset()
    required: bool = False
    origin: str = "none"

    def for_folder(self, folder: Path) -> Trust:
        """What this station holds ``folder``'s records to: its own anchors when it has any,
        else the key that signed the folder's custody log (once a folder holds signed records,
        unsigned ones are refused there)."""
        if self.origin in ("station", "given"):
            return self
        signer = first_custody_signer(folder)
        if signer is None:
            return self
        return Trust(frozenset({signer}), True, "folder")

    def describe(self) -> str:
        keys_ = ", ".join(sorted(self.anchors)) or N_("none")
        return {
            "station": N_("records must be signed by this station's trusted keys ({keys})", keys=keys_),
            "given": N_("records must be signed by the keys given ({keys})", keys=keys_),
            "folder": N_(
                "this machine trusts no key: records are held to the key that signed the folder's custody log"
                " ({keys}); compare it with the station's published fingerprint",
                keys=keys_,
            ),
            "none": N_("no station key and nothing signed: records are unsigned, protected by hashes only"),
        }[self.origin]


@dataclass(frozen=True)
class Verdict:
    """What the policy says of one record: ``signed`` (by a trusted key), ``unsigned``,
    ``untrusted`` (a valid signature by another key) or ``altered`` (a signature that does not
    match its content)."""

    status: str
    signer: str | None = None
    reason: str = ""

    def acceptable(self, trust: Trust) -> bool:
        return self.status == "signed" or (self.status == "unsigned" and not trust.required)


def judge(document: dict, trust: Trust, digest: bytes | None = None) -> Verdict:
    """The verdict on ``document``'s signature under ``trust`` (``digest``: as ``signing.check``)."""
    if not isinstance(document, dict):
        return Verdict("altered", None, N_("not a JSON object"))
    if "signature" not in document:
        return Verdict("unsigned", None, N_("it has no signature"))
    status, detail = check(document, None, digest)
    if status == "invalid":
        return Verdict("altered", None, detail or "")
    if status == "unsigned":
        return Verdict("unsigned", None, N_("it is marked unsigned"))
    if (trust.anchors or trust.required) and detail not in trust.anchors:  # required, no anchor: none trusted
        return Verdict("untrusted", detail, N_("it is signed by {signer}, not a trusted key", signer=detail))
    return Verdict("signed", detail, "")


def refusal(verdict: Verdict, trust: Trust) -> str | None:
    """Why a record with this verdict may not be acted on, or None when it may."""
    if verdict.status == "altered":
        return N_("its signature does not match its content ({reason})", reason=verdict.reason)
    if verdict.acceptable(trust):
        return None
    if verdict.status == "unsigned":
        where = (
            N_("this station signs what it writes")
            if trust.origin == "station"
            else N_("its folder's records are signed")
        )
        return N_(
            "{reason}, and {where}: a record without a trusted signature may be forged",
            reason=verdict.reason,
            where=where,
        )
    return verdict.reason


class UntrustedRecordError(SealMismatchError):
    """A record is unsigned where signatures are required, or signed by a key not trusted."""


TRUST_HINT = N_(
    "do not use it: restore the record as it was written, or redo the step on this station;"
    " if another station signed it, trust that station's key with `redact keys trust STATION.pub`"
)


def require(
    document: dict, trust: Trust, what: Msg, original: Path, digest: bytes | None = None, hint: Msg | None = None
) -> str | None:
    """The signer of ``document`` when ``trust`` lets this station act on it; otherwise
    ``UntrustedRecordError`` (exit 3). ``what`` names the record
    (``N_("analysis {name}", name="clip.mp4.analysis.json")``)."""
    verdict = judge(document, trust, digest)
    problem = refusal(verdict, trust)
    if problem is not None:
        raise UntrustedRecordError(
            N_("{what} is refused: {problem}"), original, hint=hint or TRUST_HINT, what=what, problem=problem
        )
    return verdict.signer


CHANGED_OUTSIDE = N_("the records were changed outside redact: run `redact verify` on the folder and investigate")


def recorded_chain(folder: Path, trust: Trust | None, original: Path, hint: Msg):
    """``folder``'s custody chain, refused (exit 3) when it fails its checks under ``trust``
    (default: this station's policy): what it says of a record counts only then."""
    from .custody import CUSTODY_NAME, read_chain

    chain = read_chain(folder, trust or station_trust().for_folder(folder))
    problems = [p for p in chain.problems if not p.endswith("is missing")]
    if problems:
        more = N_(" (and {count} more)", count=len(problems) - 3) if len(problems) > 3 else ""
        raise UntrustedRecordError(
            N_("the custody log {name} fails its checks: {problems}{more}"),
            original,
            hint=hint,
            name=CUSTODY_NAME,
            problems=Listed(problems[:3], "; "),
            more=more,
        )
    return chain


def require_custody(
    path: Path,
    role: str,
    event: str,
    sha256: str,
    original: Path,
    hint: Msg,
    trust: Trust | None = None,
    unsigned: bool = False,
) -> None:
    """``path`` must be the file the custody log last recorded in ``role`` (entries that name files
    relative to the log, ``"v": 2``): a signed older analysis or decisions file put back in its
    place is refused (exit 3), as verify fails it; render trusts only what verify would pass. An
    ``unsigned`` record has no signature to prove it unchanged: an ``event`` entry naming its
    SHA-256 must, whatever the log's age. One read of the log for both."""
    from .custody import has_event, latest_records

    chain = recorded_chain(path.parent, trust, original, hint)
    if unsigned and not has_event(chain.entries, event, sha256):
        raise UntrustedRecordError(
            N_("{name} is unsigned and not the one the custody log records (changed after it was written?)"),
            original,
            hint=hint,
            name=path.name,
        )
    latest = latest_records(chain.entries, path.parent).get(Path(os.path.normpath(path.absolute())))
    if latest is not None and latest.role == role and latest.sha256 != sha256:
        raise UntrustedRecordError(
            N_("{name} is not {role} the custody log last recorded (line {line}): an older copy put back, or replaced"),
            original,
            hint=hint,
            name=path.name,
            role=ROLES.get(role) or f"the {role}",
            line=latest.seq,
        )


# a record's role in the custody log, as a message names it
ROLES = {"analysis": N_("the analysis"), "decisions": N_("the decisions"), "transcript": N_("the transcript")}


def writer_trust(folder: Path, key, original: Path) -> Trust:
    """The policy for a station about to write into ``folder``; a station without a key does not
    add unsigned records where signatures are required (exit 7): they would be refused there."""
    trust = station_trust().for_folder(folder)
    if key is None and trust.required:
        signer = ", ".join(sorted(trust.anchors))
        raise keys.KeyError_(
            N_(
                "the records in {folder} are signed ({signer}) and this station has no key:"
                " what it wrote would be unsigned, and refused there"
            ),
            original,
            hint=N_("work on it at the station that holds that key, or `redact keys init` and trust that key here"),
            folder=folder,
            signer=signer,
        )
    return trust


def read_trust_list(path: Path) -> set[str]:
    """Fingerprints of the PEM public keys in ``path`` (several may follow one another)."""
    found = set()
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise keys.KeyError_(N_("cannot read the key file ({reason})"), path, reason=exc.strerror) from exc
    for block in pem_blocks(text):
        try:
            found.add(keys.fingerprint(keys.raw_public(load_pem_public_key(block))))
        except (ValueError, TypeError) as exc:
            raise keys.KeyError_(
                N_("{name} holds something that is not a public key ({error})"), path, name=path.name, error=exc
            ) from exc
    return found


NO_PUBLIC_KEY = N_("no public key in this file (want PEM, as `redact keys show --pem` prints)")


def add_to_trust_list(pem_file: Path, folder: Path | None = None) -> set[str]:
    """Add the public key(s) in ``pem_file`` to this station's trust list; their fingerprints.
    Records they signed are then accepted here like the station's own."""
    folder = folder or keys.key_dir()
    try:
        found = read_trust_list(pem_file)
    except OSError as exc:
        raise keys.KeyError_(N_("cannot read {file} ({reason})"), pem_file, file=pem_file, reason=exc.strerror) from exc
    if not found:
        raise keys.KeyError_(NO_PUBLIC_KEY, pem_file)
    listed = folder / TRUST_LIST_NAME
    known = read_trust_list(listed) if listed.exists() else set()
    folder.mkdir(parents=True, exist_ok=True)
    with open(listed, "ab") as f:
        for block in pem_blocks(pem_file.read_bytes()):
            if keys.fingerprint(keys.raw_public(load_pem_public_key(block))) not in known:
                f.write(block + b"\n")
    return found


def pem_blocks(text: bytes) -> list[bytes]:
    marker = b"-----END PUBLIC KEY-----"
    return [(block + marker).strip() for block in text.split(marker) if b"-----BEGIN" in block]


def station_trust(folder: Path | None = None) -> Trust:
    """This station's policy, from its key folder: its own key and its trust list."""
    folder = folder or keys.key_dir()
    anchors: set[str] = set()
    public = folder / keys.PUBLIC_NAME
    if public.exists():
        anchors |= read_trust_list(public)
    elif (folder / keys.PRIVATE_NAME).exists():
        key = keys.load(folder)
        if key is not None:
            anchors.add(key.fingerprint)
    listed = folder / TRUST_LIST_NAME
    if listed.exists():
        anchors |= read_trust_list(listed)
    return Trust(frozenset(anchors), True, "station") if anchors else Trust()


def given_trust(pem_files: list[Path]) -> Trust:
    """The keys named on the command line (``--trust``), and nothing else."""
    anchors: set[str] = set()
    for path in pem_files:
        found = read_trust_list(path)
        if not found:  # an empty anchor set must never read as "any key"
            raise keys.KeyError_(NO_PUBLIC_KEY, path)
        anchors |= found
    return Trust(frozenset(anchors), True, "given")


def first_custody_signer(folder: Path) -> str | None:
    """The fingerprint of the first validly signed entry of ``folder``'s custody log, else of
    the first signed seal there (a folder whose custody log was deleted is still a signed one)."""
    from .custody import custody_path
    from .layout import SEAL_SUFFIX

    path = custody_path(folder)
    if path.exists():
        with open(path, "rb") as f:
            for line in f:
                signer = _signer(line)
                if signer:
                    return signer
    for seal in sorted(folder.glob(f"*{SEAL_SUFFIX}")) if folder.is_dir() else []:
        try:
            signer = _signer(seal.read_bytes())
        except OSError:
            continue
        if signer:
            return signer
    return None


def _signer(text: bytes) -> str | None:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    status, detail = check(document)
    return detail if status == "signed" else None
