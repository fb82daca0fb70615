"""The store on real SQLite and real PostgreSQL: history, diffs, atomic batches, clear errors."""

from __future__ import annotations

import multiprocessing
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, inspect, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from store.bodies import BodyStore
from store.db import make_engine, needs_upgrade, open_store, upgrade
from store.errors import StoreUnavailable
from store.evidence_models import WarcRecordRow
from store.models import CrawlRun, FetchedPage, Listing, ListingEvent, ListingVersion
from store.recorder import ListingData, PageData, RunRecorder, sweep_stale_runs
from store.warc_index import captures_for_url

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return open_store(f"sqlite:///{tmp_path / 'c.db'}")
    url = request.getfixturevalue("postgres_url")
    eng = open_store(url)
    with eng.begin() as conn:  # each test starts from empty tables
        for table in ("reviews", "listing_contacts", "contacts", "listing_events",
                      "listing_versions", "listings", "fetched_pages", "crawl_runs", "sources"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    return eng


def ad(key: str, price: str = "2万/年", text: str = "不用到岗") -> ListingData:
    return ListingData(key=key, url=f"http://jobs.example.cn/{key}", title=f"招聘 {key}",
                       text=text, seen_at=T0, fields={"price": price})


def crawl(engine: Engine, tmp_path: Path, ads: list[ListingData], *, complete: bool = True,
          status: str = "finished", seen_only: tuple[str, ...] = ()) -> RunRecorder:
    rec = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "jobs", batch="b", flush_every=3)
    rec.start()
    rec.add_page(PageData(url="http://jobs.example.cn/list", fetched_at=T0, status=200,
                          body="<html>列表</html>".encode()))
    rec.mark_seen(seen_only)
    for item in ads:
        rec.add_listing(item)
    rec.finish(status=status, close_reason="finished", complete=complete, stats={})
    return rec


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            "listings": s.scalar(select(func.count()).select_from(Listing)),
            "versions": s.scalar(select(func.count()).select_from(ListingVersion)),
            "removed": s.scalar(select(func.count()).select_from(Listing)
                                .where(Listing.removed.is_(True))),
        }


def test_first_night_then_idempotent_recrawl(engine: Engine, tmp_path: Path) -> None:
    first = crawl(engine, tmp_path, [ad("1"), ad("2"), ad("3"), ad("4")])
    assert (first.counts.new, first.counts.changed, first.counts.removed) == (4, 0, 0)
    again = crawl(engine, tmp_path, [ad("1"), ad("2"), ad("3"), ad("4")])
    assert (again.counts.new, again.counts.changed, again.counts.removed) == (0, 0, 0)
    assert again.counts.unchanged == 4
    assert counts(engine) == {"listings": 4, "versions": 4, "removed": 0}
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ListingEvent)) == 4
        assert {r.last_run_id for r in s.scalars(select(Listing))} == {again.run_id}


def test_next_night_records_new_changed_removed(engine: Engine, tmp_path: Path) -> None:
    crawl(engine, tmp_path, [ad("1"), ad("2"), ad("3")])
    night2 = crawl(engine, tmp_path, [ad("1"), ad("2", price="3万/年"), ad("5")])
    assert (night2.counts.new, night2.counts.changed, night2.counts.removed) == (1, 1, 1)
    with Session(engine) as s:
        two = s.scalar(select(Listing).where(Listing.key == "2"))
        assert [v.fields["price"] for v in two.versions] == ["2万/年", "3万/年"]
        three = s.scalar(select(Listing).where(Listing.key == "3"))
        assert three.removed and three.removed_at is not None
        kinds = sorted(s.scalars(select(ListingEvent.kind)
                                 .where(ListingEvent.run_id == night2.run_id)))
        assert kinds == ["changed", "new", "removed"]
    night3 = crawl(engine, tmp_path, [ad("1"), ad("2", price="3万/年"), ad("3"), ad("5")])
    assert night3.counts.reappeared == 1 and night3.counts.new == 0
    assert counts(engine)["removed"] == 0


def test_incomplete_run_removes_nothing_it_did_not_prove(engine: Engine, tmp_path: Path) -> None:
    crawl(engine, tmp_path, [ad("1"), ad("2"), ad("3")])
    partial = crawl(engine, tmp_path, [ad("1")], complete=False)
    assert partial.counts.removed == 0
    interrupted = crawl(engine, tmp_path, [ad("1")], status="interrupted")
    assert interrupted.counts.removed == 0
    seen = crawl(engine, tmp_path, [ad("1")], seen_only=("2", "3"))
    assert seen.counts.removed == 0  # listed on a list page, detail fetch failed


def test_gone_detail_is_removed_even_when_incomplete(engine: Engine, tmp_path: Path) -> None:
    crawl(engine, tmp_path, [ad("1"), ad("2")])
    rec = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "jobs", batch="b")
    rec.start()
    rec.mark_seen(["1", "2"])
    rec.mark_gone("2")
    rec.finish(status="interrupted", close_reason="shutdown", complete=False, stats={})
    assert rec.counts.removed == 1


def test_bodies_content_addressed_and_deduplicated(engine: Engine, tmp_path: Path) -> None:
    rec = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "jobs", batch="b")
    rec.start()
    body = "<html>同一页面</html>".encode()
    d1 = rec.add_page(PageData(url="http://a.cn/1", fetched_at=T0, status=200, body=body))
    d2 = rec.add_page(PageData(url="http://a.cn/2", fetched_at=T0, status=200, body=body))
    rec.add_page(PageData(url="http://a.cn/3", fetched_at=T0, error="timeout: took too long"))
    rec.finish(status="finished", close_reason="finished", complete=True, stats={"x": 1})
    assert d1 == d2
    files = [p for p in (tmp_path / "bodies").rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == body and files[0].name == d1
    with Session(engine) as s:
        pages = s.scalars(select(FetchedPage).order_by(FetchedPage.id)).all()
        assert [p.content_hash for p in pages] == [d1, d1, None]
        assert pages[2].error.startswith("timeout")
        run = s.get(CrawlRun, rec.run_id)
        assert run.status == "finished" and run.stats["certwatch"]["page_errors"] == 1


def test_stale_running_run_is_marked_interrupted(engine: Engine, tmp_path: Path) -> None:
    rec = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "jobs", batch="b")
    rec.start()
    with Session(engine) as s, s.begin():
        s.get(CrawlRun, rec.run_id).pid = 2**22 + 12345  # no such process
    assert sweep_stale_runs(engine) == 1
    with Session(engine) as s:
        assert s.get(CrawlRun, rec.run_id).status == "interrupted"


def test_unreachable_database_is_one_clear_error() -> None:
    with pytest.raises(StoreUnavailable) as err:
        make_engine("postgresql://certwatch:secret@127.0.0.1:1/certwatch")
    message = str(err.value)
    assert "cannot reach database postgresql://certwatch:***@127.0.0.1:1/certwatch" \
        in message
    assert "secret" not in message and "CERTWATCH_DB_URL" in message


def keyword_scorer(items: list[ListingData]) -> list[dict]:
    """A stand-in classifier for store-level tests: labels by keyword, contacts by digits."""
    import re

    out = []
    for item in items:
        fraud = "挂" in item.text
        phones = re.findall(r"1\d{10}", item.text)
        out.append({"label": "guazheng" if fraud else "benign", "score": 0.9 if fraud else 0.1,
                    "scores": {}, "reasons": [], "attributes": {}, "model_version": "kw-1",
                    "contacts": [{"key": f"mobile:{p}", "kind": "mobile", "value": p}
                                 for p in phones]})
    return out


def test_verdicts_stored_and_contacts_link_listings(engine: Engine, tmp_path: Path) -> None:
    from store.models import Contact, ListingContact

    rec = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "jobs", batch="b",
                      scorer=keyword_scorer)
    rec.start()
    rec.add_listing(ad("1", text="挂证 13812345678"))
    rec.add_listing(ad("2", text="驻场施工员"))
    rec.finish(status="finished", close_reason="finished", complete=True, stats={})
    other = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "forum", batch="b",
                        scorer=keyword_scorer)
    other.start()
    other.add_listing(ad("x", text="有证的找我 13812345678 挂"))
    other.finish(status="finished", close_reason="finished", complete=True, stats={})
    with Session(engine) as s:
        rows = {r.key: r for r in s.scalars(select(Listing))}
        assert (rows["1"].label, rows["1"].score, rows["1"].model_version) == \
            ("guazheng", 0.9, "kw-1")
        assert rows["2"].label == "benign"
        contact = s.scalars(select(Contact)).one()
        assert contact.key == "mobile:13812345678"
        linked = set(s.scalars(select(ListingContact.listing_id)
                               .where(ListingContact.contact_id == contact.id)))
        assert linked == {rows["1"].id, rows["x"].id}
    # Unchanged content is not rescored; changed content is.
    calls: list[int] = []

    def counting(items: list[ListingData]) -> list[dict]:
        calls.append(len(items))
        return keyword_scorer(items)

    again = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "jobs", batch="c",
                        scorer=counting)
    again.start()
    again.add_listing(ad("1", text="挂证 13812345678"))
    again.add_listing(ad("2", text="驻场施工员，挂靠勿扰"))
    again.finish(status="finished", close_reason="finished", complete=True, stats={})
    assert calls == [1]


# --- migrations: populated databases upgrade in place; concurrent starts serialise ---------

NEW_TABLES = {"lookalike_candidates", "review_cases", "warc_records", "nightly_runs"}


def test_populated_0002_sqlite_upgrades_to_heads_keeping_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    upgrade(old, "0002")
    crawl(old, tmp_path, [ad("a1"), ad("a2")], seen_only=())
    before = counts(old)
    old.dispose()

    engine = open_store(url)
    assert counts(engine) == before and before["listings"] == 2
    assert set(inspect(engine).get_table_names()) >= NEW_TABLES
    assert not needs_upgrade(engine)


def test_failed_sqlite_migration_leaves_nothing_half_done(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    upgrade(old, "0002")
    with old.begin() as conn:  # a stray table makes one branch's migration fail
        conn.exec_driver_sql("CREATE TABLE warc_records (id INTEGER PRIMARY KEY)")
    old.dispose()

    with pytest.raises(OperationalError):
        open_store(url)
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert not (NEW_TABLES - {"warc_records"}) & tables  # no other branch was half applied
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() \
            == ["0002"]
        conn.exec_driver_sql("DROP TABLE warc_records")
        conn.commit()
    engine.dispose()
    assert set(inspect(open_store(url)).get_table_names()) >= NEW_TABLES


def _open_store_in_child(url: str) -> None:
    open_store(url).dispose()


def test_two_processes_open_a_fresh_sqlite_store_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open_store_in_child, args=(url,)) for _ in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    engine = make_engine(url)
    assert not needs_upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= NEW_TABLES


@pytest.mark.postgres
def test_warc_index_takes_and_finds_very_long_urls_on_postgres(postgres_url: str) -> None:
    # Random hex does not compress: a btree entry on the URL itself would exceed PG's limit.
    url = "http://zlaq-mohurd.cn/cx?" + secrets.token_hex(2500)
    assert len(url) > 5000
    engine = open_store(postgres_url)
    capture = uuid.uuid4().hex
    row = {"run_id": None, "source": "hunt", "capture_id": capture, "page_kind": "detail",
           "role": "page", "page_url": url, "url": url, "target_uri": url,
           "listing_key": None, "referrer": url, "record_type": "response",
           "warc_record_id": f"<urn:uuid:{uuid.uuid4()}>", "path": "warc/x.warc.gz",
           "offset": 0, "length": 10, "payload_sha256": None, "record_sha256": "0" * 64,
           "captured_at": T0}
    with engine.begin() as conn:
        conn.execute(insert(WarcRecordRow.__table__), [row])
    refs = captures_for_url(engine, url, home=Path("/nonexistent"))
    assert [(r.url, r.page_url) for r in refs] == [(url, url)]
    assert captures_for_url(engine, url[:-1], home=Path("/nonexistent")) == []
