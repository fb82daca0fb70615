"""Pick the right codec for a page whose charset header may be missing or lying.

Chinese sites often serve GBK with no charset, or with `charset=utf-8` from a misconfigured
server. Candidates are tried strictly, in order of how much they can be trusted; the first
that decodes the whole body without an error wins.
"""

from __future__ import annotations

import codecs
import re

_META_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
# GBK and GB2312 pages routinely contain characters only GB18030 names; it is their superset.
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
              "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252",
              "latin-1": "cp1252"}


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(codec, codec)


def header_charset(content_type: str | None) -> str | None:
    match = _HEADER_RE.search(content_type or "")
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_RE.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


def detect(body: bytes, content_type: str | None = None,
           hint: str | None = None) -> tuple[str, bool]:
    """Return (codec, exact): `exact` is False when no candidate decoded cleanly."""
    codec, exact, _text = detect_and_decode(body, content_type, hint)
    return codec, exact


def detect_and_decode(body: bytes, content_type: str | None = None,
                      hint: str | None = None) -> tuple[str, bool, str | None]:
    """As `detect`, plus the text the winning codec decoded (None when it is not exact):
    the check already decodes the whole body, so the caller need not do it again."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec, True, None
    candidates = [header_charset(content_type), meta_charset(body), hint, "utf-8", "gb18030"]
    tried: list[str] = []
    for name in candidates:
        codec = _canonical(name)
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        try:
            text = body.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        return codec, True, text
    return _canonical(hint) or "utf-8", False, None
