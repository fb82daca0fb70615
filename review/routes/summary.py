"""汇总表: the page with the date range, and the xlsx / csv download."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from review import audit
from review.app_time import BEIJING
from review.deps import DayRange, Days, Db, User, client_of, render
from review.summary import LEVEL_NAMES, build_summary, to_csv, to_xlsx

router = APIRouter(tags=["summary"])
Level = Literal["province", "city"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _range(days: DayRange) -> tuple[date, date]:
    """Default: the 30 days up to today (Beijing time)."""
    date_to = days.end or datetime.now(BEIJING).date()
    date_from = days.start or (date_to - timedelta(days=30))
    return (date_from, date_to) if date_from <= date_to else (date_to, date_from)


@router.get("/summary", response_class=HTMLResponse)
def summary_page(request: Request, db: Db, user: User,
                 days: Days, level: Level = "province") -> Response:
    start, end = _range(days)
    table = build_summary(db, start, end, level)
    return render(request, "summary.html", {"table": table, "levels": LEVEL_NAMES},
                  user=user)


@router.get("/summary/export")
def summary_export(request: Request, db: Db, user: User,
                   days: Days, format: Literal["xlsx", "csv"] = "xlsx",
                   level: Level = "province") -> Response:
    start, end = _range(days)
    table = build_summary(db, start, end, level)
    data = to_xlsx(table, user.name) if format == "xlsx" else to_csv(table, user.name)
    audit.append(db, actor=user.name, action="export.summary", object_kind="summary",
                 object_id=f"{start}..{end}",
                 after={"format": format, "level": level, "rows": len(table.rows)},
                 client=client_of(request))
    db.commit()
    name = f"certwatch-summary-{level}-{start:%Y%m%d}-{end:%Y%m%d}.{format}"
    return Response(data, media_type=XLSX if format == "xlsx" else "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
