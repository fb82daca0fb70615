"""汇总表: the page with the date range, and the xlsx / csv download."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from review import audit
from review.deps import Db, User, client_of, render
from review.summary import build_summary, to_csv, to_xlsx

router = APIRouter(tags=["summary"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    today = date.today()
    date_to = date_to or today
    date_from = date_from or (date_to - timedelta(days=30))
    return (date_from, date_to) if date_from <= date_to else (date_to, date_from)


@router.get("/summary", response_class=HTMLResponse)
def summary_page(request: Request, db: Db, user: User, date_from: date | None = None,
                 date_to: date | None = None) -> Response:
    start, end = _range(date_from, date_to)
    table = build_summary(db, start, end)
    return render(request, "summary.html", {"table": table}, user=user)


@router.get("/summary/export")
def summary_export(request: Request, db: Db, user: User, format: Literal["xlsx", "csv"] = "xlsx",
                   date_from: date | None = None, date_to: date | None = None) -> Response:
    start, end = _range(date_from, date_to)
    table = build_summary(db, start, end)
    data = to_xlsx(table, user.name) if format == "xlsx" else to_csv(table, user.name)
    audit.append(db, actor=user.name, action="export.summary", object_kind="summary",
                 object_id=f"{start}..{end}",
                 after={"format": format, "rows": len(table.rows)}, client=client_of(request))
    db.commit()
    name = f"certwatch-summary-{start:%Y%m%d}-{end:%Y%m%d}.{format}"
    return Response(data, media_type=XLSX if format == "xlsx" else "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
