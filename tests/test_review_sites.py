"""Lookalike sites in the review UI: their queue, the side-by-side with the official site,
hash-checked screenshots, decisions and the evidence button once confirmed."""

from __future__ import annotations

import hashlib
import io
import json
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


def _official_capture(home: Path, name: str, colour: str, fingerprinted: bool) -> None:
    """An official-site capture with its manifest; the fingerprint names the older one."""
    from classifiers.lookalike import fingerprint

    root = home / "lookalike" / "captures" / "zlaq.mohurd.gov.cn" / name
    digest = _png(root / "landing-screenshot.png", colour)
    (root / "manifest.json").write_text(json.dumps(
        {"files": {"landing-screenshot.png": {"sha256": digest, "size": 1}}}), "utf-8")
    if fingerprinted:
        fingerprint.save(home, fingerprint.from_captures(
            "zlaq.mohurd.gov.cn", [], "2026-11-30T00:00:00Z", capture_dir=str(root)))


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
    _official_capture(home, "20261130T000000Z-bb", "blue", fingerprinted=True)
    _official_capture(home, "20261202T000000Z-cc", "green", fingerprinted=False)
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
        official = client.get(f"/sites/{site}/official")  # the fingerprint's capture
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


def test_official_screenshot_is_hash_checked(site_app) -> None:  # noqa: ANN001
    app, _engine, ids, shot = site_app
    site = ids["zlaq-mohurd.cn"]
    official = next((shot.parents[2] / "zlaq.mohurd.gov.cn").glob("*-bb")) \
        / "landing-screenshot.png"
    original = official.read_bytes()
    with TestClient(app) as client:
        login(client, "alice")
        try:
            official.write_bytes(original + b"x")  # altered after capture
            tampered = client.get(f"/sites/{site}/official")
            assert tampered.status_code == 409 and "哈希" in tampered.text
            (official.parent / "manifest.json").rename(official.parent / "manifest.old")
            official.write_bytes(original)
            assert client.get(f"/sites/{site}/official").status_code == 409  # no record
        finally:
            official.write_bytes(original)
            if (official.parent / "manifest.old").exists():
                (official.parent / "manifest.old").rename(official.parent / "manifest.json")
        assert client.get(f"/sites/{site}/official").status_code == 200


def test_site_closed_as_false_positive_counts_as_benign(site_app) -> None:  # noqa: ANN001
    app, _engine, ids, _shot = site_app
    site = ids["zlaq-mohurd.cn"]
    with TestClient(app) as client:
        csrf = login(client, "sam")
        closed = client.post("/decisions", data={"kind": "site", "ids": site, "action": "close",
                                                 "category": "benign", "csrf_token": csrf,
                                                 "next": f"/sites/{site}"},
                             follow_redirects=False)
        assert closed.status_code == 303
        summary = client.get("/summary/export?format=csv&date_from=2026-11-01"
                             "&date_to=2026-12-31").content.decode("utf-8-sig")
    # 地区, 类别, then 待审核 已确认 已排除 待补充 已上报 已结案, 合计
    assert "（网站，不分地区）,正常,0,0,0,0,0,1,1" in summary
    assert "假冒政府网站" not in summary
