"""The spider's own decode-and-parse gives the tree Scrapy's TextResponse.selector gave."""

from __future__ import annotations

import codecs
import http.client
from collections.abc import Iterator

import pytest
from lxml import etree
from scrapy.http import TextResponse

from crawlers.encoding import detect, detect_and_decode
from crawlers.extract import extract_fields
from crawlers.html import page_text, parse_page
from crawlers.sources import select_sources
from sandbox.hosts import START_URLS
from sandbox.server import SandboxServer
from sandbox.truth import listings

SITES = ("jobs58", "zhipin", "tieba", "hostile", "xianyu")


@pytest.fixture(scope="module")
def pages() -> Iterator[list[tuple[str, str, str, bytes]]]:
    """(site, url, content type, body) for every start page and a few details per site."""
    truth = listings()
    out = []
    with SandboxServer() as srv:
        for site in SITES:
            urls = list(START_URLS[site])[:3] + [t.url for t in truth if t.site == site][:6]
            for url in urls:
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
                try:
                    conn.request("GET", url)
                    resp = conn.getresponse()
                    out.append((site, url, resp.headers.get("Content-Type", ""), resp.read()))
                finally:
                    conn.close()
    yield out


def old_way(url: str, body: bytes, content_type: str, hint: str | None):
    codec, _exact = detect(body, content_type, hint)
    return TextResponse(url=url, body=body, encoding=codec,
                        headers={"Content-Type": content_type})


def new_way(url: str, body: bytes, content_type: str, hint: str | None):
    codec, _exact, text = detect_and_decode(body, content_type, hint)
    return parse_page(url, body, page_text(url, body, codec, text), codec)


def same_tree(a: etree._Element, b: etree._Element) -> None:
    assert etree.tostring(a, encoding="unicode") == etree.tostring(b, encoding="unicode")


def test_sandbox_pages_parse_and_extract_identically(pages: list) -> None:
    configs = {c.name: c for c in select_sources(SITES)}
    assert len(pages) > 30
    for site, url, content_type, body in pages:
        config = configs[site]
        old = old_way(url, body, content_type, config.encoding)
        new = new_way(url, body, content_type, config.encoding)
        same_tree(old.selector.root, new.root)
        fields = {**config.list.fields, **(config.detail.fields if config.detail else {})}
        assert extract_fields(old.selector.root, fields) == extract_fields(new.root, fields)
        for href in ("/a/b?c=1", "../x.html", "http://other.cn/y"):
            assert old.urljoin(href) == new.urljoin(href)


@pytest.mark.parametrize(("body", "content_type"), [
    ("  <html><body><p>前后空白</p></body></html>\n\n".encode(), "text/html; charset=utf-8"),
    ("\u3000<p>全角空格开头</p>\u3000".encode(), "text/html; charset=utf-8"),
    (b"\x1c<p>x</p>\x1f", "text/html; charset=utf-8"),
    ("<p>空\x00字符</p>".encode(), "text/html; charset=utf-8"),
    (codecs.BOM_UTF8 + "<p>带BOM</p>".encode(), "text/html"),
    ("<p>挂证</p>".encode("gbk"), "text/html; charset=utf-8"),  # a lying header
    ("<p>挂证</p>".encode() + b"\xff\xfe\xfa", "text/html; charset=utf-8"),  # lossy
    (b"", "text/html"),
    (b"   ", "text/html"),
    (b'<html><head><base href="http://b.cn/dir/"></head><a href="x">x</a></html>',
     "text/html"),
])
def test_edge_bodies_parse_identically(body: bytes, content_type: str) -> None:
    url = "http://jobs.example.cn/list/"
    old = old_way(url, body, content_type, None)
    new = new_way(url, body, content_type, None)
    same_tree(old.selector.root, new.root)
    assert old.urljoin("x?y=1") == new.urljoin("x?y=1")
