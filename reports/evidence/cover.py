"""The cover sheet in Chinese: HTML from a Jinja2 template, PDF printed by Chromium with
JavaScript off and the network cut (the page needs nothing but itself and local fonts)."""

from __future__ import annotations

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
        "reviewed": (f"{LABEL_NAMES.get(reviews[-1]['label'], reviews[-1]['label'])}，"
                     f"{reviews[-1]['analyst']}") if reviews else None,
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


def _when(utc: str | None) -> str:
    if not utc:
        return "—"
    return shanghai_text(datetime.fromisoformat(utc.replace("Z", "+00:00")))


def render_html(*, case: str, purpose: str, operator: str, packet_name: str,
                agency: Agency, copies: list[Agency], items: list[Item],
                manifest_sha256: str, key_fingerprint: str,
                timestamp: dict[str, Any] | None, exported_at: Any) -> bytes:
    start = min(i.captured_from for i in items)
    end = max(i.captured_to for i in items)
    html = _env().get_template("cover.html").render(
        case=case, purpose=purpose, operator=operator, packet_name=packet_name,
        agency=agency, copies=copies, items=[item_view(i) for i in items],
        capture_start=shanghai_text(start), capture_end=shanghai_text(end),
        exported_at=shanghai_text(exported_at), manifest_sha256=manifest_sha256,
        key_fingerprint=key_fingerprint, timestamp=timestamp)
    return html.encode("utf-8")


class PdfPrinter:
    """One Chromium for the whole export; `version` goes into the environment record."""

    def __init__(self) -> None:
        self._pw = None
        self._browser = None
        self.version: str | None = None

    def __enter__(self) -> PdfPrinter:
        from playwright.sync_api import Error, sync_playwright

        from crawlers.browser import launch_options
        from crawlers.errors import BrowserUnavailable

        try:
            options = launch_options()
        except BrowserUnavailable as exc:
            raise EvidenceError(f"cannot print the cover sheet: {exc}") from None
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(**options)
        except Error as exc:
            self._pw.stop()
            raise EvidenceError(f"cannot start Chromium for the cover sheet: "
                                f"{str(exc).splitlines()[0]}") from None
        self.version = f"Chromium {self._browser.version}"
        return self

    def pdf(self, html: bytes) -> bytes:
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

    def __exit__(self, *exc: object) -> None:
        if self._browser:
            self._browser.close()
        if self._pw:
            self._pw.stop()
