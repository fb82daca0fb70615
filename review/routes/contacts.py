"""The intermediary page: one contact's ads across sources and nights, and its network."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from review.deps import Db, User, render
from review.network import contact_network

router = APIRouter(tags=["contacts"])


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(request: Request, db: Db, user: User,
                 contact_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    network = contact_network(db, contact_id)
    if network is None:
        return render(request, "error.html", {"status": 404, "message": "没有这个联系方式。"},
                      status=404, user=user)
    return render(request, "contact.html", network, user=user)
