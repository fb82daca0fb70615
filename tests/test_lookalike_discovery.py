"""Discovery, name side: permutations, feeds from files, hostnames in stored listings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from classifiers.lookalike.discovery import (
    Candidate,
    ListingText,
    candidates,
    hostnames_in_text,
    listing_texts,
)
from classifiers.lookalike.errors import FeedError
from classifiers.lookalike.feeds import FeedProblems, json_names, read_feed
from classifiers.lookalike.hunt import Item, ordered
from classifiers.lookalike.names import analyze_domain
from classifiers.lookalike.watchlist import Watchlist, load_watchlist
from store.bodies import BodyStore
from store.db import open_store
from store.models import Listing
from store.recorder import ListingData, PageData, RunRecorder
from tests.conftest import REPO

DATA = REPO / "tests" / "data" / "lookalike"
T0 = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_watchlist()


def test_feeds_of_every_shape(watchlist: Watchlist) -> None:
    problems = FeedProblems()
    feeds = sorted(DATA.glob("*.txt")) + sorted(DATA.glob("*.jsonl")) + [
        DATA / "nrd-small.txt.gz", DATA / "crtsh-array.json"]
    found = list(candidates(watchlist, feeds=feeds, fuzzers=(), problems=problems))
    assert all(c.origin == "feed" for c in found)
    domains = [c.domain for c in found]
    assert len(domains) == len(set(domains))
    assert {"mohurd-zscx.com", "shop-flowers-2026.com", "tzzy-cx.top", "xn--mhurd-jye.com",
            "bestcoffee.cn", "zlaq.mohurd.gov.cn",  # NRD list (case folded, date column)
            "zlaq-mohurd.cn", "www.zlaq-mohurd.cn", "cloudshop.net",  # certstream
            "mohurd-gov-cn.com", "www.mohurd-gov-cn.com", "zscx-mem.net",  # crt.sh
            "hubei-zjt.com", "api.example.org", "gzjs.net",  # dns_names / domains
            "mohurd.com", "example.com",  # gzip
            "jzsc-mohurd.top", "bakery.example.net"} == set(domains)  # crt.sh JSON array
    first = next(c for c in found if c.domain == "mohurd-zscx.com")
    assert first.detail.endswith("nrd-2026-12-06.txt:2")
    # Bad lines are reported with file and line, and do not stop the feed.
    reported = "\n".join(problems.lines)
    assert "nrd-2026-12-06.txt:6: not a domain name: 'not'" in reported
    assert "ct-certstream.jsonl:3: no all_domains" in reported
    assert "ct-certstream.jsonl:4: not a JSON object" in reported
    assert "ct-plain.jsonl:3: not a domain name" in reported


def test_json_shapes_and_wildcards() -> None:
    assert json_names({"data": {"leaf_cert": {"all_domains": ["*.a.com", "b.com"]}}}) == [
        "*.a.com", "b.com"]
    assert json_names({"name_value": "a.com\n*.b.com", "common_name": "a.com"}) == [
        "a.com", "*.b.com", "a.com"]
    names = [n for n, _ in read_feed(DATA / "ct-crtsh.jsonl")]
    assert "zscx-mem.net" in names and not any(n.startswith("*") for n in names)


def test_missing_feed_is_a_clear_error(tmp_path: Path, watchlist: Watchlist) -> None:
    with pytest.raises(FeedError, match="cannot read feed"):
        list(candidates(watchlist, feeds=[tmp_path / "nope.txt"], fuzzers=()))


def test_feeds_then_listings_then_permutations(watchlist: Watchlist) -> None:
    # mohurd.com and mohurd.net are tld-swap outputs too; where they were seen in the wild
    # is what counts, and what ranks them first under --limit.
    found = list(candidates(watchlist, feeds=[DATA / "nrd-small.txt.gz"],
                            listing_texts=["官网 mohurd.com 和 www.gzjs-cx.com 可查",
                                           ListingText(42, "备用 mohurd.net")],
                            fuzzers=["tld-swap"]))
    by_domain = {c.domain: c for c in found}
    assert by_domain["mohurd.com"] == Candidate(
        "mohurd.com", "feed", f"{DATA / 'nrd-small.txt.gz'}:1")
    assert by_domain["example.com"].origin == "feed"
    assert by_domain["www.gzjs-cx.com"] == Candidate("www.gzjs-cx.com", "listing", "listing")
    assert by_domain["mohurd.net"] == Candidate("mohurd.net", "listing", "listing:42")
    assert by_domain["mohurd.top"] == Candidate("mohurd.top", "permutation",
                                                "tld-swap:www.mohurd.gov.cn")
    assert [c.origin for c in found[:4]] == ["feed", "feed", "listing", "listing"]
    items = [Item(c.domain, c.origin, c.detail, analyze_domain(c.domain, watchlist))
             for c in found]
    assert [i.domain for i in ordered(items)[:2]] == ["mohurd.com", "example.com"]
    all_fuzzers = list(candidates(watchlist))
    assert len(all_fuzzers) > 5000 and {c.origin for c in all_fuzzers} == {"permutation"}


def test_hostnames_in_ad_text() -> None:
    text = ("特种作业操作证官网可查：https://cx.mem.gov.cn.cx-query.top/q?id=1，"
            "备用 tzzy点cx点com，客服 QQ 12345@qq.com，版本 v1.2.3，图片 a.jpg，"
            "全国联网 WWW.ZLAQ-MOHURD.CN")
    assert hostnames_in_text(text) == ["cx.mem.gov.cn.cx-query.top", "tzzy.cx.com", "qq.com",
                                       "www.zlaq-mohurd.cn"]


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return open_store(f"sqlite:///{tmp_path / 'c.db'}")
    url = request.getfixturevalue("postgres_url")
    eng = open_store(url)
    with eng.begin() as conn:
        for table in ("reviews", "listing_contacts", "contacts", "listing_events",
                      "listing_versions", "listings", "fetched_pages", "crawl_runs", "sources"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    return eng


def test_hostnames_from_stored_listings(engine: Engine, tmp_path: Path,
                                        watchlist: Watchlist) -> None:
    rec = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "jobs", batch="b")
    rec.start()
    rec.add_page(PageData(url="http://jobs.example.cn/list", fetched_at=T0, status=200,
                          body=b"<html></html>"))
    rec.add_listing(ListingData(key="1", url="http://jobs.example.cn/1", title="安全员C证",
                                text="包过，官网 zlaq-mohurd.cn 可查", seen_at=T0,
                                fields={"link": "http://www.mohurd-zscx.com/cx"}))
    rec.add_page(PageData(url="http://jobs.example.cn/2", fetched_at=T0, status=200,
                          kind="detail", body=(
                              '<a href="/list">返回</a><a href="http://jobs.example.cn/3">下一条'
                              '</a><a href=\'https://cx.mem-gov.cn/q?id=1\'>官网查询</a>'
                              '<img src="//img.cdn-example.net/a.png">').encode()))
    rec.add_listing(ListingData(key="2", url="http://jobs.example.cn/2", title="焊工证",
                                text="联系微信", seen_at=T0))
    rec.finish(status="finished", close_reason="finished", complete=True, stats={})
    found = list(candidates(watchlist, listing_texts=listing_texts(engine), fuzzers=()))
    with Session(engine) as session:
        first = session.scalar(select(Listing.id).where(Listing.url.endswith("/1")))
    assert [(c.domain, c.origin, c.detail) for c in found] == [
        ("zlaq-mohurd.cn", "listing", f"listing:{first}"),
        ("www.mohurd-zscx.com", "listing", f"listing:{first}")]
    # With the stored pages, links count too (the platform's own links do not).
    texts = list(listing_texts(engine, bodies=BodyStore(tmp_path / "bodies")))
    found = [c.domain for c in candidates(watchlist, listing_texts=texts, fuzzers=())]
    assert found == ["zlaq-mohurd.cn", "www.mohurd-zscx.com", "cx.mem-gov.cn",
                     "img.cdn-example.net"]
    assert analyze_domain("cx.mem-gov.cn", watchlist).label == "lookalike"
