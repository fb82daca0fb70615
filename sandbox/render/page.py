"""A pre-rendered response and the small helpers every site renderer shares."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

HTML_UTF8 = "text/html; charset=utf-8"
JSON_UTF8 = "application/json; charset=utf-8"
TEXT_UTF8 = "text/plain; charset=utf-8"

# What the server must do beyond sending the bytes (the hostile site's corners).
EFFECT_NONE = ""
EFFECT_SLOW = "slow"  # answer after SandboxServer.slow_seconds
EFFECT_HUGE = "huge"  # stream SandboxServer.huge_bytes of HTML
EFFECT_GZIP = "gzip"  # gzip-encoded when the client accepts it, as CDNs serve JSON
EFFECT_RATELIMIT = "ratelimit"  # 429 for the first two requests per path and night

ROBOTS = b"User-agent: *\nDisallow: /admin/\n"
SANDBOX_NOTE = "<!-- certwatch sandbox replica: synthetic content, not a real site -->"


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    content_type: str = HTML_UTF8  # sent verbatim: aiohttp adds no charset to it
    headers: tuple[tuple[str, str], ...] = ()
    effect: str = EFFECT_NONE


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def paragraphs(lines: Iterable[str], tag: str = "p") -> str:
    return "".join(f"<{tag}>{esc(line)}</{tag}>" for line in lines)


def br_lines(lines: Iterable[str]) -> str:
    return "<br>".join(esc(line) for line in lines)


def html_page(
    markup: str, status: int = 200, *, encoding: str = "utf-8", content_type: str = HTML_UTF8
) -> Page:
    return Page(status, markup.encode(encoding), content_type)


def redirect(location: str, status: int = 302) -> Page:
    return Page(status, b"", TEXT_UTF8, (("Location", location),))


def text_page(text: str, status: int = 200) -> Page:
    return Page(status, text.encode("utf-8"), TEXT_UTF8)


def robots() -> Page:
    return Page(200, ROBOTS, TEXT_UTF8)


def favicon() -> Page:
    return Page(204, b"", "image/x-icon")


def shared_page(path: str) -> Page | None:
    """Paths every sandbox host answers the same way."""
    if path == "/robots.txt":
        return robots()
    if path == "/favicon.ico":
        return favicon()
    if path.startswith("/admin/") or path == "/admin":
        return text_page("403 Forbidden", 403)
    return None


Query = Mapping[str, str]


class Site(Protocol):
    """One sandbox host, rendered for one night."""

    host: str

    def route(self, path: str, query: Query) -> Page: ...
