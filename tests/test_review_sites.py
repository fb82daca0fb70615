"""Lookalike sites in the review UI: their queue, the side-by-side with the official site,
hash-checked screenshots, decisions and the evidence button once confirmed."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from review.app import create_app
from review.settings import ReviewSettings
from store.db import open_store
from store.lookalike_records import CandidateSeen, add_capture, add_verdict, upsert_candidates
from tests.review_helpers import SECRET, add_users, login

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _png(path: Path, colour: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


@pytest.fixture(scope="module")
def site_app(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    home = tmp_path_factory.mktemp("review-sites")
    engine = open_store(f"sqlite:///{home / 'c.db'}")
    add_users(engine)
    ids = upsert_candidates(engine, [
        CandidateSeen("zlaq-mohurd.cn", "permutation", "hyphenation", "lookalike", 0.93,
                      "zlaq.mohurd.gov.cn", ["冒用 mohurd 品牌"], True, ["127.0.0.1"]),
        CandidateSeen("mohurd-news.com", "feed", "nrd", "benign", 0.2, None, [], False, []),
    ], AT)
    shot = home / "lookalike" / "captures" / "zlaq-mohurd.cn" / "20261201T020000Z-aa"
    digest = _png(shot / "landing-screenshot.png", "red")
    capture = add_capture(engine, ids["zlaq-mohurd.cn"], {
        "captured_at": AT, "url": "http://zlaq-mohurd.cn/", "final_url": None, "status": 200,
        "title": "全国工程质量安全监管信息平台", "directory": str(shot),
        "screenshot_path": str(shot / "landing-screenshot.png"), "screenshot_sha256": digest,
        "canary_result": "valid", "canary_number": "建安C(2026)0000001"})
    add_verdict(engine, ids["zlaq-mohurd.cn"], capture, AT,
                {"label": "lookalike", "score": 0.97, "imitates": "zlaq.mohurd.gov.cn",
                 "reasons": ["随意编号也显示“证书有效”"]})
    add_verdict(engine, ids["mohurd-news.com"], None, AT,
                {"label": "benign", "score": 0.1, "reasons": []})
    _png(home / "lookalike" / "captures" / "zlaq.mohurd.gov.cn" / "20261130T000000Z-bb"
         / "landing-screenshot.png", "blue")
    app = create_app(engine, ReviewSettings(secret=SECRET), home=home, background=False)
    return app, engine, ids, shot / "landing-screenshot.png"


def test_site_queue_detail_side_by_side_and_decision(site_app) -> None:  # noqa: ANN001
    app, engine, ids, shot = site_app
    site = ids["zlaq-mohurd.cn"]
    with TestClient(app) as client:
        csrf = login(client, "alice")
        queue = client.get("/sites").text
        assert "zlaq-mohurd.cn" in queue and "mohurd-news.com" not in queue
        assert "mohurd-news.com" in client.get("/sites?label=all").text
        assert "zlaq-mohurd.cn" in client.get("/sites?q=zlaq").text
        assert "zlaq-mohurd.cn" not in client.get("/sites?status=confirmed").text
        detail = client.get(f"/sites/{site}").text
        assert f'src="/sites/{site}/screenshot"' in detail
        assert f'src="/sites/{site}/official"' in detail and "zlaq.mohurd.gov.cn" in detail
        assert 'id="export-evidence"' not in detail  # not confirmed yet
        png = client.get(f"/sites/{site}/screenshot")
        assert png.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(png.content)).getpixel((1, 1)) == (255, 0, 0)
        official = client.get(f"/sites/{site}/official")
        assert Image.open(io.BytesIO(official.content)).getpixel((1, 1)) == (0, 0, 255)
        done = client.post("/decisions", data={"kind": "site", "ids": site, "action": "confirm",
                                               "category": "fake_cert", "csrf_token": csrf,
                                               "next": f"/sites/{site}"},
                           follow_redirects=False)
        assert done.status_code == 303
        detail = client.get(f"/sites/{site}").text
        assert 'id="export-evidence"' in detail and "已确认" in detail
        assert "zlaq-mohurd.cn" in client.get("/sites?status=confirmed").text
        missing = client.post("/decisions", data={"kind": "site", "ids": 999999,
                                                  "action": "dismiss", "csrf_token": csrf})
        assert missing.status_code == 400
        summary = client.get("/summary/export?format=csv&date_from=2026-11-01"
                             "&date_to=2026-12-31").content.decode("utf-8-sig")
        assert "（网站，不分地区）,假冒政府网站,0,1," in summary
        shot.write_bytes(shot.read_bytes() + b"x")  # altered after capture
        assert client.get(f"/sites/{site}/screenshot").status_code == 409
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM reviews")) == 0  # sites do not train
        assert conn.scalar(text("SELECT action FROM audit_log WHERE object_kind = 'site'")) \
            == "decision.confirm"
