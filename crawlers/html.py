"""Decode a fetched page once and parse it once, to the tree the source selectors run on.

Going through Scrapy's `TextResponse.selector` cost a copy of the response and its headers,
a second decode, a re-encode to UTF-8 for lxml and lxml.html's per-element class lookup in
Python, for every page. The tree built here is the one parsel builds from the same text
(same parser options, same stripping), so extraction is unchanged: `tests/test_html.py`
compares them on every sandbox page shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urljoin

from lxml import etree
from scrapy.http import TextResponse
from w3lib.encoding import resolve_encoding
from w3lib.html import get_base_url

# parsel: recover=True, huge_tree where lxml supports it. Parsers are reusable but not
# thread-safe; pages are parsed on the reactor thread only.
_PARSER = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
# What str.strip() removes at the ends and bytes.strip() does not, when one byte long.
_STR_ONLY_SPACE = frozenset(b"\x1c\x1d\x1e\x1f")


@dataclass
class ParsedPage:
    url: str
    text: str
    root: etree._Element

    @cached_property
    def base_url(self) -> str:
        return get_base_url(self.text[:4096], self.url)  # as Scrapy: <base href> or the URL

    def urljoin(self, href: str) -> str:
        """As `TextResponse.urljoin`."""
        return urljoin(self.base_url, href)


def page_text(url: str, body: bytes, codec: str, text: str | None) -> str:
    """The text Scrapy would give for `body` read as `codec`.

    `text` is the strict decode made while detecting the codec, None when it was not clean
    or came from a BOM. It is that text whenever Scrapy would decode with the same codec;
    otherwise (replacement characters, a BOM, codecs w3lib swaps for a superset or reads
    big-endian) Scrapy's own decoding is used, as before.
    """
    if text is not None and codec not in ("utf-16", "utf-32") \
            and resolve_encoding(codec) == codec:
        return text
    return TextResponse(url=url, body=body, encoding=codec).text


def _utf8_bytes_as_parsel(body: bytes) -> bytes | None:
    """The bytes parsel would feed lxml for this UTF-8 body, without decoding it; None when
    the ends hold a character that only `str.strip()` treats as white space."""
    stripped = body.strip()
    for end in (stripped[:1], stripped[-1:]):
        if end and (end[0] >= 0x80 or end[0] in _STR_ONLY_SPACE):
            return None
    return stripped.replace(b"\x00", b"")


def parse_page(url: str, body: bytes, text: str, codec: str) -> ParsedPage:
    """`text` is `page_text(url, body, codec, …)`."""
    data = _utf8_bytes_as_parsel(body) if codec == "utf-8" else None
    if data is None:
        data = text.strip().replace("\x00", "").encode("utf-8")
    root = etree.fromstring(data or b"<html/>", parser=_PARSER)
    if root is None:  # nothing parseable at all
        root = etree.fromstring(b"<html/>", parser=_PARSER)
    return ParsedPage(url, text, root)
