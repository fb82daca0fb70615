"""Capture a page in Chromium: screenshot, rendered DOM, title, text, forms, images, claims.

Every file is written into a `CaptureDir` that records its SHA-256, so the evidence packet can
list and check it later. Hostile pages are expected: dialogs are answered, pop-ups closed,
client-side redirects followed (a few), sizes capped, and hosts outside the host map do not
resolve (Chromium's `--host-resolver-rules`, see `crawlers.browser.launch_options`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from classifiers.lookalike import icp, perceptual
from crawlers.hostmap import HostMap
from store.clock import iso, utcnow

VIEWPORT = {"width": 1280, "height": 900}
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0 Safari/537.36 certwatch-lookalike")
NAV_TIMEOUT_MS = 15_000
SETTLE_ROUNDS = 4  # client-side redirects followed after load (meta refresh, location.replace)
MAX_SHOT_HEIGHT = 6_000
MAX_DOM_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 500_000
MAX_IMAGES = 8

# One JS helper shared by the extractors: a CSS path that finds the element again.
_CSS_PATH = """
const cssPath = (el) => {
  const parts = [];
  while (el && el.nodeType === 1 && el !== document.documentElement) {
    let i = 1, s = el;
    while ((s = s.previousElementSibling)) i++;
    parts.unshift(el.tagName.toLowerCase() + ':nth-child(' + i + ')');
    el = el.parentElement;
  }
  return 'html > ' + parts.join(' > ');
};
"""

FORMS_JS = "() => {" + _CSS_PATH + """
const near = (el) => {
  if (el.labels && el.labels.length) return Array.from(el.labels).map(l => l.innerText).join(' ');
  let text = '', n = el.previousSibling;
  while (n && text.length < 40) { text = (n.textContent || '') + text; n = n.previousSibling; }
  if (!text.trim() && el.parentElement) {
    let p = el.parentElement.previousElementSibling;
    text = p ? (p.innerText || '') : '';
  }
  return text.trim().slice(-40);
};
const SKIP = new Set(['hidden', 'submit', 'button', 'reset', 'image', 'checkbox', 'radio', 'file']);
const describe = (el) => ({
  tag: el.tagName.toLowerCase(), type: (el.getAttribute('type') || '').toLowerCase(),
  name: el.getAttribute('name') || '', id: el.id || '', label: near(el),
  placeholder: el.getAttribute('placeholder') || '', aria: el.getAttribute('aria-label') || '',
  visible: !!(el.offsetWidth || el.offsetHeight), path: cssPath(el)});
const skipped = (el) => el.tagName === 'INPUT' && SKIP.has((el.type || '').toLowerCase());
const fieldsOf = (els) => els.filter(el => !skipped(el)).slice(0, 40).map(describe);
const buttonsOf = (els) => els.slice(0, 10).map(b => ({
  text: (b.innerText || b.value || '').trim().slice(0, 40), path: cssPath(b)}));
const BUTTONS = 'button, input[type=submit], input[type=button], input[type=image]';
const forms = Array.from(document.forms).slice(0, 20).map((f, i) => ({
  index: i, action: f.action || '', method: (f.getAttribute('method') || 'get').toLowerCase(),
  scripted: false, path: cssPath(f),
  fields: fieldsOf(Array.from(f.querySelectorAll('input, select, textarea'))),
  buttons: buttonsOf(Array.from(f.querySelectorAll(BUTTONS)))}));
const loose = Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !el.form);
if (loose.length) {
  forms.push({index: forms.length, action: '', method: 'script', scripted: true, path: '',
    fields: fieldsOf(loose),
    buttons: buttonsOf(Array.from(document.querySelectorAll(BUTTONS)).filter(b => !b.form))});
}
return forms;
}"""

IMAGES_JS = "() => {" + _CSS_PATH + """
return Array.from(document.images).slice(0, 200).map(img => {
  const r = img.getBoundingClientRect();
  return {src: img.currentSrc || img.src || '', alt: img.alt || '', w: img.naturalWidth,
          h: img.naturalHeight, dw: r.width, dh: r.height, top: r.top + window.scrollY,
          path: cssPath(img)};
});
}"""

LINKS_JS = """() => Array.from(document.links).slice(0, 500).map(a => ({
  href: a.href, text: (a.innerText || a.title || '').trim().slice(0, 60)}))"""


@dataclass(frozen=True)
class FileRecord:
    path: Path
    sha256: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "sha256": self.sha256, "size": self.size}


class CaptureDir:
    """A directory of evidence files, each written once with its SHA-256 recorded."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, FileRecord] = {}

    def write(self, name: str, data: bytes) -> FileRecord:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        record = FileRecord(path, hashlib.sha256(data).hexdigest(), len(data))
        self.files[name] = record
        return record

    def write_json(self, name: str, value: Any) -> FileRecord:
        return self.write(name, json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8"))

    def seal(self) -> FileRecord:
        """manifest.json: every file with its SHA-256 (`sha256sum -c` form in manifest.sha256)."""
        lines = "".join(f"{r.sha256}  {name}\n" for name, r in sorted(self.files.items()))
        self.write("manifest.sha256", lines.encode("utf-8"))
        files = {n: {"sha256": r.sha256, "size": r.size} for n, r in sorted(self.files.items())}
        return self.write_json("manifest.json", {"files": files})


@dataclass
class PageCapture:
    """What one page looked like in the browser, and where its files are."""

    requested_url: str
    captured_at: datetime
    final_url: str = ""
    status: int | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""
    text: str = ""
    forms: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    claims: icp.Claims = field(default_factory=icp.Claims)
    dialogs: list[dict[str, str]] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    screenshot: FileRecord | None = None
    dom: FileRecord | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "requested_url": self.requested_url, "captured_at": iso(self.captured_at),
            "final_url": self.final_url, "status": self.status, "redirects": self.redirects,
            "title": self.title, "forms": self.forms, "images": self.images,
            "claims": self.claims.as_json(), "dialogs": self.dialogs, "popups": self.popups,
            "blocked": self.blocked,
            "screenshot": self.screenshot.as_json() if self.screenshot else None,
            "dom": self.dom.as_json() if self.dom else None, "error": self.error,
        }


class BrowserSession:
    """One Chromium for a whole hunt; a fresh context (no cookies) per site."""

    def __init__(self, hostmap: HostMap | None) -> None:
        self.hostmap = hostmap
        self._pw = None
        self._browser = None

    def __enter__(self) -> BrowserSession:
        from playwright.sync_api import sync_playwright

        from crawlers.browser import launch_options

        options = launch_options(self.hostmap)
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(**options)
        except Exception:
            self._pw.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._pw is not None:
            self._pw.stop()

    @property
    def version(self) -> str:
        return self._browser.version if self._browser else ""

    def environment(self) -> dict[str, Any]:
        """The capture environment for the record (GUIDE.md §2: tools, versions, settings)."""
        import platform
        import socket
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as package_version

        def version_of(name: str) -> str:
            try:
                return package_version(name)
            except PackageNotFoundError:
                return "unknown"

        return {"tool": f"certwatch {version_of('certwatch')}",
                "playwright": version_of("playwright"), "browser": f"Chromium {self.version}",
                "user_agent": USER_AGENT, "viewport": VIEWPORT, "locale": "zh-CN",
                "timezone": "Asia/Shanghai", "host": socket.gethostname(),
                "os": platform.platform(),
                "host_map": "loopback-only" if self.hostmap and self.hostmap.loopback_only
                else ("mapped" if self.hostmap else "system resolver")}

    @contextmanager
    def page(self) -> Iterator[Any]:
        context = self._browser.new_context(
            viewport=VIEWPORT, user_agent=USER_AGENT, locale="zh-CN",
            timezone_id="Asia/Shanghai", accept_downloads=False, service_workers="block")
        context.set_default_timeout(NAV_TIMEOUT_MS)
        blocked: list[str] = []
        if self.hostmap is not None and self.hostmap.loopback_only:
            # Resolver rules do not cover literal IP addresses; refuse those here, so a
            # hostile page cannot reach past the host map whatever it links to.
            context.route("**/*", lambda route: self._guard(route, blocked))
        page = context.new_page()
        watch = PageWatch(page)
        watch.blocked = blocked
        try:
            yield watch
        finally:
            context.close()


    def _guard(self, route: Any, blocked: list[str]) -> None:
        from urllib.parse import urlsplit

        url = route.request.url
        if self.hostmap.allowed(urlsplit(url).hostname):
            route.continue_()
        else:
            if len(blocked) < 50:
                blocked.append(url[:300])
            route.abort("blockedbyclient")


class PageWatch:
    """A page plus what happened on it: navigations, responses, dialogs, pop-ups."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.navigations: list[dict[str, Any]] = []
        self.image_responses: dict[str, Any] = {}
        self.image_bytes: dict[str, bytes] = {}  # bodies read once, reused on later pages
        self.dialogs: list[dict[str, str]] = []
        self.popups: list[str] = []
        self.blocked: list[str] = []  # requests refused by the host map (sandbox mode)
        self.last_status: int | None = None
        page.on("response", self._on_response)
        page.on("dialog", self._on_dialog)
        page.on("popup", self._on_popup)

    def _on_response(self, response: Any) -> None:
        request = response.request
        if request.resource_type == "image" and len(self.image_responses) < 100:
            self.image_responses.setdefault(response.url, response)
        elif request.is_navigation_request() and request.frame == self.page.main_frame:
            self.navigations.append({"url": response.url, "status": response.status,
                                     "method": request.method, "at": iso(utcnow())})
            self.last_status = response.status

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append({"type": dialog.type, "message": dialog.message[:500]})
        try:
            if dialog.type in ("alert", "beforeunload"):
                dialog.accept()
            else:
                dialog.dismiss()
        except Exception:  # the page went away meanwhile
            pass

    def _on_popup(self, popup: Any) -> None:
        self.popups.append(popup.url)
        with suppress(Exception):
            popup.close()

    def settle(self) -> None:
        """Wait out client-side redirects and late scripts (bounded)."""
        from playwright.sync_api import Error as PlaywrightError

        for _ in range(SETTLE_ROUNDS):
            url = self.page.url
            with suppress(PlaywrightError):
                self.page.wait_for_load_state("networkidle", timeout=3_000)
            self.page.wait_for_timeout(250)
            if self.page.url == url:
                break


def capture(watch: PageWatch, url: str | None, out: CaptureDir, prefix: str) -> PageCapture:
    """Open `url` (or take the page as it is when None) and record it under `prefix`."""
    from playwright.sync_api import Error as PlaywrightError

    page = watch.page
    result = PageCapture(requested_url=url or page.url, captured_at=utcnow())
    first = len(watch.navigations)
    if url is not None:
        try:
            page.goto(url, wait_until="load", timeout=NAV_TIMEOUT_MS)
        except PlaywrightError as exc:
            result.error = _short(exc)
            if not watch.navigations[first:]:
                return result
    watch.settle()
    result.redirects = watch.navigations[first:]
    result.final_url = page.url
    result.status = watch.last_status
    try:
        _record(watch, out, prefix, result)
    except PlaywrightError as exc:
        result.error = result.error or _short(exc)
    result.dialogs, result.popups = list(watch.dialogs), list(watch.popups)
    result.blocked = list(watch.blocked)
    return result


def _record(watch: PageWatch, out: CaptureDir, prefix: str, result: PageCapture) -> None:
    page = watch.page
    result.title = (page.title() or "")[:500]
    dom = page.content().encode("utf-8")[:MAX_DOM_BYTES]
    result.dom = out.write(f"{prefix}-dom.html", dom)
    result.text = page.evaluate("() => document.body ? document.body.innerText : ''")[
        :MAX_TEXT_CHARS]
    out.write(f"{prefix}-text.txt", result.text.encode("utf-8"))
    result.screenshot = out.write(f"{prefix}-screenshot.png", screenshot(page))
    result.forms = page.evaluate(FORMS_JS)
    result.links = page.evaluate(LINKS_JS)
    result.claims = icp.claims(result.text)
    result.images = _images(watch, out, prefix)


def screenshot(page: Any) -> bytes:
    height = page.evaluate("() => document.documentElement.scrollHeight") or VIEWPORT["height"]
    height = max(1, min(int(height), MAX_SHOT_HEIGHT))
    return page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": VIEWPORT["width"],
                                                  "height": height})


def _looks_like_logo(image: dict[str, Any]) -> bool:
    w, h = image.get("w") or 0, image.get("h") or 0
    return 16 <= w <= 1024 and 16 <= h <= 1024 and 0.6 <= w / h <= 1.6 and image.get("dw", 0) >= 12


def _images(watch: PageWatch, out: CaptureDir, prefix: str) -> list[dict[str, Any]]:
    """Square-ish images (emblems, logos) with their bytes kept and perceptual hashes."""
    found = []
    for n, image in enumerate(i for i in watch.page.evaluate(IMAGES_JS) if _looks_like_logo(i)):
        if n >= MAX_IMAGES:
            break
        data = _image_bytes(watch, image)
        if data is None:
            continue
        try:
            hashes = perceptual.hashes(data)
        except perceptual.ImageUnreadable:
            continue
        record = out.write(f"{prefix}-image-{n}.bin", data)
        found.append({**{k: image[k] for k in ("src", "alt", "w", "h", "top")}, **hashes,
                      "file": record.as_json()})
    return found


def _image_bytes(watch: PageWatch, image: dict[str, Any]) -> bytes | None:
    src = image.get("src") or ""
    if src.startswith("data:") and ";base64," in src[:200]:
        try:
            return base64.b64decode(src.split(",", 1)[1], validate=False)
        except ValueError:
            return None
    if src in watch.image_bytes:
        return watch.image_bytes[src]
    response = watch.image_responses.get(src)
    if response is not None:
        try:
            watch.image_bytes[src] = response.body()
            return watch.image_bytes[src]
        except Exception:  # body evicted or the request failed: fall back to pixels
            pass
    try:
        return watch.page.locator(image["path"]).screenshot(timeout=3_000, omit_background=True)
    except Exception:
        return None


def _short(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300]
