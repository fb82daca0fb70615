"""End to end: the real CLI crawls the real sandbox over loopback into real SQLite."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from sandbox.truth import DEFAULT_SEED, SITES, TruthListing
from sandbox.truth import listings as truth_listings
from store.models import CrawlRun, FetchedPage, Listing, ListingVersion, Source
from tests.conftest import certwatch, listings_jsonl

pytestmark = pytest.mark.browser


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


def store_session(home: Path) -> Session:
    return Session(create_engine(f"sqlite:///{home / 'certwatch.db'}"))


def run_stats(home: Path, source: str) -> tuple[CrawlRun, dict]:
    with store_session(home) as session:
        run = session.scalars(select(CrawlRun).join(Source).where(Source.name == source)
                              .order_by(CrawlRun.id.desc())).first()
        return run, run.stats


@pytest.fixture(scope="module")
def night1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("night1")
    proc = certwatch("crawl", "--night", "1", home=home, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return home, proc.stdout


@pytest.fixture(scope="module")
def stored(night1: tuple[Path, str]) -> dict[str, dict[str, dict]]:
    by_source: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in listings_jsonl(night1[0]):
        by_source[row["source"]][row["url"]] = row
    return by_source


@pytest.fixture(scope="module")
def truth() -> dict[str, dict[str, TruthListing]]:
    by_site: dict[str, dict[str, TruthListing]] = defaultdict(dict)
    for item in truth_listings(DEFAULT_SEED, 1):
        by_site[item.site][item.url] = item
    return by_site


@pytest.mark.parametrize("site", sorted(SITES))
def test_recall_and_fidelity_per_source(site: str, stored: dict, truth: dict) -> None:
    expected, got = truth[site], stored[site]
    found = [url for url in expected if url in got]
    assert len(found) / len(expected) >= 0.99, (
        f"{site}: recall {len(found)}/{len(expected)}; missing e.g. "
        f"{sorted(set(expected) - set(got))[:5]}")
    exact = [url for url in found
             if squash(got[url]["title"]) == squash(expected[url].title)
             and squash(got[url]["text"]) == squash(expected[url].text)]
    assert len(exact) / len(expected) >= 0.99, f"{site}: {len(exact)} exact of {len(expected)}"
    strays = set(got) - set(expected)
    assert not strays, f"{site}: stored listings the sandbox does not have: {sorted(strays)[:5]}"


def test_every_listing_is_scored_and_contacts_link_ads(night1: tuple[Path, str],
                                                      stored: dict, truth: dict) -> None:
    rows = [row for site in stored.values() for row in site.values()]
    assert rows and all(row["label"] in ("guazheng", "fake_cert", "exam_fraud", "benign")
                        and 0 <= row["score"] <= 1 and row["model_version"] for row in rows)
    by_url = {t.url: t for site in truth.values() for t in site.values()}
    right = sum(row["label"] == by_url[row["url"]].label for row in rows)
    assert right / len(rows) >= 0.9  # the sandbox is written independently of the corpus
    from store.models import Contact, ListingContact

    with store_session(night1[0]) as session:
        shared = session.execute(
            select(ListingContact.contact_id, func.count()).group_by(ListingContact.contact_id)
            .having(func.count() > 1)).all()
        assert session.scalar(select(func.count()).select_from(Contact)) > 50
    assert shared, "no contact links two listings"


def test_gbk_forum_decoded_exactly(stored: dict, truth: dict) -> None:
    expected, got = truth["tieba"], stored["tieba"]
    assert expected and set(got) == set(expected)
    for url, item in expected.items():
        assert squash(got[url]["title"]) == squash(item.title)
        assert squash(got[url]["text"]) == squash(item.text)
    assert not any("\ufffd" in row["text"] or "锟斤拷" in row["text"] for row in got.values())


def test_js_only_marketplace_captured(stored: dict, truth: dict, night1: tuple) -> None:
    assert len(stored["xianyu"]) == len(truth["xianyu"]) > 20
    _run, stats = run_stats(night1[0], "xianyu")
    assert stats.get("certwatch/browser/clicks", 0) >= len(truth["xianyu"]) // 20 - 1


def test_summary_is_one_screen_per_source(night1: tuple[Path, str]) -> None:
    _home, stdout = night1
    lines = stdout.splitlines()
    assert lines[0].split()[:4] == ["source", "status", "pages", "listings"]
    for site in SITES:
        assert any(line.startswith(site + " ") for line in lines), site
    assert len(lines) < 40


def test_hostile_corners_are_recorded_errors(night1: tuple[Path, str], stored: dict) -> None:
    home, _ = night1
    run, stats = run_stats(home, "hostile")
    assert run.status == "finished"
    for kind in ("redirect_loop", "timeout", "too_large", "trap"):
        assert stats.get(f"certwatch/errors/{kind}", 0) >= 1, (kind, stats)
    assert stats.get("certwatch/retry_after/429", 0) >= 2
    assert not run.complete  # the trap cut the crawl short: nothing may be marked removed
    with store_session(home) as session:
        errors = session.scalars(select(FetchedPage.error).where(
            FetchedPage.run_id == run.id, FetchedPage.error.is_not(None))).all()
    assert any(e.startswith("redirect_loop") for e in errors)
    assert any(e.startswith("too_large") for e in errors)
    titles = [row["title"] for row in stored["hostile"].values()]
    assert any('<script>alert("certwatch-xss")</script>' in t for t in titles)
    sizes = [p.stat().st_size for p in (home / "bodies").rglob("*") if p.is_file()]
    assert sizes and max(sizes) < 5 * 1024 * 1024  # the 20 MB page was cut off, not stored


def test_raw_bodies_kept_as_fetched(night1: tuple[Path, str]) -> None:
    home, _ = night1
    with store_session(home) as session:
        page = session.scalars(select(FetchedPage).where(
            FetchedPage.url.like("http://tieba.baidu-sandbox.cn/p/%"),
            FetchedPage.status == 200)).first()
    body = (home / "bodies" / page.content_hash[:2] / page.content_hash[2:4]
            / page.content_hash).read_bytes()
    body.decode("gbk")  # the GBK bytes as served, not a re-encoding
    assert page.encoding == "gb18030"


def test_history_recrawl_idempotent_and_night2_exact(tmp_path: Path) -> None:
    sources = ("--source", "jobs58", "--source", "tieba")
    certwatch("crawl", *sources, "--night", "1", home=tmp_path)
    first = {r["url"]: r for r in listings_jsonl(tmp_path)}
    with store_session(tmp_path) as session:
        versions_before = session.scalar(select(func.count()).select_from(ListingVersion))

    again = certwatch("crawl", *sources, "--night", "1", home=tmp_path)
    with store_session(tmp_path) as session:
        assert session.scalar(select(func.count()).select_from(ListingVersion)) == versions_before
    assert {r["url"]: r["title"] for r in listings_jsonl(tmp_path)} == \
        {u: r["title"] for u, r in first.items()}
    for line in again.stdout.splitlines():
        if line.startswith(("jobs58 ", "tieba ")):
            new, changed, removed = line.split()[4:7]
            assert (new, changed, removed) == ("0", "0", "0"), line

    certwatch("crawl", *sources, "--night", "2", home=tmp_path)
    t1 = {t.url: t for t in truth_listings(DEFAULT_SEED, 1) if t.site in ("jobs58", "tieba")}
    t2 = {t.url: t for t in truth_listings(DEFAULT_SEED, 2) if t.site in ("jobs58", "tieba")}

    def content(t: TruthListing) -> tuple:
        return (squash(t.title), squash(t.text), t.price, t.contact, t.region, t.posted)

    want_new = set(t2) - set(t1)
    want_removed = set(t1) - set(t2)
    want_changed = {u for u in set(t1) & set(t2) if content(t1[u]) != content(t2[u])}
    assert want_new and want_removed and want_changed  # the sandbox really changed

    with store_session(tmp_path) as session:
        batch = session.scalars(select(CrawlRun.batch).order_by(CrawlRun.id.desc())).first()
        from store.models import ListingEvent

        events = session.execute(
            select(ListingEvent.kind, Listing.url).join(Listing)
            .join(CrawlRun, CrawlRun.id == ListingEvent.run_id).where(CrawlRun.batch == batch)
        ).all()
    got: dict[str, set[str]] = defaultdict(set)
    for kind, url in events:
        got[kind].add(url)
    assert got["new"] == want_new
    assert got["removed"] == want_removed
    assert got["changed"] == want_changed
    removed_rows = {r["url"] for r in listings_jsonl(tmp_path, "--removed")}
    assert removed_rows == want_removed
