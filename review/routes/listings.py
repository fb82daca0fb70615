"""A listing's detail page, and its captured HTML shown only inside a script-less sandbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from review import audit
from review.captures import latest_screenshot, record_block
from review.deps import Db, User, client_of, found, render
from review.detail import listing_detail
from review.evidence import exportable, packets_of

router = APIRouter(tags=["listings"])
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]

# The captured page may carry any script: the sandbox CSP forbids running it, loading
# anything, or navigating, and the iframe's own `sandbox` attribute says the same.
RAW_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@router.get("/listings/{listing_id}", response_class=HTMLResponse)
def listing_page(request: Request, db: Db, user: User, listing_id: ItemId) -> Response:
    detail = found(listing_detail(db, listing_id), "没有这条广告。")
    shot = latest_screenshot(request.app.state.engine, listing_id, request.app.state.home)
    packets = packets_of(db, "listing", listing_id)
    return render(request, "listing.html", {**detail, "here": f"/listings/{listing_id}",
                                            "screenshot": shot, "packets": packets,
                                            "exportable": exportable(detail["case"])},
                  user=user)


@router.get("/listings/{listing_id}/screenshot")
def listing_screenshot(request: Request, user: User, listing_id: ItemId) -> Response:
    """The crawl-time screenshot: an image, served as one (never as a document)."""
    from store.warc_index import WarcRecordError, read_record

    shot = latest_screenshot(request.app.state.engine, listing_id, request.app.state.home)
    if shot is None:
        return Response("没有截图。", status_code=404, media_type="text/plain; charset=utf-8")
    try:
        data = record_block(read_record(shot))
    except WarcRecordError as exc:
        return Response(f"截图文件校验失败：{exc}", status_code=409,
                        media_type="text/plain; charset=utf-8")
    kind = shot.content_type if (shot.content_type or "").startswith("image/") else "image/png"
    return Response(data, media_type=kind)


@router.get("/listings/{listing_id}/raw")
def listing_raw(request: Request, db: Db, user: User, listing_id: ItemId) -> Response:
    detail = listing_detail(db, listing_id)
    page, bodies = (detail or {}).get("page"), request.app.state.bodies_dir
    path = bodies / page.content_hash[:2] / page.content_hash[2:4] / page.content_hash \
        if page is not None and page.content_hash and bodies else None
    if path is None or not path.is_file():
        return Response("原始网页未保存。", status_code=404,
                        media_type="text/plain; charset=utf-8")
    audit.append(db, actor=user.name, action="view.raw", object_kind="listing",
                 object_id=listing_id, after={"sha256": page.content_hash},
                 client=client_of(request))
    db.commit()
    charset = page.encoding if page.encoding and page.encoding.replace("-", "").replace(
        "_", "").isalnum() else "utf-8"
    return Response(path.read_bytes(), media_type=f"text/html; charset={charset}",
                    headers={"Content-Security-Policy": RAW_CSP,
                             "X-Frame-Options": "SAMEORIGIN"})
