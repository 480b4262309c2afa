"""X.509 certificates from a local CA: the station's C2PA chain and the batch cluster's TLS."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes

_USAGES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement")
_USAGES += ("key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def key_usage(**wanted: bool) -> x509.KeyUsage:
    """A KeyUsage with only the named uses set."""
    unknown = set(wanted) - set(_USAGES)
    if unknown:
        raise ValueError(f"unknown key usage {sorted(unknown)}")
    return x509.KeyUsage(**{name: wanted.get(name, False) for name in _USAGES})


def local_ca(name: x509.Name, key, not_before: datetime.datetime, not_after: datetime.datetime) -> x509.Certificate:
    """A self-signed CA that may sign end-entity certificates only (path length 0)."""
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def end_entity(
    subject: x509.Name,
    public_key,
    ca: x509.Certificate,
    ca_key,
    usage: x509.KeyUsage,
    purposes: list,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> x509.Certificate:
    """A certificate for ``public_key`` signed by ``ca``, for the given uses and purposes (EKU)."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
