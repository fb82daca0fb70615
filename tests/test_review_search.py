"""Queue search through the trigram indexes (SQLite FTS5, PostgreSQL pg_trgm) finds exactly
what a plain LIKE scan finds: Chinese, Latin in both cases, full-width and accented letters,
LIKE's own wildcards, quotes, short words, several words at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from review.app import create_app
from review.queue import QueueFilter, SearchPlan, _conditions, search_plan
from review.settings import ReviewSettings
from store.db import open_store
from store.models import CrawlRun, Listing, Source
from tests.review_helpers import SECRET, add_users, drop_pg, fresh_pg, login

AT = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
DOCS = [  # title, text
    ("北京二建市政挂证，年薪3万", "二建市政证书挂靠，不用到岗，社保不限。联系V信 gz_8821"),
    ("一建建筑初始注册求挂靠", "安徽合肥，人证分离，不用出场，年薪5万。电话 13800138000"),
    ("电工证直接拿证", "特种作业操作证，100%包过，全国联网可查（官网可查）。QQ 12345678"),
    ("安全员C证包过班", "C++ 培训？不，是安全员C证考试包过，a_b 测试，价格3.5万"),
    ("考证交流：今年二建难吗", "大家今年二建复习得怎么样？实务题比去年难。"),
    ("ＱＱ群招人", "全角字母 ＱＱ 群号 888，进群送资料"),
    ("ｑｑ群招人", "全角小写 ｑｑ 群"),
    ("Élite 证书", "accented capital É in the title"),
    ("élite certificate", "accented small é, Wechat: GZ_8821, O'Brien said \"quoted\""),
    ("emoji 😀挂证😀", "表情包 😀 之间的挂证"),
    ("证", "一个字的标题；正文只有二建"),
    ("跨栏", "标题末尾的字和正文开头的字不连成一个词"),
    ("百分号", "50%_off 打折，下划线_和反斜杠\\都在这里"),
]
QUERIES = ["挂证", "人证分离", "社保不限 人证", "社保 不用到岗", "qq", "QQ", "ＱＱ", "ｑｑ",
           "élite", "Élite", "ÉLITE", "100%", "%", "_", "a_b", "50%_", "C++", '"quoted"',
           'said "quoted', "3.5万", "（官网", "O'Brien", "o'brien", "证", "二建", "😀挂",
           "😀挂证😀", "不存在的词语", "gz_8821", "GZ_", "二建 挂证 年薪", "栏标", "跨栏标题",
           "\\", "反斜杠\\", "a_b 价格", "全角 ＱＱ 群号"]


def _build(engine: Engine) -> None:
    with engine.begin() as conn:
        source = conn.execute(insert(Source).returning(Source.id),
                              {"name": "s", "title": "", "platform": "", "config_hash": ""}
                              ).scalar_one()
        run = conn.execute(insert(CrawlRun).returning(CrawlRun.id),
                           {"batch": "b", "source_id": source, "night": 1, "started_at": AT,
                            "status": "finished", "complete": True, "stats": {}}).scalar_one()
        conn.execute(insert(Listing), [
            {"source_id": source, "key": f"k{i}", "url": f"http://x.cn/{i}", "title": title,
             "text": body, "fields": {}, "content_hash": f"{i:064d}", "first_seen": AT,
             "last_seen": AT, "first_run_id": run, "last_run_id": run, "removed": False,
             "label": "guazheng", "score": 0.5 + i / 100, "scores": {}, "reasons": [],
             "attributes": {}} for i, (title, body) in enumerate(DOCS)])


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    home = tmp_path_factory.mktemp(f"search-{request.param}")
    url = (f"sqlite:///{home / 'c.db'}" if request.param == "sqlite"
           else fresh_pg(request.getfixturevalue("postgres_url")))
    engine = open_store(url)
    _build(engine)
    yield engine
    engine.dispose()
    if request.param == "postgres":
        drop_pg(url)


PLANS = {"scan": SearchPlan(), "index, filter": SearchPlan(index=True),
         "index, drive": SearchPlan(index=True, drive=True)}


def _ids(engine: Engine, q: str, plan: SearchPlan | None = None) -> set[int]:
    """Ids the queue's search finds; without a plan, plain LIKE on every word."""
    flt = QueueFilter(label="all", q=q)
    with Session(engine) as session:
        return set(session.scalars(select(Listing.id).where(
            *_conditions(flt, plan or SearchPlan()))))


def _uses_index(engine: Engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return conn.scalar(text("SELECT count(*) FROM sqlite_master "
                                    "WHERE name LIKE 'listings_fts%'")) == 8
        return {r[0] for r in conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'listings'"))} \
            >= {"ix_listings_title_trgm", "ix_listings_text_trgm"}


def test_indexed_search_finds_exactly_what_like_finds(store: Engine) -> None:
    assert _uses_index(store)  # the migration built the index here
    sqlite = store.dialect.name == "sqlite"
    with Session(store) as session:
        assert search_plan(session, "人证分离") == SearchPlan(index=sqlite, drive=sqlite)
        assert search_plan(session, "二建") == SearchPlan(index=sqlite)
    plans = PLANS if sqlite else {"scan": SearchPlan()}
    found_any = 0
    for q in QUERIES:
        expected = _ids(store, q)  # plain LIKE on every word
        for name, plan in plans.items():
            assert _ids(store, q, plan) == expected, (q, name)
        found_any += bool(expected)
    # The queries do hit (PostgreSQL's LIKE is case-sensitive, so fewer there): this
    # compares real results, not empty sets.
    assert found_any >= len(QUERIES) * 3 // 4
    # SQLite's LIKE folds ASCII case only; the index folds more, the recheck keeps LIKE's.
    if sqlite:
        plan = PLANS["index, drive"]
        assert len(_ids(store, "qq", plan)) == 1 and len(_ids(store, "ｑｑ", plan)) == 1
        assert len(_ids(store, "élite", plan)) == 1


def test_postgres_like_can_use_the_trigram_indexes(store: Engine) -> None:
    if store.dialect.name != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    flt = QueueFilter(label="all", q="人证分离")
    with Session(store) as session:
        stmt = select(Listing.id).where(*_conditions(flt, search_plan(session, flt.q)))
        sql = str(stmt.compile(store, compile_kwargs={"literal_binds": True}))
        # A table this small is cheaper to scan: forbid that to see what the index offers.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {sql}")))
    assert "ix_listings_text_trgm" in plan and "ix_listings_title_trgm" in plan, plan


def test_sqlite_index_is_used_and_kept_in_step(store: Engine) -> None:
    if store.dialect.name != "sqlite":
        pytest.skip("the FTS5 table and its triggers are SQLite's")
    flt = QueueFilter(label="all", q="人证分离")
    with Session(store) as session:
        for plan, start in ((PLANS["index, drive"], "SEARCH listings USING INTEGER PRIMARY KEY"),
                            (PLANS["index, filter"], "SCAN listings")):
            stmt = (select(Listing.id).where(*_conditions(flt, plan))
                    .order_by(Listing.score.desc()).limit(50))
            sql = str(stmt.compile(store, compile_kwargs={"literal_binds": True}))
            steps = [str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
            assert steps[0].startswith(start), steps
            assert any("listings_fts VIRTUAL TABLE INDEX" in step for step in steps), steps
    drive = PLANS["index, drive"]
    with store.begin() as conn:
        lid = conn.scalar(select(Listing.id).where(Listing.key == "k1"))
        conn.execute(update(Listing).where(Listing.id == lid).values(text="改成别的内容了"))
    assert _ids(store, "人证分离", drive) == set() == _ids(store, "人证分离")
    assert _ids(store, "别的内容", drive) == {lid}
    with store.begin() as conn:
        conn.execute(update(Listing).where(Listing.id == lid).values(score=0.99))  # no reindex
        new = conn.execute(insert(Listing).returning(Listing.id), {
            "source_id": 1, "key": "added", "url": "http://x.cn/added", "title": "新来的挂证",
            "text": "新增广告", "fields": {}, "content_hash": "f" * 64, "first_seen": AT,
            "last_seen": AT, "first_run_id": 1, "last_run_id": 1, "removed": False,
            "label": "guazheng", "score": 0.7}).scalar_one()
    assert _ids(store, "新来的", drive) == {new}
    with store.begin() as conn:
        conn.execute(delete(Listing).where(Listing.id == new))
        conn.execute(text("INSERT INTO listings_fts(listings_fts, rank) "
                          "VALUES ('integrity-check', 1)"))  # raises when out of step
    assert _ids(store, "新来的", drive) == set()


def test_queue_page_search_with_and_without_the_index(store: Engine, tmp_path: Path) -> None:
    add_users(store)
    app = create_app(store, ReviewSettings(secret=SECRET), background=False)
    with TestClient(app) as client:
        login(client, "alice")
        for q in ("挂证", "社保不限", "二建 挂证", "GZ_", "100%"):
            page = client.get("/queue", params={"label": "all", "q": q}).text
            titles = re.findall(r'class="title">([^<]*)<', page)
            assert len(titles) == len(_ids(store, q)) > 0, q
    if store.dialect.name != "sqlite":
        return
    # An SQLite without trigram support (migration skipped): the queue falls back to LIKE.
    old = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    with old.begin() as conn:
        for name in ("insert", "delete", "update"):
            conn.execute(text(f"DROP TRIGGER listings_fts_{name}"))
        conn.execute(text("DROP TABLE listings_fts"))
    _build(old)
    with Session(old) as session:
        assert search_plan(session, "人证分离") == SearchPlan()
    add_users(old)
    with TestClient(create_app(old, ReviewSettings(secret=SECRET), background=False)) as client:
        login(client, "alice")
        page = client.get("/queue", params={"label": "all", "q": "人证分离"}).text
        assert re.findall(r'class="title">([^<]*)<', page) == ["一建建筑初始注册求挂靠"]
    old.dispose()


def test_score_filter_works_on_the_score_as_shown(store: Engine) -> None:
    """Pages show two decimals: "at least 0.97" keeps a row shown as 0.97 (0.9651), not one
    shown as 0.96 (0.9649)."""
    with engine_scores(store, {"k0": 0.9651, "k1": 0.9649}):
        flt = QueueFilter(label="all", min_score=0.97)
        with Session(store) as session:
            keys = set(session.scalars(select(Listing.key).where(
                *_conditions(flt, SearchPlan()))))
    assert "k0" in keys and "k1" not in keys
    assert f"{0.9651:.2f}" == "0.97" and f"{0.9649:.2f}" == "0.96"


@contextmanager
def engine_scores(engine: Engine, scores: dict[str, float]) -> Iterator[None]:
    with engine.begin() as conn:
        before = dict(conn.execute(select(Listing.key, Listing.score)
                                   .where(Listing.key.in_(scores))).all())
        for key, score in scores.items():
            conn.execute(update(Listing).where(Listing.key == key).values(score=score))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for key, score in before.items():
                conn.execute(update(Listing).where(Listing.key == key).values(score=score))
