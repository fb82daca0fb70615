"""Queue, sites, 汇总表, dashboard and audit filters on a hand-built store (real SQLite and
PostgreSQL) whose times sit on the Beijing day boundary: 15:59:59 UTC is 23:59:59 in
Beijing, 16:00:00 UTC already the next day there."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from review.app import create_app
from review.facets import sync_listing_facets
from review.settings import ReviewSettings
from store.db import open_store
from store.lookalike_records import CandidateSeen, add_verdict, upsert_candidates
from store.models import CrawlRun, Listing, ListingEvent, Source
from tests.review_helpers import SECRET, add_users, drop_pg, fresh_pg, login


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


NIGHT1, NIGHT2 = at(20, 17), at(21, 15)  # crawl batch starts (UTC)
# key: title, label, score, region, first seen (UTC)
ADS = {
    "hohhot": ("呼和浩特二建挂证", "guazheng", 0.85, "内蒙古·呼和浩特", at(20, 18)),
    "nowhere": ("二建挂证 社保不限", "guazheng", 0.75, None, at(20, 19)),
    "benign": ("招聘施工员 需要到岗", "benign", 0.10, "北京", at(20, 20)),
    "late": ("北京二建挂证 年薪3万", "guazheng", 0.95, "北京", at(21, 15, 59, 59)),
    "midnight": ("合肥一建初始注册求挂靠", "guazheng", 0.90, "安徽·合肥", at(21, 16)),
    "wuhu": ("芜湖安全员C证包过", "exam_fraud", 0.80, "安徽·芜湖", at(22, 2)),
    "anhui": ("安徽电工证直接拿证", "fake_cert", 0.70, "安徽", at(22, 3)),
}
# domain: origin, verdict label, first seen (UTC)
SITES = {
    "zlaq-fake.cn": ("permutation", "lookalike", at(21, 15, 59, 59)),
    "mohurd-fake.com": ("feed", "lookalike", at(21, 16)),
    "benign-site.com": ("feed", "benign", at(21, 17)),
    "old-fake.cn": ("permutation", "lookalike", at(19, 1)),  # before any crawl
}


def _build(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        source = conn.execute(insert(Source).returning(Source.id),
                              {"name": "jobs", "title": "招聘", "platform": "x",
                               "config_hash": ""}).scalar_one()
        runs = [conn.execute(insert(CrawlRun).returning(CrawlRun.id),
                             {"batch": f"n{night}", "source_id": source, "night": night,
                              "started_at": start, "status": "finished", "complete": True,
                              "stats": {}}).scalar_one()
                for night, start in ((1, NIGHT1), (2, NIGHT2))]
        ids = {}
        for key, (title, label, score, region, seen) in ADS.items():
            run = runs[0] if seen < NIGHT2 else runs[1]
            ids[key] = conn.execute(insert(Listing).returning(Listing.id), {
                "source_id": source, "key": key, "url": f"http://jobs.example.cn/{key}",
                "title": title, "text": f"{title}，联系微信。", "fields": {},
                "content_hash": key.ljust(64, "0"), "first_seen": seen, "last_seen": seen,
                "first_run_id": run, "last_run_id": run, "removed": False, "label": label,
                "score": score, "scores": {label: score}, "reasons": [],
                "model_version": "test",
                "attributes": {"region": region, "certificates": [], "contacts": []},
            }).scalar_one()
            conn.execute(insert(ListingEvent), {"run_id": run, "listing_id": ids[key],
                                                "kind": "new", "at": seen})
    for domain, (origin, label, seen) in SITES.items():
        site = upsert_candidates(engine, [CandidateSeen(domain, origin, "", label, 0.9, None,
                                                        [], None, [])], seen)[domain]
        add_verdict(engine, site, None, seen, {"label": label, "score": 0.9, "reasons": []})
        ids[domain] = site
    return ids


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def built(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, int]]]:
    home = tmp_path_factory.mktemp(f"queries-{request.param}")
    url = (f"sqlite:///{home / 'c.db'}" if request.param == "sqlite"
           else fresh_pg(request.getfixturevalue("postgres_url")))
    engine = open_store(url)
    ids = _build(engine)
    add_users(engine)
    sync_listing_facets(engine)  # what the server does at start-up
    yield engine, ids
    engine.dispose()
    if request.param == "postgres":
        drop_pg(url)


@pytest.fixture(scope="module")
def client(built) -> Iterator[TestClient]:  # noqa: ANN001
    engine, _ids = built
    app = create_app(engine, ReviewSettings(secret=SECRET), background=False)
    with TestClient(app) as client:
        client.csrf = login(client, "sam")  # supervisor: may take every decision
        yield client


def _titles(client: TestClient, query: str) -> set[str]:
    return set(re.findall(r'class="title">([^<]*)<', client.get(f"/queue?{query}").text))


def _domains(client: TestClient, query: str) -> set[str]:
    return set(re.findall(r'class="title"><code>([^<]*)</code>',
                          client.get(f"/sites?{query}").text))


def test_queue_days_are_beijing_days(client: TestClient) -> None:
    day21 = {ADS[k][0] for k in ("hohhot", "nowhere", "late")}
    day22 = {ADS[k][0] for k in ("midnight", "wuhu", "anhui")}
    assert _titles(client, "date_from=2026-11-21&date_to=2026-11-21") == day21
    assert _titles(client, "date_from=2026-11-22&date_to=2026-11-22") == day22
    assert _titles(client, "date_from=2026-11-22") == day22
    assert _titles(client, "date_to=2026-11-21") == day21
    assert _titles(client, "date_to=2026-11-20") == set()


def test_queue_city_filter(client: TestClient) -> None:
    assert _titles(client, "region=安徽") == {ADS[k][0] for k in ("midnight", "wuhu", "anhui")}
    assert _titles(client, "city=安徽·合肥") == {ADS["midnight"][0]}
    assert _titles(client, "city=北京") == {ADS["late"][0]}  # a municipality is its own city
    page = client.get("/queue").text
    assert '<option value="安徽·芜湖"' in page and '<option value="安徽"' in page


def test_sites_filter_by_first_seen_day_and_origin(client: TestClient) -> None:
    assert _domains(client, "") == {"zlaq-fake.cn", "mohurd-fake.com", "old-fake.cn"}
    assert _domains(client, "date_from=2026-11-21&date_to=2026-11-21") == {"zlaq-fake.cn"}
    assert _domains(client, "date_from=2026-11-22&date_to=2026-11-22") == {"mohurd-fake.com"}
    assert _domains(client, "date_from=2026-11-22&label=all") == {"mohurd-fake.com",
                                                                  "benign-site.com"}
    assert _domains(client, "date_to=2026-11-21") == {"zlaq-fake.cn", "old-fake.cn"}
    assert _domains(client, "origin=feed") == {"mohurd-fake.com"}
    counts = dict(re.findall(r'data-status="(\w+)">[^<]*<b class="count">(\d+)',
                             client.get("/sites?date_from=2026-11-22").text))
    assert counts["pending"] == "1"
    assert client.get("/sites?date_from=2026-02-30").status_code == 400


def test_summary_days_are_beijing_days(built) -> None:  # noqa: ANN001
    from review.summary import build_summary

    engine, _ids = built
    with Session(engine) as session:
        table = build_summary(session, date(2026, 11, 22), date(2026, 11, 22))
    rows = {(place, cat): sum(c.values()) for place, cat, c in table.rows}
    assert rows == {(("安徽",), "guazheng"): 1, (("安徽",), "exam_fraud"): 1,
                    (("安徽",), "fake_cert"): 1,
                    (("（网站，不分地区）",), "lookalike_site"): 1}


def _sheet(client: TestClient, query: str) -> list[list]:
    from openpyxl import load_workbook

    response = client.get(f"/summary/export?format=xlsx&{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_summary_by_city_in_page_xlsx_and_csv(client: TestClient) -> None:
    from review.summary import csv_rows

    days = "date_from=2026-11-21&date_to=2026-11-22"
    rows = _sheet(client, f"level=city&{days}")
    start = next(i for i, r in enumerate(rows) if r[0] == "地区")
    assert rows[start][:4] == ["地区", "市（州、盟）", "类别", "待审核"]
    assert "市（州、盟）" in rows[1][0]  # the preamble names the level
    body = {(r[0], r[1] or "", r[2]): r[-1] for r in rows[start + 1:-1]}
    assert body == {("内蒙古", "呼和浩特", "挂证"): 1, ("北京", "北京", "挂证"): 1,
                    ("安徽", "合肥", "挂证"): 1, ("安徽", "芜湖", "考试作弊/包过"): 1,
                    ("安徽", "（未识别到市）", "假证"): 1, ("未识别地区", "", "挂证"): 1,
                    ("（网站，不分地区）", "", "假冒政府网站"): 2}
    assert rows[-1][0] == "合计" and rows[-1][-1] == 8
    # Rows stay grouped by province, cities named within it, the unknown city last.
    order = [(r[0], r[1]) for r in rows[start + 1:-1]]
    assert order.index(("安徽", "合肥")) < order.index(("安徽", "（未识别到市）"))
    by_province = _sheet(client, days)
    start = next(i for i, r in enumerate(by_province) if r[0] == "地区")
    assert by_province[start][:3] == ["地区", "类别", "待审核"]
    assert {(r[0], r[1]): r[-1] for r in by_province[start + 1:-1]}[("安徽", "挂证")] == 1
    csv = csv_rows(client.get(f"/summary/export?format=csv&level=city&{days}").content)
    assert ["安徽", "芜湖", "考试作弊/包过", "1", "0", "0", "0", "0", "0", "1"] in csv
    page = client.get(f"/summary?level=city&{days}").text
    assert "<td>芜湖</td>" in page and 'href="/summary/export?format=xlsx&amp;level=city' in page
    assert client.get(f"/summary?level=county&{days}").status_code == 422


def test_dashboard_counts_and_bars_per_night(client: TestClient) -> None:
    page = client.get("/dashboard").text

    def cell(attr: str, value: str) -> int:
        found = re.search(rf'data-{attr}="{value}">(?:<a [^>]*>)?(\d+)<', page)
        assert found, (attr, value)
        return int(found.group(1))

    assert cell("status", "pending") == 6 and cell("status", "confirmed") == 0
    assert cell("site-status", "pending") == 3
    assert cell("label", "guazheng") == 4 and cell("label", "benign") == 1
    assert cell("label", "exam_fraud") == 1 and cell("label", "fake_cert") == 1
    assert cell("label", "lookalike_site") == 3
    bars = re.findall(r'<g class="bar" data-night="([^"]+)" data-listings="(\d+)" '
                      r'data-sites="(\d+)">', page)
    # Night 2's crawl started 11-21 15:00 UTC (23:00 Beijing); both lookalikes seen after.
    assert bars == [("第1夜 11-21 01:00", "2", "0"), ("第2夜 11-21 23:00", "4", "2")]
    heights = [float(h) for h in re.findall(r'<rect class="listings"[^>]* height="([\d.]+)"',
                                            page)]
    assert heights[1] > heights[0] > 0


def test_audit_filter_tells_listing_and_site_apart_and_notes_stay(built,  # noqa: ANN001
                                                                  client: TestClient) -> None:
    engine, ids = built
    # A listing and a site with the same number (both tables count from 1).
    site, shared = min(((d, i) for d, i in ids.items() if d in SITES), key=lambda x: x[1])
    with Session(engine) as session:
        assert session.get(Listing, shared) is not None
    csrf = client.csrf

    def decide(kind: str, **data: object) -> None:
        response = client.post("/decisions", data={"csrf_token": csrf, "kind": kind,
                                                   "ids": shared, **data},
                               follow_redirects=False)
        assert response.status_code == 303, response.text[:300]

    decide("listing", action="confirm", category="guazheng", note="第一次：联系人承认挂证")
    decide("listing", action="needs_info", note="第二次：需核实社保记录")
    decide("site", action="dismiss", note="网站备注")
    only_site = client.get(f"/audit?object_kind=site&object_id={shared}").text
    assert re.findall(r'data-object="([^"]+)"', only_site) == [f"site:{shared}"]
    only_listing = client.get(f"/audit?object_kind=listing&object_id={shared}").text
    assert re.findall(r'data-object="([^"]+)"', only_listing) == [f"listing:{shared}"] * 2
    both = client.get(f"/audit?object_id={shared}").text
    assert len(re.findall(r'data-object="(?:site|listing):', both)) == 3
    detail = client.get(f"/listings/{shared}").text
    assert f'href="/audit?object_kind=listing&amp;object_id={shared}"' in detail
    # The case keeps the latest note; the page keeps every decision's own.
    assert "第一次：联系人承认挂证" in detail and "第二次：需核实社保记录" in detail
    assert detail.index("第二次") < detail.index("第一次")  # newest first
    site_page = client.get(f"/sites/{shared}").text
    assert f'href="/audit?object_kind=site&amp;object_id={shared}"' in site_page
    assert "网站备注" in site_page and "第一次" not in site_page and site in site_page
