"""Dashboard: counts by status and label, new hits per night."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from review.dashboard import bars, counts, new_hits_per_night
from review.deps import Db, User, render

router = APIRouter(tags=["dashboard"])


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, db: Db, user: User) -> Response:
    series = new_hits_per_night(db)
    return render(request, "dashboard.html",
                  {"counts": counts(db), "series": series, "bars": bars(series)}, user=user)
