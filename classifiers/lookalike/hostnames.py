"""Hostname normalisation and validation: Unicode or punycode in, both forms out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from classifiers.lookalike.errors import InvalidDomain

_ASCII_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
# A whole valid name in one C call: 2+ labels of 1–63 letters, digits or inner hyphens.
_VALID_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                         r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class Host:
    ascii: str  # punycode form, lowercase, no trailing dot
    unicode: str  # display form (equal to ascii for plain names)

    @property
    def is_idn(self) -> bool:
        return self.ascii != self.unicode


def strip_url(text: str) -> str:
    """'https://a.example.com:8080/x' → 'a.example.com'; a bare name is returned as is."""
    if "://" in text:
        text = text.split("://", 1)[1]
    for sep in "/?#":
        text = text.split(sep, 1)[0]
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text


def normalize(raw: str) -> Host:
    """Validate one hostname; raise InvalidDomain saying what is wrong with it."""
    text = raw.strip().lower()
    if len(text) <= 253 and _VALID_HOST.fullmatch(text) and "xn--" not in text:
        return Host(text, text)  # the common case, checked in one regex
    text = strip_url(text).rstrip(".")
    if not text:
        raise InvalidDomain("empty name")
    if text.isascii():
        if _ASCII_HOST.fullmatch(text) is None:
            raise InvalidDomain(f"{raw.strip()!r}: not a hostname (letters, digits, '-', '.')")
        labels = text.split(".")
        _check_labels(raw, labels)
        if "xn--" not in text:
            return Host(text, text)
        return Host(text, ".".join(_decode_label(raw, label) for label in labels))
    # Unicode input: NFKC folds full-width forms and the ideographic full stop, as IDNA does.
    text = unicodedata.normalize("NFKC", text).replace("。", ".").lower().rstrip(".")
    labels = text.split(".")
    ascii_labels = [_encode_label(raw, label) for label in labels]
    _check_labels(raw, ascii_labels)
    unicode_labels = [_decode_label(raw, a) if a.startswith("xn--") else a for a in ascii_labels]
    return Host(".".join(ascii_labels), ".".join(unicode_labels))


def _check_labels(raw: str, labels: list[str]) -> None:
    if len(labels) < 2:
        raise InvalidDomain(f"{raw.strip()!r}: a single label is not a domain name")
    if sum(len(label) + 1 for label in labels) - 1 > 253:
        raise InvalidDomain(f"{raw.strip()!r}: longer than 253 characters")
    for label in labels:
        if _LABEL.fullmatch(label) is None:
            raise InvalidDomain(f"{raw.strip()!r}: bad label {label!r} (1–63 letters, digits "
                                "or inner hyphens)")


def _encode_label(raw: str, label: str) -> str:
    if label.isascii():
        return label
    if not all(c.isalnum() or c == "-" for c in label):
        raise InvalidDomain(f"{raw.strip()!r}: bad character in label {label!r}")
    try:
        return "xn--" + label.encode("punycode").decode("ascii")
    except UnicodeError:
        raise InvalidDomain(f"{raw.strip()!r}: cannot encode label {label!r}") from None


def _decode_label(raw: str, label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        decoded = label[4:].encode("ascii").decode("punycode").lower()
    except UnicodeError:
        raise InvalidDomain(f"{raw.strip()!r}: bad punycode label {label!r}") from None
    if not decoded or decoded.isascii() or not all(c.isalnum() or c == "-" for c in decoded):
        raise InvalidDomain(f"{raw.strip()!r}: punycode label {label!r} decodes to "
                            f"{decoded!r}, not an internationalised label")
    return decoded
