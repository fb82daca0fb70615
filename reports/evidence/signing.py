"""Ed25519 signing key, created on first use under CERTWATCH_HOME/keys (mode 0600).

The signature is over the raw bytes of MANIFEST.sha256, so anyone can check it with
`openssl pkeyutl -verify -pubin -inkey signing-key.pem -rawin -in MANIFEST.sha256 -sigfile …`.
The fingerprint is the SHA-256 of the DER SubjectPublicKeyInfo:
`openssl pkey -pubin -in signing-key.pem -outform DER | sha256sum`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reports.evidence.errors import SigningKeyError

KEY_NAME = "evidence-ed25519.pem"


def key_path(home: Path) -> Path:
    return home / "keys" / KEY_NAME


def load_or_create_key(home: Path) -> Ed25519PrivateKey:
    path = key_path(home)
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SigningKeyError(
                f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{path} is not a PEM Ed25519 private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL: two exports racing on first use must not both write a key.
    tmp = path.with_name(f".{KEY_NAME}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    try:
        os.link(tmp, path)
    except FileExistsError:
        tmp.unlink()
        return load_or_create_key(home)
    tmp.unlink()
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(pem: bytes) -> str:
    """SHA-256 over the DER SubjectPublicKeyInfo, hex; ValueError for an unreadable key."""
    try:
        pub = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"public key unreadable: {exc}") from None
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def normalise_fingerprint(text: str) -> str:
    """`AB:CD…`, `abcd…` and `sha256:abcd…` all name the same key."""
    cleaned = text.strip().lower().removeprefix("sha256:").replace(":", "")
    if len(cleaned) != 64 or any(c not in "0123456789abcdef" for c in cleaned):
        raise SigningKeyError(f"{text!r} is not a SHA-256 key fingerprint (64 hex digits)")
    return cleaned


def home_fingerprint(home: Path) -> str | None:
    """The fingerprint of this installation's key, when it has one (never creates it)."""
    if not key_path(home).exists():
        return None
    return fingerprint(public_pem(load_or_create_key(home)))


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def check_signature(pem: bytes, data: bytes, signature: bytes) -> str | None:
    """None when the signature is good, else why not."""
    try:
        pub = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return f"public key unreadable: {exc}"
    if not isinstance(pub, Ed25519PublicKey):
        return f"public key is {type(pub).__name__}, not Ed25519"
    try:
        pub.verify(signature, data)
    except InvalidSignature:
        return "signature does not match"
    return None
