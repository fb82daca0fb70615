"""The cover sheet in Chinese: HTML from a Jinja2 template, PDF printed by Chromium with
JavaScript off and the network cut (the page needs nothing but itself and local fonts)."""

from __future__ import annotations

import os
import queue
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports.evidence.agency import LABEL_NAMES, Agency
from reports.evidence.collect import Item
from reports.evidence.errors import EvidenceError
from reports.evidence.timefmt import shanghai_text

CONTACT_KINDS = {"phone": "电话", "wechat": "微信", "qq": "QQ", "email": "邮箱"}
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       keep_trailing_newline=True)


def item_view(item: Item) -> dict[str, Any]:
    f = item.findings
    cls = f.get("classifier") or {}
    attrs = f.get("attributes") or {}
    if item.target.kind == "site":
        imitates = (f.get("lookalike") or {}).get("imitates")
        attrs = {"certificates": [], "price": None,
                 "region": f"仿冒 {imitates}" if imitates else None}
    certs = "、".join(filter(None, (f"{c.get('family', '')}{c.get('specialty') or ''}"
                                    for c in attrs.get("certificates", [])))) or "—"
    price = (attrs.get("price") or {}).get("text") or "—"
    region = attrs.get("region") or "—"
    reviews = f.get("reviews") or []
    score = cls.get("score")
    return {
        "id": item.target.id, "source_title": item.source_title or item.source,
        "url": item.url, "title": item.title or "—",
        "label_zh": LABEL_NAMES.get(item.label, item.label),
        "reviewed": _reviewed(f.get("review_case"), reviews),
        "score": f"{score:.2f}" if isinstance(score, int | float) else "—",
        "model_version": cls.get("model_version") or "—",
        "reasons": list(dict.fromkeys(r.get("text", "") for r in (cls.get("reasons") or [])
                                      if r.get("text")))[:8],
        "attributes": f"{certs} / {price} / {region}",
        "contacts": [{"kind": CONTACT_KINDS.get(c["kind"], c["kind"]), "value": c["value"],
                      "linked": len(c.get("linked_listings", []))}
                     for c in f.get("contacts", [])],
        "first_seen": _when(f.get("first_seen")), "last_seen": _when(f.get("last_seen")),
        "removed": f.get("removed"),
        "page_hashes": [p.content_hash for p in item.pages if p.content_hash],
    }


STATUSES = {"pending": "待审核", "confirmed": "已确认", "dismissed": "已排除（误报）",
            "needs_info": "待补充信息", "escalated": "已上报主管", "closed": "已结案"}


def _reviewed(case: dict[str, Any] | None, reviews: list[dict[str, Any]]) -> str | None:
    if case:
        category = f"，{LABEL_NAMES.get(case['category'], case['category'])}" \
            if case.get("category") else ""
        return f"{STATUSES.get(case['status'], case['status'])}{category}，{case['updated_by']}"
    if reviews:
        return f"{LABEL_NAMES.get(reviews[-1]['label'], reviews[-1]['label'])}，" \
               f"{reviews[-1]['analyst']}"
    return None


def _when(utc: str | None) -> str:
    if not utc:
        return "—"
    return shanghai_text(datetime.fromisoformat(utc.replace("Z", "+00:00")))


def render_html(*, case: str, purpose: str, operator: str, crawl_operators: list[str],
                packet_name: str, agency: Agency, copies: list[Agency], items: list[Item],
                manifest_sha256: str, key_fingerprint: str,
                timestamp: dict[str, Any] | None, exported_at: Any) -> bytes:
    """`operator` exported the packet; `crawl_operators` ran the captures (warcinfo)."""
    start = min(i.captured_from for i in items)
    end = max(i.captured_to for i in items)
    html = _env().get_template("cover.html").render(
        case=case, purpose=purpose, operator=operator, crawl_operators=crawl_operators,
        packet_name=packet_name,
        agency=agency, copies=copies, items=[item_view(i) for i in items],
        capture_start=shanghai_text(start), capture_end=shanghai_text(end),
        exported_at=shanghai_text(exported_at), manifest_sha256=manifest_sha256,
        key_fingerprint=key_fingerprint, timestamp=timestamp)
    return html.encode("utf-8")


class PdfPrinter:
    """One Chromium for the whole export, started on its own thread as soon as the export
    begins (Playwright's sync API stays on that thread), so it boots while the store is read
    and the records are written. `version` goes into the environment record."""

    def __init__(self) -> None:
        self._pw: Any = None
        self._browser: Any = None
        self._jobs: queue.Queue[bytes | None] = queue.Queue()
        self._results: queue.Queue[tuple[bytes | None, BaseException | None]] = queue.Queue()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._version: str | None = None

    def __enter__(self) -> PdfPrinter:
        self._thread = threading.Thread(target=self._run, name="cover-pdf", daemon=True)
        self._thread.start()
        return self

    @property
    def version(self) -> str:
        self._wait()
        return self._version or ""

    def pdf(self, html: bytes) -> bytes:
        self._wait()
        self._jobs.put(html)
        data, error = self._results.get()
        if error is not None:
            raise EvidenceError(f"cannot print the cover sheet: {error}") from None
        return data or b""

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=60)

    def _wait(self) -> None:
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    # -- on the printer's thread ------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._start()
        except BaseException as exc:  # handed to the export thread, raised there
            self._failure = exc if isinstance(exc, EvidenceError) else EvidenceError(
                f"cannot start Chromium for the cover sheet: {str(exc).splitlines()[0]}")
            self._ready.set()
            return
        self._ready.set()
        try:
            while (html := self._jobs.get()) is not None:
                try:
                    self._results.put((self._print(html), None))
                except Exception as exc:  # noqa: BLE001 - reported to the caller
                    self._results.put((None, exc))
        finally:
            self._browser.close()
            self._pw.stop()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(**self._options())
        except BaseException:
            self._pw.stop()
            raise
        self._version = f"Chromium {self._browser.version}"

    def _options(self) -> dict[str, Any]:
        """certwatch's Chromium choice (crawlers.browser), asking this Playwright instance
        whether its own build is installed instead of starting a second driver."""
        from crawlers.browser import QUIET_FLAGS, system_chromium

        override = os.environ.get("CERTWATCH_CHROMIUM")
        if override:
            if not (Path(override).is_file() and os.access(override, os.X_OK)):
                raise EvidenceError(f"cannot print the cover sheet: CERTWATCH_CHROMIUM="
                                    f"{override!r} is not an executable file")
            executable: str | None = override
        elif Path(self._pw.chromium.executable_path).is_file():
            executable = None
        else:
            executable = system_chromium()
            if executable is None:
                raise EvidenceError("cannot print the cover sheet: no Chromium found (run "
                                    "`make install` or set CERTWATCH_CHROMIUM)")
        options: dict[str, Any] = {"headless": True, "args": list(QUIET_FLAGS)}
        if executable:
            options["executable_path"] = executable
        return options

    def _print(self, html: bytes) -> bytes:
        context = self._browser.new_context(java_script_enabled=False, offline=True,
                                            locale="zh-CN")
        try:
            page = context.new_page()
            # Nothing may be fetched: the cover is self-contained.
            page.route("**/*", lambda route: route.abort())
            page.set_content(html.decode("utf-8"), wait_until="load")
            return page.pdf(format="A4", print_background=True)
        finally:
            context.close()
