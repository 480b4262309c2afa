"""C2PA content credentials in the derivative, signed with the station's key.

``redact keys init`` issues an X.509 certificate for the station's Ed25519 key from a one-off
local CA (whose private key is discarded): C2PA validators reject self-signed leaf
certificates. A force with its own PKI replaces ``c2pa-chain.pem`` with a chain issued by its
CA for the same key (``redact keys show --pem`` prints the public key to certify), and adds its
CA to the validators' trust lists. Without a certificate no manifest is embedded and the log
says why.

The manifest names the sealed original as parent ingredient, records the edit (pixel regions
obscured) and carries a ``com.redact.provenance`` assertion with the original's SHA-256 and
the redaction's parameters summary, so a C2PA reader links derivative and original by hash.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import __version__
from .certificates import end_entity, key_usage, local_ca
from .keys import StationKey, key_dir

CHAIN_NAME = "c2pa-chain.pem"
PROVENANCE = "com.redact.provenance"


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common), x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)]
    )


def issue_certificate(key: StationKey, folder: Path, organisation: str = "redact station", years: int = 10) -> Path:
    """Write ``c2pa-chain.pem``: a leaf for the station key, signed by a one-off local CA."""
    now = datetime.datetime.now(datetime.UTC)
    valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=365 * years))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = local_ca(_name(f"{organisation} local CA", organisation), ca_key, *valid)
    leaf = end_entity(
        _name(f"redact station {key.fingerprint}", organisation),
        key.public,
        ca,
        ca_key,
        key_usage(digital_signature=True),
        [ExtendedKeyUsageOID.EMAIL_PROTECTION],
        *valid,
    )
    path = folder / CHAIN_NAME
    path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    return path


def embed(
    source: Path,
    destination: Path,
    original: Path,
    key: StationKey | None,
    provenance: dict,
    folder: Path | None = None,
) -> dict:
    """Write ``source`` + a signed manifest to ``destination``; returns what the log records."""
    chain = key_dir() / CHAIN_NAME
    if key is None:
        return {"embedded": False, "reason": "no station key"}
    if not chain.exists():
        return {"embedded": False, "reason": f"no {CHAIN_NAME} beside the station key (run `redact keys init`)"}
    import c2pa

    pem = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(alg=b"ed25519", sign_cert=chain.read_bytes(), private_key=pem, ta_url=None)
    )
    manifest = {
        "claim_generator_info": [{"name": "redact", "version": __version__}],
        "title": destination.name,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {"action": "c2pa.opened", "parameters": {"ingredientIds": ["original"]}},
                        {
                            "action": "c2pa.edited",
                            "description": "faces and licence plates obscured (pixel regions), frames and audio kept",
                            "softwareAgent": {"name": "redact", "version": __version__},
                        },
                    ]
                },
            },
            {"label": PROVENANCE, "data": provenance},
        ],
    }
    builder = c2pa.Builder(json.dumps(manifest))
    with open(original, "rb") as parent:
        ingredient = {"title": original.name, "relationship": "parentOf", "label": "original"}
        builder.add_ingredient(json.dumps(ingredient), "video/mp4", parent)
    with open(source, "rb") as src, open(destination, "wb") as dst:
        builder.sign(signer, "video/mp4", src, dst)
    return {"embedded": True, "algorithm": "Ed25519", "chain": CHAIN_NAME, "assertion": PROVENANCE}


def read(path: Path) -> dict | None:
    """{"state", "problems", "provenance", "signer"} of the active manifest, or None if none."""
    import c2pa

    try:
        with open(path, "rb") as f:
            data = json.loads(c2pa.Reader("video/mp4", f).json())
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "not found" in str(exc).lower():
            return None
        return {"state": "Invalid", "problems": [str(exc)], "provenance": None, "signer": None}
    manifest = data["manifests"][data["active_manifest"]]
    provenance = next((a["data"] for a in manifest.get("assertions", []) if a.get("label") == PROVENANCE), None)
    problems = [
        s["code"] for s in data.get("validation_status", []) or [] if s.get("code") != "signingCredential.untrusted"
    ]
    return {
        "state": data.get("validation_state"),
        "problems": problems,
        "provenance": provenance,
        "signer": manifest.get("signature_info", {}).get("common_name"),
    }
