"""Turn selected HTML into the text a reader sees: block elements and <br> become line breaks."""

from __future__ import annotations

from lxml import etree
from parsel import Selector, SelectorList

_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "td", "th", "ul",
})
_SKIP = frozenset({"script", "style", "noscript", "template", "head"})


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
    raw = "".join(ch for ch in raw if ch in "\n\t" or ch >= " ")
    lines = (" ".join(line.split()) for line in raw.split("\n"))
    return "\n".join(line for line in lines if line)


def block_text(selection: Selector) -> str:
    root = selection.root
    if isinstance(root, str):
        return clean_lines(root)
    out: list[str] = []
    _walk(root, out)
    return clean_lines("".join(out))


def select_field(scope: Selector | SelectorList, selector: str) -> str | None:
    """Value of one field: `::text`/`::attr()` selectors verbatim, elements as block text."""
    found = scope.css(selector)
    if not found:
        return None
    if "::" in selector:
        value = clean_lines(" ".join(v for v in found.getall() if v))
    else:
        value = block_text(found[0])
    return value or None


def extract_fields(scope: Selector | SelectorList, fields: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, selector in fields.items():
        value = select_field(scope, selector)
        if value is not None:
            out[name] = value
    return out
