"""The queue page: flagged items by risk, filters, search, counts per status, pages."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from review.deps import Days, Db, User, clean, render
from review.queue import QueueFilter, load_queue
from store.models import Source

router = APIRouter(tags=["queue"])

Status = Literal["", "pending", "confirmed", "dismissed", "needs_info", "escalated", "closed"]
SCORE_RE = r"^((0(\.\d{1,4})?)|(1(\.0{1,4})?))?$"
Label = Literal["flagged", "guazheng", "fake_cert", "exam_fraud", "benign", "all"]


@router.get("/")
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response(status_code=204)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, db: Db, user: User, days: Days,
               label: Label = "flagged", status: Status = "",
               source: Annotated[str, Query(max_length=100)] = "",
               region: Annotated[str, Query(max_length=120)] = "",
               city: Annotated[str, Query(max_length=120)] = "",
               cert: Annotated[str, Query(max_length=120)] = "",
               min_score: Annotated[str, Query(pattern=SCORE_RE)] = "",
               q: Annotated[str, Query(max_length=200)] = "",
               page: Annotated[int, Query(ge=1, le=100000)] = 1) -> Response:
    score = float(min_score) if min_score else None
    flt = QueueFilter(label=label, status=status or None, source=clean(source) or None,
                      region=clean(region) or None, city=clean(city) or None,
                      cert=clean(cert) or None,
                      date_from=days.start, date_to=days.end, min_score=score,
                      q=clean(q).strip() or None, page=page)
    result = load_queue(db, flt)
    sources = db.scalars(select(Source.name).order_by(Source.name)).all()
    params = {k: v for k, v in {
        "label": label, "status": status, "source": flt.source or "",
        "region": flt.region or "", "city": flt.city or "", "cert": flt.cert or "",
        "date_from": str(days.start or ""), "date_to": str(days.end or ""), "min_score": min_score,
        "q": flt.q or ""}.items() if v}

    def qs(**override: object) -> str:
        merged = {**params, **override}
        return urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    return render(request, "queue.html",
                  {"result": result, "flt": flt, "qs": qs, "sources": sources,
                   "options": request.app.state.facet_options,
                   "here": str(request.url.path) + (f"?{request.url.query}"
                                                    if request.url.query else "")},
                  user=user)
