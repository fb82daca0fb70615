"""Turn selected HTML into the text a reader sees: block elements and <br> become line breaks.

Source selectors are CSS, compiled once per source to lxml XPath objects: re-translating and
re-compiling them for every page was the largest cost of the whole crawl. The commonest
shape, `tag.class`, is matched by walking the tag's elements instead: XPath's class test
(normalize-space and concat on every candidate) was then the largest cost of extraction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from parsel.csstranslator import HTMLTranslator

_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "td", "th", "ul",
})
_SKIP = frozenset({"script", "style", "noscript", "template", "head"})
_TRANSLATOR = HTMLTranslator()
# NUL and the other C0 controls but tab and newline (DEL and above are kept).
_CONTROLS = dict.fromkeys(c for c in range(32) if c not in (9, 10))
# `tag.class` or `.class`, nothing else: the selectors the class fast path takes.
_TAG_CLASS = re.compile(r"([a-z][a-z0-9]*)?\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
# normalize-space() splits on XML white space only (str.split() would also split on \f etc.).
_XML_SPACE = str.maketrans("\t\n\r", "   ")


@dataclass(frozen=True)
class CompiledSelector:
    """A CSS selector (parsel's `::text` / `::attr()` included) as a compiled XPath."""

    css: str
    xpath: etree.XPath
    verbatim: bool  # ::text / ::attr(): take the strings as they are
    # Simple `tag.class` selectors: matched without XPath, with the same result.
    tag: str | None = None
    cls: str | None = None

    def select(self, node: etree._Element) -> list:
        if self.cls is None:
            return self.xpath(node)
        return list(self._by_class(node))

    def first(self, node: etree._Element) -> object | None:
        if self.cls is None:
            found = self.xpath(node)
            return found[0] if found else None
        return next(self._by_class(node), None)

    def _by_class(self, node: etree._Element) -> Iterator[etree._Element]:
        # descendant-or-self in document order, as the XPath: iter() yields node first.
        cls = self.cls
        for element in node.iter(self.tag or etree.Element):
            value = element.get("class")
            if value and cls in value and cls in value.translate(_XML_SPACE).split(" "):
                yield element


@functools.cache
def compile_css(css: str) -> CompiledSelector:
    expr = _TRANSLATOR.css_to_xpath(css)
    xpath = etree.XPath(expr, smart_strings=False)
    simple = _TAG_CLASS.fullmatch(css)
    if simple is None:
        return CompiledSelector(css, xpath, "::" in css)
    return CompiledSelector(css, xpath, False, tag=simple.group(1), cls=simple.group(2))


def _walk(node: etree._Element, out: list[str]) -> None:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag in _SKIP:
        return
    if tag == "br":
        out.append("\n")
    block = tag in _BLOCK
    if block:
        out.append("\n")
    if node.text and tag:
        out.append(node.text)
    for child in node:
        _walk(child, out)
        if child.tail:
            out.append(child.tail)
    if block:
        out.append("\n")


def clean_lines(raw: str) -> str:
    # NUL and other C0 controls show up in broken pages and would poison the database.
    raw = raw.translate(_CONTROLS)
    lines = (" ".join(line.split()) for line in raw.split("\n"))
    return "\n".join(line for line in lines if line)


def block_text(node: etree._Element | str) -> str:
    if isinstance(node, str):
        return clean_lines(node)
    out: list[str] = []
    _walk(node, out)
    return clean_lines("".join(out))


def select_field(node: etree._Element, css: str) -> str | None:
    """Value of one field: `::text`/`::attr()` selectors verbatim, elements as block text."""
    selector = compile_css(css)
    if selector.verbatim:
        found = selector.select(node)
        value = clean_lines(" ".join(str(v) for v in found if v)) if found else ""
    else:
        first = selector.first(node)
        value = block_text(first) if first is not None else ""
    return value or None


def select_strings(node: etree._Element, css: str) -> list[str]:
    """All matches of a `::attr()`/`::text` selector, e.g. every next-page link."""
    return [str(v) for v in compile_css(css).select(node)]


def select_nodes(node: etree._Element, css: str) -> list[etree._Element]:
    return compile_css(css).select(node)


def extract_fields(node: etree._Element, fields: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, css in fields.items():
        value = select_field(node, css)
        if value is not None:
            out[name] = value
    return out
