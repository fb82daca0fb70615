"""Export an evidence packet for a confirmed case, and download it."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select

from review import audit
from review.deps import Db, User, client_of, render, require_csrf
from review.evidence import (
    PACKET_NAME,
    export_case,
    exportable,
    file_sha256,
    packets_dir,
    recorded_sha256,
)
from store.review_models import ReviewCase

router = APIRouter(tags=["evidence"])
DETAIL = {"listing": "/listings/{}", "site": "/sites/{}"}


@router.post("/evidence")
def export_evidence(request: Request, db: Db, user: User,
                    kind: Annotated[Literal["listing", "site"], Form()],
                    item_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
                    csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    from reports.evidence.errors import EvidenceError

    require_csrf(request, user, csrf_token)
    home = request.app.state.home
    case = db.scalar(select(ReviewCase).where(ReviewCase.kind == kind,
                                              ReviewCase.item_id == item_id))
    if not exportable(case) or home is None:
        return render(request, "error.html",
                      {"status": 409, "message": "只有已确认的案件可以导出证据包。"},
                      status=409, user=user)
    try:
        result = export_case(db, home, kind, item_id, user.name)
    except EvidenceError as exc:
        return render(request, "error.html", {"status": 409, "message": f"证据包导出失败：{exc}"},
                      status=409, user=user)
    # The file the exporter actually wrote, under its own name and hash: a later export
    # must not make this entry point at other bytes.
    audit.append(db, actor=user.name, action="evidence.export", object_kind=kind,
                 object_id=item_id, after={"packet": result.path.name,
                                           "file_sha256": file_sha256(result.path),
                                           "manifest_sha256": result.manifest_sha256,
                                           "timestamped": result.timestamped},
                 client=client_of(request))
    db.commit()
    return RedirectResponse(DETAIL[kind].format(item_id) + "?packet="
                            + quote(result.path.name, safe=""), status_code=303)


@router.get("/evidence/{name}")
def download_packet(request: Request, db: Db, user: User,
                    name: Annotated[str, Path(max_length=200)]) -> Response:
    home = request.app.state.home
    path = packets_dir(home) / name if home and PACKET_NAME.match(name) else None
    if path is None or not path.is_file():
        return render(request, "error.html", {"status": 404, "message": "没有这个证据包。"},
                      status=404, user=user)
    expected = recorded_sha256(db, name)
    if expected is None or (expected and file_sha256(path) != expected):
        return render(request, "error.html",
                      {"status": 409, "message": "证据包文件与导出时记录的哈希不符"
                                                 "（可能已被覆盖或改动），请重新导出。"},
                      status=409, user=user)
    audit.append(db, actor=user.name, action="evidence.download", object_kind="packet",
                 object_id=name[:64], client=client_of(request))
    db.commit()
    return FileResponse(path, media_type="application/wacz+zip", filename=name)
