"""The one aiohttp request handler: Host-header dispatch, hostile effects, control endpoints.

Runs on aiohttp's low-level server (no router), so absolute-form proxy requests
(`GET http://host/path HTTP/1.1`) and origin-form requests are handled identically.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes, urlsplit

from aiohttp import web

from sandbox.hosts import ALL_HOSTS, CONTROL_HOSTS
from sandbox.render.hostile import huge_chunks
from sandbox.render.page import (
    EFFECT_GZIP,
    EFFECT_HUGE,
    EFFECT_RATELIMIT,
    EFFECT_SLOW,
    JSON_UTF8,
    TEXT_UTF8,
    Page,
    Site,
    shared_page,
)
from sandbox.sites import build_sites

RATE_LIMITED_HITS = 2  # 429s before a rate-limited page answers
MAX_FORM_BYTES = 64 * 1024  # a query form posts a few fields; anything bigger is refused
SERVER_HEADER = "nginx"


def host_name(value: str) -> str:
    """Host header without port, lower-cased; handles "[::1]:8080"."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def parse_query(raw_target: str) -> dict[str, str]:
    """Query parameters of the raw request target; values may be UTF-8 or GBK percent-encoded."""
    _, _, raw = raw_target.partition("?")
    raw = raw.partition("#")[0]
    params: dict[str, str] = {}
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        data = unquote_to_bytes(value.replace("+", " "))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("gbk", errors="replace")
        params.setdefault(unquote_to_bytes(name).decode("utf-8", "replace"), text)
    return params


def parse_form(body: bytes, content_type: str) -> dict[str, str]:
    """Fields of a POSTed form: urlencoded (as browsers send) or a flat JSON object (fetch())."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        if not isinstance(value, dict):
            return {}
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float)}
    return parse_query("?" + body.decode("latin-1"))


def _plain(status: int, text: str, **headers: str) -> web.Response:
    return web.Response(
        status=status,
        body=text.encode("utf-8"),
        headers={"Content-Type": TEXT_UTF8, "Server": SERVER_HEADER, **headers},
    )


async def _read_up_to(request: web.BaseRequest, limit: int) -> bytes:
    """Up to `limit` bytes of the body: one read() returns only what has arrived so far, so a
    body sent in several packets would pass the size check half-read."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await request.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class SandboxApp:
    """State shared by all requests: which night is served, and the 429 counters."""

    def __init__(self, seed: int, night: int, slow_seconds: float, huge_bytes: int) -> None:
        self.seed = seed
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self.night = night
        self.sites: Mapping[str, Site] = build_sites(seed, night)
        self.hits: dict[str, int] = {}

    def set_night(self, night: int) -> None:
        sites = build_sites(self.seed, night)  # may take a moment; swap only when complete
        self.sites, self.hits, self.night = sites, {}, night

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method == "CONNECT":
            return _plain(
                405, "405 CONNECT not supported: the sandbox never tunnels\n", Allow="GET, HEAD"
            )
        # Dispatch on the Host header (as the spec and browsers do); an absolute-form target
        # without one still names its host in the URL.
        target = request.raw_path
        host = host_name(
            request.headers.get("Host", "")
            or (urlsplit(target).hostname or "" if "://" in target else "")
        )
        path = request.rel_url.path
        if host in CONTROL_HOSTS:
            return await self._control(request, path)
        site = self.sites.get(host)
        if site is None:
            return _plain(502, f"502 不是沙箱站点 / not a sandbox host: {host or '(none)'}\n")
        query = parse_query(target)
        if request.method == "POST" and path in getattr(site, "post_paths", ()):
            # Query portals answer their forms by POST as well (the fields win over the URL's).
            body = await _read_up_to(request, MAX_FORM_BYTES + 1)
            if len(body) > MAX_FORM_BYTES:
                return _plain(413, "413 请求内容过大\n")
            query = {**query, **parse_form(body, request.headers.get("Content-Type", ""))}
        elif request.method not in ("GET", "HEAD"):
            return _plain(405, "405 Method Not Allowed\n", Allow="GET, HEAD")
        page = shared_page(path) or site.route(path, query)
        if page.effect == EFFECT_RATELIMIT:
            counter = f"{host}{path}"
            self.hits[counter] = self.hits.get(counter, 0) + 1
            if self.hits[counter] <= RATE_LIMITED_HITS:
                return _plain(429, "429 请求过于频繁，请稍后再试\n", **{"Retry-After": "1"})
        elif page.effect == EFFECT_SLOW:
            await asyncio.sleep(self.slow_seconds)
        elif page.effect == EFFECT_HUGE:
            return await self._stream_huge(request, page)
        response = self._send(page)
        if page.effect == EFFECT_GZIP and "gzip" in request.headers.get("Accept-Encoding", ""):
            response.enable_compression(web.ContentCoding.gzip)  # aiohttp would pick deflate
        return response

    @staticmethod
    def _send(page: Page) -> web.Response:
        headers = {"Content-Type": page.content_type, "Server": SERVER_HEADER, **dict(page.headers)}
        return web.Response(status=page.status, body=page.body, headers=headers)

    async def _stream_huge(self, request: web.BaseRequest, page: Page) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200, headers={"Content-Type": page.content_type, "Server": SERVER_HEADER}
        )
        response.content_length = self.huge_bytes
        await response.prepare(request)
        if request.method != "HEAD":
            for chunk in huge_chunks(self.huge_bytes):
                await response.write(chunk)  # drains per chunk, so other requests interleave
        await response.write_eof()
        return response

    async def _control(self, request: web.BaseRequest, path: str) -> web.StreamResponse:
        if path == "/__sandbox__/hosts" and request.method == "GET":
            return self._json(list(ALL_HOSTS))
        if path == "/__sandbox__/night":
            if request.method == "GET":
                return self._json({"seed": self.seed, "night": self.night})
            if request.method == "POST":
                try:
                    night = int(parse_query(request.raw_path).get("n", ""))
                except ValueError:
                    return _plain(400, "400 need ?n=<night number>\n")
                if night < 1:
                    return _plain(400, "400 nights start at 1\n")
                await asyncio.get_running_loop().run_in_executor(None, self.set_night, night)
                return self._json({"seed": self.seed, "night": self.night})
            return _plain(405, "405 Method Not Allowed\n", Allow="GET, POST")
        return _plain(404, "404 sandbox control: try /__sandbox__/hosts or /__sandbox__/night\n")

    @staticmethod
    def _json(value: object) -> web.Response:
        return web.Response(
            body=json.dumps(value, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": JSON_UTF8, "Server": SERVER_HEADER},
        )
