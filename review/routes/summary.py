"""汇总表: the page with the date range, and the xlsx / csv download."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from review import audit
from review.app_time import BEIJING
from review.deps import Db, User, client_of, render
from review.routes.queue import DATE_RE, parse_day
from review.summary import build_summary, to_csv, to_xlsx

router = APIRouter(tags=["summary"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    today = datetime.now(BEIJING).date()
    date_to = date_to or today
    date_from = date_from or (date_to - timedelta(days=30))
    return (date_from, date_to) if date_from <= date_to else (date_to, date_from)


@router.get("/summary", response_class=HTMLResponse)
def summary_page(request: Request, db: Db, user: User,
                 date_from: Annotated[str, Query(pattern=DATE_RE)] = "",
                 date_to: Annotated[str, Query(pattern=DATE_RE)] = "") -> Response:
    try:
        start, end = _range(parse_day(date_from), parse_day(date_to))
    except ValueError:
        return render(request, "error.html", {"status": 400, "message": "日期无效。"},
                      status=400, user=user)
    table = build_summary(db, start, end)
    return render(request, "summary.html", {"table": table}, user=user)


@router.get("/summary/export")
def summary_export(request: Request, db: Db, user: User,
                   format: Literal["xlsx", "csv"] = "xlsx",
                   date_from: Annotated[str, Query(pattern=DATE_RE)] = "",
                   date_to: Annotated[str, Query(pattern=DATE_RE)] = "") -> Response:
    try:
        start, end = _range(parse_day(date_from), parse_day(date_to))
    except ValueError:
        return render(request, "error.html", {"status": 400, "message": "日期无效。"},
                      status=400, user=user)
    table = build_summary(db, start, end)
    data = to_xlsx(table, user.name) if format == "xlsx" else to_csv(table, user.name)
    audit.append(db, actor=user.name, action="export.summary", object_kind="summary",
                 object_id=f"{start}..{end}",
                 after={"format": format, "rows": len(table.rows)}, client=client_of(request))
    db.commit()
    name = f"certwatch-summary-{start:%Y%m%d}-{end:%Y%m%d}.{format}"
    return Response(data, media_type=XLSX if format == "xlsx" else "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
