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

from .. import __version__
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


# Containers whose bytes the C2PA library can hash as an ingredient, by FFmpeg's demuxer name.
INGREDIENT_FORMATS = {"mov,mp4,m4a,3gp,3g2,mj2": "video/mp4", "avi": "video/x-msvideo", "gif": "image/gif"}
# What the others are called in a declared ingredient (MIME types, for readers of the manifest).
DECLARED_FORMATS = {
    "matroska,webm": "video/x-matroska",
    "mpegts": "video/mp2t",
    "mpeg": "video/mpeg",
    "flv": "video/x-flv",
    "asf": "video/x-ms-asf",
    "mxf": "application/mxf",
    "h264": "video/h264",
    "hevc": "video/h265",
}


def ingredient_format(container_format: str, original: Path) -> str | None:
    """The MIME type to hand the C2PA library for ``original``, or None where it cannot parse it."""
    mime = INGREDIENT_FORMATS.get(container_format)
    if mime == "video/mp4" and original.suffix.lower() == ".mov":
        return "video/quicktime"
    return mime


def embed(
    source: Path,
    destination: Path,
    original: Path,
    key: StationKey | None,
    provenance: dict,
    container_format: str = "mov,mp4,m4a,3gp,3g2,mj2",
) -> dict:
    """Write ``source`` + a signed manifest to ``destination``; returns what the log records.

    The original is the parent ingredient. Where the C2PA library can parse its container
    (MP4, MOV, AVI, GIF) it hashes the original itself; elsewhere (Matroska, MPEG-TS, DVR
    program streams) the ingredient is declared by name, format and the seal's SHA-256, which
    the provenance assertion carries in every case.
    """
    chain = key_dir() / CHAIN_NAME
    if key is None:
        return {"embedded": False, "reason": "no station key"}
    if not chain.exists():
        return {"embedded": False, "reason": f"no {CHAIN_NAME} beside the station key (run `redact keys init`)"}
    import c2pa

    pem = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer_info = c2pa.C2paSignerInfo(alg=b"ed25519", sign_cert=chain.read_bytes(), private_key=pem, ta_url=None)
    mime = ingredient_format(container_format, original)
    ingredient = {"title": original.name, "relationship": "parentOf", "label": "original"}
    how = "hashed by the C2PA library"
    if mime is not None:
        try:
            _sign(source, destination, signer_info, _manifest(destination, provenance), ingredient, mime, original)
        except c2pa.C2paError as exc:  # a container it claims but cannot parse (damaged, unusual boxes)
            mime, how = None, f"declared by SHA-256: the C2PA library could not parse it ({exc})"
    else:
        how = f"declared by SHA-256: the C2PA library cannot parse {container_format} files"
    if mime is None:
        declared = {
            **ingredient,
            "format": DECLARED_FORMATS.get(container_format, "application/octet-stream"),
            "instance_id": f"sha256:{provenance['original_sha256']}",
        }
        _sign(source, destination, signer_info, _manifest(destination, provenance, [declared]), None, None, original)
    return {
        "embedded": True,
        "algorithm": "Ed25519",
        "chain": CHAIN_NAME,
        "assertion": PROVENANCE,
        "ingredient": how,
    }


def _manifest(destination: Path, provenance: dict, ingredients: list[dict] | None = None) -> dict:
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
    if ingredients:
        manifest["ingredients"] = ingredients
    return manifest


def _sign(source, destination, signer_info, manifest, ingredient, mime, original) -> None:
    import c2pa

    builder = c2pa.Builder(json.dumps(manifest))
    if ingredient is not None:
        with open(original, "rb") as parent:
            builder.add_ingredient(json.dumps(ingredient), mime, parent)
    with open(source, "rb") as src, open(destination, "wb") as dst:
        builder.sign(c2pa.Signer.from_info(signer_info), "video/mp4", src, dst)


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
