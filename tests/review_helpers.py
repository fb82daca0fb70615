"""Shared pieces for the review UI tests: a small scored store, users, a logged-in client."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from classifiers.listing_scorer import default_scorer
from store.bodies import BodyStore
from store.recorder import ListingData, PageData, RunRecorder

SECRET = "review-tests-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORDS = {"alice": "alice-password-1", "sam": "sam-password-12", "root": "root-password-123"}
ROLES = {"alice": "analyst", "sam": "supervisor", "root": "admin"}
NIGHT1 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
NIGHT2 = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)

ADS = {
    "jobs": [
        ("g1", "北京二建市政挂证，年薪3万",
         "二建市政证书挂靠，不用到岗，社保不限，一年3万。联系V信 gz_8821"),
        ("g2", "一建建筑初始注册求挂靠",
         "安徽合肥，一级建造师建筑专业，人证分离，不用出场，年薪5万。电话 13800138000"),
        ("f1", "电工证焊工证直接拿证",
         "特种作业操作证，不用考试直接拿证，全国联网可查，官网可查。微信 zs_5566"),
        ("e1", "安全员C证包过班",
         "安全员C证考试包过，免考速成，不过退费，内部渠道保证拿证。QQ 12345678"),
        ("b1", "招聘施工员 需要到岗",
         "北京朝阳项目招聘施工员，需常驻工地，公司缴纳社保，月薪8000。"),
        ("x1", "电工证直接拿证 <script>alert('xss-in-title')</script>",
         "特种作业电工证不用考试，直接拿证，全国联网可查。"
         "<img src=x onerror=alert(1)> 微信 zs_5566"),
    ],
    "forum": [
        ("t1", "二建挂靠找我，價格好談",
         "河北石家庄，二建机电挂证，社保不限，不用到岗，年薪2.5萬。V信 gz_8821 或电话 13800138000"),
        ("t2", "考证交流：今年二建难吗", "大家今年二建复习得怎么样？我觉得实务题比去年难。"),
    ],
}
# Night 2 edits one ad (price) and adds another.
NIGHT2_ADS = {
    "jobs": [("g1", "北京二建市政挂证，年薪3万",
              "二建市政证书挂靠，不用到岗，社保不限，一年3.5万。联系V信 gz_8821"),
             ("g3", "急收二建挂证 市政 公路",
              "江苏南京，二建市政公路均可，社保不限，不用到岗，年薪4万。V信 gz_8821")],
    "forum": [],
}


def seed(engine: Engine, bodies_dir: Path) -> None:
    """Two nights of two sources, scored by the installed classifier."""
    scorer = default_scorer()
    assert scorer is not None, "no trained model: run `make install`"
    bodies = BodyStore(bodies_dir)
    for night, when, ads in ((1, NIGHT1, ADS), (2, NIGHT2, NIGHT2_ADS)):
        for source, items in ads.items():
            rec = RunRecorder(engine, bodies, source, batch=f"night{night}", night=night,
                              scorer=scorer)
            rec.start()
            for key, title, text in items:
                body = f"<html><body><h1>{title}</h1><div>{text}</div></body></html>".encode()
                digest = rec.add_page(PageData(url=f"http://{source}.example.cn/{key}",
                                               fetched_at=when, status=200, body=body,
                                               kind="detail", encoding="utf-8"))
                rec.add_listing(ListingData(key=key, url=f"http://{source}.example.cn/{key}",
                                            title=title, text=text, seen_at=when,
                                            page_hash=digest))
            if night == 2:  # keep the night-1 ads of this source alive
                rec.mark_seen([k for k, _, _ in ADS[source]])
            rec.finish(status="finished", close_reason="finished", complete=night == 1,
                       stats={})


def fresh_pg(admin_url: str) -> str:
    """A database of its own on the test server: the audit log's triggers forbid cleaning
    one up row by row, so each module gets a new one (drop it with `drop_pg`)."""
    import uuid

    from sqlalchemy import create_engine, text

    base = admin_url.rsplit("/", 1)[0]
    name = f"certwatch_review_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}"


def drop_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    base, name = url.rsplit("/", 1)
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def add_users(engine: Engine) -> None:
    from review.users import add_user

    for name, role in ROLES.items():
        add_user(engine, name, role, PASSWORDS[name], actor="test")


def csrf_in(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def login(client, name: str, password: str | None = None):  # noqa: ANN001, ANN201
    """Log a TestClient in; returns the session's CSRF token."""
    token = csrf_in(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password or
                                           PASSWORDS[name], "csrf_token": token,
                                           "next": "/queue"}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return csrf_in(client.get("/queue").text)
