"""Lookalike sites: their queue, their detail beside the official site, their screenshots."""

from __future__ import annotations

import hashlib
from pathlib import Path as FsPath
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from review.deps import Days, Db, User, clean, found, render
from review.evidence import exportable, packets_of
from review.routes.queue import SCORE_RE, Status
from review.sites import (
    ORIGINS_ZH,
    SiteFilter,
    load_sites,
    official_screenshot,
    site_detail,
    site_origins,
)

router = APIRouter(tags=["sites"])
SiteId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/sites", response_class=HTMLResponse)
def sites_queue(request: Request, db: Db, user: User, days: Days,
                label: Literal["lookalike", "all"] = "lookalike", status: Status = "",
                q: Annotated[str, Query(max_length=200)] = "",
                min_score: Annotated[str, Query(pattern=SCORE_RE)] = "",
                origin: Annotated[str, Query(max_length=40)] = "",
                page: Annotated[int, Query(ge=1, le=100000)] = 1) -> Response:
    flt = SiteFilter(label=label, status=status or None, q=clean(q).strip() or None,
                     min_score=float(min_score) if min_score else None,
                     origin=clean(origin, 40) or None, date_from=days.start,
                     date_to=days.end, page=page)
    params = {k: v for k, v in {"label": label, "status": status, "q": flt.q or "",
                                "min_score": min_score, "origin": flt.origin or "",
                                "date_from": str(days.start or ""),
                                "date_to": str(days.end or "")}.items() if v}

    def qs(**override: object) -> str:
        merged = {**params, **override}
        return urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    return render(request, "sites.html",
                  {"result": load_sites(db, flt), "flt": flt, "qs": qs,
                   "origins": site_origins(db), "origin_names": ORIGINS_ZH,
                   "here": str(request.url.path) + (f"?{request.url.query}"
                                                    if request.url.query else "")}, user=user)


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(request: Request, db: Db, user: User, site_id: SiteId) -> Response:
    detail = found(site_detail(db, site_id), "没有这个网站。")
    official = official_screenshot(request.app.state.home, detail["imitates"])
    return render(request, "site.html",
                  {**detail, "official": official, "here": f"/sites/{site_id}",
                   "packets": packets_of(db, "site", site_id), "kind": "site",
                   "origin_names": ORIGINS_ZH,
                   "item_id": site_id, "exportable": exportable(detail["case"])}, user=user)


def _png(path: FsPath | None, expected_sha256: str | None) -> Response:
    """Only a screenshot whose bytes match the hash recorded at capture time."""
    if path is None or not path.is_file():
        return Response("没有截图。", status_code=404, media_type="text/plain; charset=utf-8")
    if not expected_sha256:
        return Response("截图没有抓取时的哈希记录，无法校验。", status_code=409,
                        media_type="text/plain; charset=utf-8")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != expected_sha256:
        return Response("截图文件与抓取时的哈希不符。", status_code=409,
                        media_type="text/plain; charset=utf-8")
    return Response(data, media_type="image/png")


@router.get("/sites/{site_id}/screenshot")
def site_screenshot(request: Request, db: Db, user: User, site_id: SiteId) -> Response:
    detail = site_detail(db, site_id)
    capture = detail["capture"] if detail else None
    if capture is None or not capture.screenshot_path:
        return _png(None, None)
    return _png(FsPath(capture.screenshot_path), capture.screenshot_sha256)


@router.get("/sites/{site_id}/official")
def official_site_screenshot(request: Request, db: Db, user: User,
                             site_id: SiteId) -> Response:
    detail = site_detail(db, site_id)
    shot = official_screenshot(request.app.state.home, detail["imitates"]) if detail else None
    return _png(shot.path if shot else None, shot.sha256 if shot else None)
