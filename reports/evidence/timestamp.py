"""RFC 3161 trusted timestamps: build the request, fetch the token, check it.

The token is kept as the TimeStampResp DER (`timestamp.tsr`) so that
`openssl ts -verify -in timestamp.tsr -data MANIFEST.sha256 -CAfile CA.pem` checks it.
Checking here covers the same ground: status, message imprint, nonce, the CMS signature
over the signed attributes, and (with a CA) that the TSA certificate was issued by it for
time stamping.
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import algos, cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from reports.evidence.errors import TimestampError

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
           "sha1": hashes.SHA1}


@dataclass(frozen=True)
class TokenInfo:
    gen_time: datetime
    serial: int
    policy: str
    tsa: str
    ca_checked: bool


def build_request(data: bytes) -> tuple[bytes, int]:
    """(DER TimeStampReq over SHA-256 of data, nonce)."""
    nonce = secrets.randbits(63)
    req = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                            "hashed_message": hashlib.sha256(data).digest()},
        "nonce": nonce,
        "cert_req": True,
    })
    return req.dump(), nonce


def fetch_token(url: str, data: bytes, timeout: float = 30.0) -> tuple[bytes, int]:
    """Ask the TSA at `url`; (TimeStampResp DER, nonce sent)."""
    body, nonce = build_request(data)
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/timestamp-query",
                 "Accept": "application/timestamp-reply"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            reply = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(
            f"timestamp authority {url} (CERTWATCH_TSA_URL) did not answer: {exc}; "
            "fix the URL or unset CERTWATCH_TSA_URL to export without a timestamp") from None
    return reply, nonce


def check_token(reply: bytes, data: bytes, *, nonce: int | None = None,
                ca_pem: bytes | None = None) -> TokenInfo:
    """Raise TimestampError unless `reply` is a granted token over SHA-256(data)."""
    try:
        resp = tsp.TimeStampResp.load(reply)
        status = resp["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            text = resp["status"]["status_string"].native
            raise TimestampError(f"timestamp authority refused: {status} {text or ''}".strip())
        signed = resp["time_stamp_token"]["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("timestamp token does not hold a TSTInfo")
        tst_der = encap["content"].contents
        tst = tsp.TSTInfo.load(tst_der)
        imprint = tst["message_imprint"]
        algo = imprint["hash_algorithm"]["algorithm"].native
        if algo not in _HASHES:
            raise TimestampError(f"timestamp imprint uses unsupported hash {algo}")
        if imprint["hashed_message"].native != hashlib.new(algo, data).digest():
            raise TimestampError("timestamp token is over different data (imprint mismatch)")
        if nonce is not None and tst["nonce"].native != nonce:
            raise TimestampError("timestamp token nonce does not match the request")
        signer_cert, certs = _verify_signature(signed, tst_der)
        ca_checked = False
        if ca_pem:
            _check_issuer(signer_cert, certs, ca_pem)
            ca_checked = True
        return TokenInfo(gen_time=tst["gen_time"].native, serial=tst["serial_number"].native,
                         policy=tst["policy"].native, tsa=signer_cert.subject.rfc4514_string(),
                         ca_checked=ca_checked)
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise TimestampError(f"timestamp token is malformed: {exc}") from None


def _verify_signature(signed: cms.SignedData,
                      tst_der: bytes) -> tuple[x509.Certificate, list[x509.Certificate]]:
    infos = signed["signer_infos"]
    if len(infos) != 1:
        raise TimestampError(f"timestamp token has {len(infos)} signers, expected 1")
    info = infos[0]
    certs = [x509.load_der_x509_certificate(c.chosen.dump())
             for c in signed["certificates"] if c.name == "certificate"]
    signer = _find_signer(info["sid"], certs)
    digest_name = info["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise TimestampError(f"timestamp signer uses unsupported hash {digest_name}")
    attrs = info["signed_attrs"]
    digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
    if digests != [hashlib.new(digest_name, tst_der).digest()]:
        raise TimestampError("timestamp token's message digest does not match its TSTInfo")
    # The signature covers the attributes DER-encoded as a SET, not as the [0] field.
    signed_bytes = b"\x31" + attrs.dump()[1:]
    signature = info["signature"].native
    algo = _HASHES[digest_name]()
    key = signer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed_bytes, padding.PKCS1v15(), algo)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_bytes, ec.ECDSA(algo))
        else:
            raise TimestampError(f"unsupported TSA key type {type(key).__name__}")
    except InvalidSignature:
        raise TimestampError("timestamp token signature does not verify") from None
    return signer, certs


def _find_signer(sid: cms.SignerIdentifier, certs: list[x509.Certificate]) -> x509.Certificate:
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if (cert.serial_number == ias["serial_number"].native
                    and cert.issuer.public_bytes() == ias["issuer"].dump()):
                return cert
        else:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == sid.chosen.native:
                return cert
    raise TimestampError("timestamp token does not include its signer's certificate "
                         "(the TSA must answer requests with certReq)")


def _check_issuer(signer: x509.Certificate, certs: list[x509.Certificate],
                  ca_pem: bytes) -> None:
    try:
        anchors = x509.load_pem_x509_certificates(ca_pem)
    except ValueError as exc:
        raise TimestampError(f"CERTWATCH_TSA_CA is not PEM certificates: {exc}") from None
    try:
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        eku = None
    if eku is None or ExtendedKeyUsageOID.TIME_STAMPING not in eku.value:
        raise TimestampError("TSA certificate is not for time stamping (extendedKeyUsage)")
    chain, current = [signer], signer
    pool = anchors + [c for c in certs if c != signer]
    for _ in range(8):
        for anchor in anchors:
            if _issued_by(current, anchor):
                return
        parent = next((c for c in pool if c not in chain and _issued_by(current, c)), None)
        if parent is None:
            break
        chain.append(parent)
        current = parent
    raise TimestampError("TSA certificate does not chain to CERTWATCH_TSA_CA")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def tsa_settings_from_env() -> tuple[str | None, Path | None]:
    """(CERTWATCH_TSA_URL, CERTWATCH_TSA_CA) from the environment; None where unset."""
    import os

    url = os.environ.get("CERTWATCH_TSA_URL") or None
    ca = os.environ.get("CERTWATCH_TSA_CA") or None
    return url, Path(ca) if ca else None
