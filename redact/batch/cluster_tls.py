"""Station PCs batch together only over mutual TLS: who may join, and who may submit work.

A Dask scheduler on plain ``tcp://`` runs whatever task any host that reaches its port sends
it, on every station PC that works for it, and carries evidence paths and hashes in the
clear. So ``redact batch --cluster`` refuses a ``tcp://`` address that is not this PC's
loopback unless told ``--insecure-cluster``; a ``tls://`` cluster needs the certificates
``redact cluster-certs`` makes: a cluster CA, and one member certificate it signed, which the
scheduler, every worker and the batch present to each other (Dask's mutual TLS). Only a
holder of a member certificate and key can join or submit work. The CA's private key signs
nothing else and belongs offline once the members are made.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import BadInputError
from ..i18n import N_

CA_CERT, CA_KEY = "cluster-ca.pem", "cluster-ca-key.pem"
MEMBER_CERT, MEMBER_KEY = "member.pem", "member-key.pem"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _write(path: Path, data: bytes, private: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def make_certificates(folder: Path, days: int = 825) -> dict[str, Path]:
    """A new cluster CA and one member certificate + key it signed, in ``folder`` (never overwritten)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    from ..evidence.certificates import end_entity, key_usage, local_ca

    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in (CA_CERT, CA_KEY, MEMBER_CERT, MEMBER_KEY)}
    existing = [p.name for p in paths.values() if p.exists()]
    if existing:
        raise BadInputError(
            N_("already holds {names}"), folder, hint=N_("choose an empty folder"), names=", ".join(existing)
        )
    now = datetime.datetime.now(datetime.UTC)
    valid = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days))  # clocks differ a little
    ca_key, member_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = local_ca(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redact cluster CA")]), ca_key, *valid)
    member = end_entity(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redact cluster member")]),
        member_key.public_key(),
        ca,
        ca_key,
        key_usage(digital_signature=True, key_agreement=True),  # TLS with an EC key
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],  # scheduler, worker and batch alike
        *valid,
    )
    pem = serialization.Encoding.PEM
    private = {"encoding": pem, "format": serialization.PrivateFormat.PKCS8}
    none = serialization.NoEncryption()
    _write(paths[CA_CERT], ca.public_bytes(pem), private=False)
    _write(paths[CA_KEY], ca_key.private_bytes(**private, encryption_algorithm=none), private=True)
    _write(paths[MEMBER_CERT], member.public_bytes(pem), private=False)
    _write(paths[MEMBER_KEY], member_key.private_bytes(**private, encryption_algorithm=none), private=True)
    return paths


def is_loopback(address: str) -> bool:
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cluster_security(address: str, certs: Path | None, insecure: bool = False):
    """The ``distributed.Security`` to reach ``address`` with; refuses what would be unsafe."""
    from distributed import Security

    scheme = address.split("://", 1)[0] if "://" in address else "tcp"
    if scheme == "tls":
        if certs is None:
            raise BadInputError(
                N_("{address}: a TLS cluster needs its member certificate"),
                hint=N_("pass --cluster-certs DIR (made by `redact cluster-certs`)"),
                address=address,
            )
        missing = [name for name in (CA_CERT, MEMBER_CERT, MEMBER_KEY) if not (certs / name).is_file()]
        if missing:
            raise BadInputError(
                N_("no {names} here"), certs, hint=N_("made by `redact cluster-certs`"), names=", ".join(missing)
            )
        return Security(
            tls_ca_file=str(certs / CA_CERT),
            tls_client_cert=str(certs / MEMBER_CERT),
            tls_client_key=str(certs / MEMBER_KEY),
            require_encryption=True,
        )
    if scheme == "tcp" and (insecure or is_loopback(address)):
        return Security()
    raise BadInputError(
        N_(
            "{address}: a plain-TCP Dask cluster runs any task from anyone who reaches its port and"
            " carries evidence paths and hashes in the clear"
        ),
        hint=N_(
            "use tls:// with certificates from `redact cluster-certs` (docs/batch.md), or --insecure-cluster"
            " on a network nobody else can reach"
        ),
        address=address,
    )
