"""`certwatch nightly` and `certwatch schedule` end to end: real sandbox crawls, a real
loopback webhook receiver, a real SMTP server (aiosmtpd), real SQLite and PostgreSQL."""

from __future__ import annotations

import email
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from certwatch.config import Config
from certwatch.monitor import SourceFigures, check, store_figures
from certwatch.nightly_config import MonitorSettings
from certwatch.nightly_lock import ADVISORY_KEY, nightly_lock
from certwatch.sandbox_proc import embedded_sandbox
from certwatch.schedule_slots import missed_slots, next_slot
from classifiers.attributes import extract_attributes
from sandbox.truth import DEFAULT_SEED, TruthListing
from sandbox.truth import listings as truth_listings
from store.bodies import BodyStore
from store.clock import as_utc, iso
from store.db import open_store
from store.models import CrawlRun, FetchedPage, Listing
from store.nightly_models import NightlyRun, NightlySourceStat
from store.recorder import ListingData, RunRecorder
from tests.conftest import REPO, certwatch

SOURCES = ("jobs58", "tieba")


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"type": self.headers["Content-Type"],
                                    "json": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[str, list[dict]]]:
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Hook.received
    server.shutdown()


class _Down(BaseHTTPRequestHandler):
    """A server that is up but broken: HTTP 500 to everything."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET  # noqa: N815 - http.server's naming

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def failing_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Down)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, list[Message]]]:
    from aiosmtpd.controller import Controller

    mails: list[Message] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
            mails.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mails
    controller.stop()


def write_config(home: Path, **extra: object) -> None:
    home.mkdir(parents=True, exist_ok=True)
    # The hunt is off unless a test asks for it: its browser side is lookalike's tests' job.
    doc = {"sources": list(SOURCES), "review_url": "http://review.example:8000/",
           "monitor": {"min_history": 1}, "hunt": {"enabled": False}, **extra}
    (home / "certwatch.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")


def engine_for(home: Path):  # noqa: ANN201
    return create_engine(f"sqlite:///{home / 'certwatch.db'}")


def nightly_rows(home: Path) -> list[NightlyRun]:
    with Session(engine_for(home)) as session:
        return list(session.scalars(select(NightlyRun).order_by(NightlyRun.id)))


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory, webhook: tuple, smtp: tuple) -> dict:
    home = tmp_path_factory.mktemp("nightly")
    hook_url, _ = webhook
    port, _ = smtp
    write_config(home, webhook={"url": hook_url}, evidence={"threshold": 0.9, "limit": 3},
                 feeds=[str(REPO / "sandbox" / "feeds" / "nrd-sample.txt")],
                 hunt={"fetch": False},  # names only: the browser side is lookalike's tests
                 smtp={"host": "127.0.0.1", "port": port, "from": "certwatch@example.cn",
                       "to": ["analyst@example.cn"]})
    procs = [certwatch("nightly", "--night", str(n), home=home, check=False) for n in (1, 2)]
    return {"home": home, "procs": procs}


def test_two_nights_exit_zero_and_digests_written(two_nights: dict) -> None:
    for proc in two_nights["procs"]:
        assert proc.returncode == 0, proc.stderr[-3000:]
    rows = nightly_rows(two_nights["home"])
    assert [r.status for r in rows] == ["finished", "finished"]
    assert [r.exit_code for r in rows] == [0, 0] and not rows[1].flags
    for row in rows:
        for path in row.summary["digest"].values():
            assert Path(path).parent == two_nights["home"] / "reports" and Path(path).is_file()
    with Session(engine_for(two_nights["home"])) as session:
        stats = session.scalars(select(NightlySourceStat).where(
            NightlySourceStat.nightly_id == rows[1].id)).all()
    assert {s.source: s.listings > 100 for s in stats} == {"jobs58": True, "tieba": True}


def _content(t: TruthListing) -> tuple:
    return (t.title, t.text, t.posted, t.price, t.contact, t.region)


def _contact_keys(truth: dict[str, TruthListing]) -> set[str]:
    # What the scorer extracts from each stored listing (store.recorder links these).
    return {c.key for t in truth.values() for c in extract_attributes(t.text, t.title).contacts}


def test_diff_matches_the_sandbox_generator(two_nights: dict) -> None:
    t1 = {t.url: t for t in truth_listings(DEFAULT_SEED, 1) if t.site in SOURCES}
    t2 = {t.url: t for t in truth_listings(DEFAULT_SEED, 2) if t.site in SOURCES}
    first, second = nightly_rows(two_nights["home"])
    assert first.summary["diff"]["new"] == len(t1)  # the first night: everything is new
    assert first.summary["diff"]["new_contacts"] == len(_contact_keys(t1))
    diff = second.summary["diff"]
    assert diff["new"] == len(set(t2) - set(t1)) > 0
    assert diff["removed"] == len(set(t1) - set(t2)) > 0
    edited = {u for u in set(t1) & set(t2) if _content(t1[u]) != _content(t2[u])}
    assert diff["changed"] == len(edited) > 0
    assert diff["new_contacts"] == len(_contact_keys(t2) - _contact_keys(t1)) > 0
    assert diff["reappeared"] == 0
    md = Path(second.summary["digest"]["markdown"]).read_text("utf-8")
    # Every new (high-risk or not), changed and removed listing links into the review UI:
    # tonight's counts are all under the digest limit (50).
    with Session(engine_for(two_nights["home"])) as session:
        ids = dict(session.execute(select(Listing.url, Listing.id)).all())
    listed = md.split("## 首次出现的联系方式")[0]  # contacts link their listings again
    for url in (set(t2) - set(t1)) | edited | (set(t1) - set(t2)):
        assert listed.count(f"(http://review.example:8000/listings/{ids[url]})") == 1, url
    assert "## 其他新增信息" in md and "## 重新上架的信息" in md
    assert f"新增 {diff['new']} 条" in md and f"下架 {diff['removed']} 条" in md
    assert "## 首次出现的联系方式（中介）" in md
    # Every new high-risk listing links into the review UI.
    with Session(engine_for(two_nights["home"])) as session:
        from store.models import ListingEvent

        new_ids = session.scalars(select(ListingEvent.listing_id).where(
            ListingEvent.kind == "new", ListingEvent.run_id.in_(
                select(text("id")).select_from(text("crawl_runs"))
                .where(text("batch = :b")).params(b=second.batch)))).all()
        risky = session.scalars(select(Listing.id).where(
            Listing.id.in_(new_ids), Listing.label != "benign", Listing.score >= 0.9)).all()
    assert risky
    for lid in risky:
        assert f"(http://review.example:8000/listings/{lid})" in md
    html = Path(second.summary["digest"]["html"]).read_text("utf-8")
    assert '<html lang="zh-CN">' in html and "新增高风险信息" in html
    assert f'href="http://review.example:8000/listings/{risky[0]}"' in html


def test_webhook_got_json_per_night(two_nights: dict, webhook: tuple) -> None:
    _url, received = webhook
    assert len(received) == 2
    body = received[1]["json"]
    assert received[1]["type"].startswith("application/json")
    assert body["kind"] == "certwatch.nightly" and body["crawl_ok"] is True
    second = nightly_rows(two_nights["home"])[1]
    assert body["nightly_id"] == second.id and body["counts"] == second.summary["diff"]
    assert body["high_risk"] and all(
        h["link"] == f"http://review.example:8000/listings/{h['id']}" and h["score"] >= 0.9
        for h in body["high_risk"])
    assert body["markdown"].startswith("# certwatch 夜间报告")


def test_email_sent_over_smtp_in_chinese(two_nights: dict, smtp: tuple) -> None:
    _port, mails = smtp
    assert len(mails) == 2
    mail = mails[1]
    subject = str(email.header.make_header(email.header.decode_header(mail["Subject"])))
    assert subject.startswith("[certwatch]") and "夜间报告" in subject
    assert mail["To"] == "analyst@example.cn"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode("utf-8")
             for p in mail.walk() if not p.is_multipart()}
    assert "新增高风险信息" in parts["text/plain"] and "<h1>" in parts["text/html"]


def test_hunt_and_evidence_steps_report_honestly(two_nights: dict) -> None:
    second = nightly_rows(two_nights["home"])[1]
    md = Path(second.summary["digest"]["markdown"]).read_text()
    steps = {s["name"]: s for s in second.summary["steps"]}
    assert steps["仿冒网站排查"]["status"] == "done", steps
    assert "仿冒 zlaq-mohurd.cn（仿 zlaq.mohurd.gov.cn" in md  # from the sample feed
    assert "www.mot.gov.cn" not in md  # a genuine .gov.cn in the same feed
    assert steps["证据包"]["status"] == "done", steps
    packets = list((two_nights["home"] / "reports" / "evidence").rglob("*.wacz"))
    assert len(packets) == 2  # one per night, the strongest three new hits each
    assert "超出单次上限 3" in md
    verified = certwatch("evidence", "verify", str(packets[0]), home=two_nights["home"],
                         check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_second_nightly_is_refused_with_its_own_status(tmp_path: Path) -> None:
    write_config(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 'certwatch.db'}")
    with nightly_lock(tmp_path, engine):
        proc = certwatch("nightly", home=tmp_path, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "another nightly is already running" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not nightly_rows(tmp_path)  # refused before it recorded or crawled anything


@pytest.mark.postgres
def test_advisory_lock_spans_hosts_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    write_config(tmp_path)
    engine = open_store(postgres_url)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
        conn.commit()
        # Another "machine": its own CERTWATCH_HOME, so only the database lock can stop it.
        proc = certwatch("nightly", home=tmp_path, env={"CERTWATCH_DB_URL": postgres_url},
                         check=False)
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        conn.commit()
    assert proc.returncode == 3, proc.stderr
    assert "PostgreSQL advisory lock" in proc.stderr
    engine.dispose()


def _override(home: Path, name: str, **changes: object) -> None:
    doc = yaml.safe_load((REPO / "crawlers" / "sources" / f"{name}.yaml").read_text("utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict):
            doc.setdefault(key, {}).update(value)
        else:
            doc[key] = value
    folder = home / "sources"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")


def test_drop_and_empty_source_are_flagged_exit_4(two_nights: dict, tmp_path: Path) -> None:
    home = two_nights["home"]
    # Night 3 breaks both sources the way sites do break: jobs58 stops paginating after two
    # list pages, tieba's list page no longer matches the selectors.
    _override(home, "jobs58", limits={"list_pages": 2})
    _override(home, "tieba", start_urls=["http://www.zhipin-sandbox.cn/"])
    write_config(home, monitor={"min_history": 2}, evidence={})
    proc = certwatch("nightly", "--night", "2", home=home, check=False,
                     env={"CERTWATCH_SOURCES_DIR": str(home / "sources")})
    assert proc.returncode == 4, proc.stderr[-3000:]
    third = nightly_rows(home)[2]
    assert {(f["kind"], f["source"]) for f in third.flags} == {("drop", "jobs58"),
                                                               ("empty", "tieba")}
    assert "FLAG drop jobs58" in proc.stderr and "FLAG empty tieba" in proc.stderr
    md = Path(third.summary["digest"]["markdown"]).read_text("utf-8")
    assert "## ⚠ 异常" in md and "信息数骤降" in md and "没有抓到任何信息" in md


def test_error_spike_in_a_real_crawl_is_flagged_exit_4(two_nights: dict,
                                                      failing_site: str) -> None:
    home = two_nights["home"]
    # Tonight ten of tieba's list pages answer 500 (a real server, after Scrapy's retries):
    # far under the absolute limit (25 %), but a spike against its clean recent nights.
    tieba = yaml.safe_load((REPO / "crawlers" / "sources" / "tieba.yaml").read_text("utf-8"))
    broken = [f"http://{failing_site}/f?kw=down&pn={i}" for i in range(10)]
    _override(home, "tieba", start_urls=tieba["start_urls"] + broken)
    write_config(home, sources=["tieba"], evidence={})
    proc = certwatch("nightly", "--night", "2", home=home, check=False,
                     env={"CERTWATCH_SOURCES_DIR": str(home / "sources")})
    assert proc.returncode == 4, proc.stderr[-3000:]
    run = nightly_rows(home)[-1]
    assert [(f["kind"], f["source"]) for f in run.flags] == [("errors", "tieba")]
    with Session(engine_for(home)) as session:
        stat = session.scalars(select(NightlySourceStat).where(
            NightlySourceStat.nightly_id == run.id)).one()
    assert stat.errors == len(broken) and 0.04 <= stat.error_rate < 0.25, stat.error_rate
    assert "FLAG errors tieba" in proc.stderr
    md = Path(run.summary["digest"]["markdown"]).read_text("utf-8")
    assert "## ⚠ 异常" in md and f"错误率 {stat.error_rate:.1%}" in md and "近期中位数 0.0%" in md


def test_error_spike_against_recent_nights(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    settings = MonitorSettings(min_history=3, error_rate=0.5)
    ids = []
    with Session(engine) as session, session.begin():
        for day in range(4):
            run = NightlyRun(started_at=datetime(2026, 12, 1 + day, tzinfo=UTC),
                             status="finished", flags=[], summary={})
            session.add(run)
            session.flush()
            ids.append(run.id)
    for nid in ids[:3]:
        store_figures(engine, nid, [SourceFigures("jobs58", "finished", 300, 290, 3, 5.0)])
    calm = check(engine, ids[3], [SourceFigures("jobs58", "finished", 300, 290, 4, 5.0)],
                 settings)
    spike = check(engine, ids[3], [SourceFigures("jobs58", "finished", 300, 200, 40, 5.0)],
                  settings)
    assert calm == []
    assert [f.kind for f in spike] == ["errors"] and "13.3%" in spike[0].message


def test_schedule_catches_up_and_reports_missed_runs(tmp_path: Path) -> None:
    cron = "30 2 * * *"
    write_config(tmp_path, schedule=cron, sources=["tieba"])
    engine = open_store(f"sqlite:///{tmp_path / 'certwatch.db'}")
    last = datetime.now(UTC) - timedelta(days=3, hours=1)
    with Session(engine) as session, session.begin():
        session.add(NightlyRun(started_at=last, finished_at=last + timedelta(minutes=5),
                               status="finished", trigger="schedule", flags=[], summary={}))
    expected = missed_slots(engine, cron, "Asia/Shanghai", datetime.now(UTC))
    assert len(expected) >= 2  # three nights down: the ones before the due slot were missed
    proc = certwatch("schedule", "--max-runs", "1", home=tmp_path, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "was missed" in proc.stderr and "running it now" in proc.stderr
    runs = nightly_rows(tmp_path)
    assert len(runs) == 2 and runs[1].trigger == "schedule" and runs[1].scheduled_for
    assert runs[1].summary["missed"] == [m.isoformat(timespec="seconds").replace("+00:00", "Z")
                                         for m in expected]
    md = Path(runs[1].summary["digest"]["markdown"]).read_text("utf-8")
    assert "## ⚠ 错过的计划运行" in md and md.count("未运行（停机或未启动调度）") == len(expected)
    log = (tmp_path / "logs" / "schedule.log").read_text("utf-8")
    assert "was missed" in log and "exited with status 0" in log
    assert next_slot(cron, "Asia/Shanghai", datetime.now(UTC)) > datetime.now(UTC)


def test_diff_window_skips_nightlies_that_died(tmp_path: Path) -> None:
    from certwatch.nightly_diff import previous_nightly_end

    engine = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    day = datetime(2026, 12, 1, 18, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        for hours, status in ((0, "finished"), (24, "failed"), (48, "running")):
            at = day + timedelta(hours=hours)
            session.add(NightlyRun(started_at=at, finished_at=at + timedelta(minutes=9),
                                   status=status, flags=[], summary={}))
    # The one killed mid-crawl (swept as failed) reported nothing: its listings belong to
    # the next digest, so the window starts when the last digest was written.
    assert previous_nightly_end(engine, 3) == day + timedelta(minutes=9)


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "certwatch.yaml").write_text("schedule: every night\n", "utf-8")
    proc = certwatch("nightly", home=tmp_path, check=False)
    assert proc.returncode == 2 and "not a cron expression" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    (tmp_path / "certwatch.yaml").write_text("webhok: {url: x}\n", "utf-8")
    proc = certwatch("nightly", home=tmp_path, check=False)
    assert proc.returncode == 2 and "unknown setting(s) ['webhok']" in proc.stderr


def test_digest_escapes_hostile_titles(tmp_path: Path) -> None:
    from certwatch.digest import Digest, render_html, render_markdown
    from certwatch.nightly_diff import DiffItem, NightDiff

    evil = DiffItem(7, "hostile", '<script>alert("x")</script>挂证', "http://h/", "guazheng",
                    0.99, ["<b>"])
    digest = Digest(1, datetime.now(UTC), "Asia/Shanghai", [], [],
                    NightDiff(None, [evil], [], [], [], []), [], [], "http://r", 0.8, 50)
    html = render_html(digest)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" not in render_markdown(digest)
    assert Config.from_env({"CERTWATCH_HOME": str(tmp_path)}).reports_dir.name == "reports"


def test_digest_lists_every_section_up_to_the_limit() -> None:
    from certwatch.digest import Digest, render_html, render_markdown
    from certwatch.nightly_diff import DiffItem, NightDiff

    plain = [DiffItem(i, "jobs58", f"普通信息{i}", f"http://x/{i}", "benign", 0.1)
             for i in range(1, 6)]
    risky = [DiffItem(i, "jobs58", f"挂证{i}", f"http://x/{i}", "guazheng", 0.95)
             for i in range(11, 14)]
    diff = NightDiff(None, risky + plain, changed=plain[:3], removed=plain[:4],
                     reappeared=plain[:3], contacts=[])
    digest = Digest(1, datetime.now(UTC), "Asia/Shanghai", [], [], diff, [], [], "http://r",
                    0.8, 2)
    md = render_markdown(digest)
    sections = {part.split("\n", 1)[0]: part for part in md.split("\n## ")[1:]}
    expected = {"新增高风险信息（风险分 ≥ 0.8）": ([11, 12], 1), "其他新增信息": ([1, 2], 3),
                "变更的信息": ([1, 2], 1), "下架的信息": ([1, 2], 2),
                "重新上架的信息": ([1, 2], 1)}
    for title, (ids, rest) in expected.items():
        listed = [int(n) for n in re.findall(r"\(http://r/listings/(\d+)\)", sections[title])]
        assert listed == ids, title
        assert f"另有 {rest} 条，见审核界面" in sections[title], title
    html = render_html(digest)
    assert html.count('<a href="http://r/listings/') == 10
    assert "<h2>其他新增信息</h2>" in html and "另有 3 条，见审核界面" in html


def test_failed_hunt_step_exits_6(tmp_path: Path) -> None:
    feed = tmp_path / "feeds"
    feed.mkdir()  # a directory where the feed file should be: the hunt cannot read it
    write_config(tmp_path, sources=["tieba"], feeds=[str(feed)],
                 hunt={"enabled": True, "fetch": False})
    proc = certwatch("nightly", "--night", "1", home=tmp_path, check=False)
    assert proc.returncode == 6, proc.stderr[-3000:]
    (run,) = nightly_rows(tmp_path)
    assert (run.status, run.exit_code, run.flags) == ("finished", 6, [])
    hunt = next(s for s in run.summary["steps"] if s["name"] == "仿冒网站排查")
    assert hunt["status"] == "failed" and "是目录，不是文件" in hunt["message"]
    md = Path(run.summary["digest"]["markdown"]).read_text("utf-8")
    assert "仿冒网站排查：无法读取域名源文件" in md


def test_schedule_waits_for_its_slot_then_exit_5_when_undelivered(
        tmp_path: Path, failing_site: str) -> None:
    with socket.socket() as s:  # a port nobody listens on: the mail server is down
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    open_store(f"sqlite:///{tmp_path / 'certwatch.db'}").dispose()  # migrated: quick start-up
    slot = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    local = slot.astimezone(ZoneInfo("Asia/Shanghai"))
    write_config(tmp_path, schedule=f"{local.minute} {local.hour} * * * {local.second}",
                 sources=["tieba"], webhook={"url": f"http://{failing_site}/hook"},
                 smtp={"host": "127.0.0.1", "port": closed, "to": ["analyst@example.cn"]})
    proc = certwatch("schedule", "--max-runs", "1", home=tmp_path, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = nightly_rows(tmp_path)
    # It waited for the slot (nothing was due at start-up) and ran it then.
    assert as_utc(run.scheduled_for) == slot and as_utc(run.started_at) >= slot
    assert (run.trigger, run.status, run.exit_code) == ("schedule", "finished", 5)
    steps = {s["name"]: s for s in run.summary["steps"]}
    assert steps["webhook"]["status"] == "failed" and "HTTP 500" in steps["webhook"]["message"]
    assert steps["email"]["status"] == "failed"
    assert f"next nightly at {iso(slot)}" in proc.stderr and "was missed" not in proc.stderr
    assert f"nightly for {iso(slot)} exited with status 5" in proc.stderr


def _night_pages(db: Path, night: int) -> int:
    try:
        with Session(create_engine(f"sqlite:///{db}")) as session:
            return session.scalar(select(func.count()).select_from(FetchedPage).join(CrawlRun)
                                  .where(CrawlRun.night == night)) or 0
    except OperationalError:  # schema not there yet
        return 0


def test_late_events_and_a_killed_nightly_are_reported_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_config(home, sources=["tieba"])
    t1 = {t.url: t for t in truth_listings(DEFAULT_SEED, 1) if t.site == "tieba"}
    t2 = {t.url: t for t in truth_listings(DEFAULT_SEED, 2) if t.site == "tieba"}
    engine = open_store(f"sqlite:///{home / 'certwatch.db'}")
    # A run that starts before the first nightly and writes after its digest, as a shared
    # batch closed after the nightly stopped waiting, or a long manual crawl, does.
    late = RunRecorder(engine, BodyStore(home / "bodies"), "late-source", batch="late")
    late.start()
    slow = tmp_path / "slow"
    slow.mkdir()
    doc = yaml.safe_load((REPO / "crawlers" / "sources" / "tieba.yaml").read_text("utf-8"))
    doc["politeness"] = {"delay": 0.05, "concurrency": 1, "autothrottle": False}
    (slow / "tieba.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    with embedded_sandbox(night=1) as address:
        env = {"CERTWATCH_SANDBOX": address}
        certwatch("nightly", "--night", "1", home=home, env=env)
        late.add_listing(ListingData(key="l1", url="http://late.example/l1", title="挂证晚到",
                                     text="社保不限", seen_at=datetime.now(UTC)))
        late.finish(status="finished", close_reason="finished", complete=False, stats={})
        # Night 2's nightly is killed mid-crawl (one page at a time, so the kill lands there).
        full_env = {**os.environ, "CERTWATCH_HOME": str(home), "CERTWATCH_SANDBOX": address,
                    "CERTWATCH_SOURCES_DIR": str(slow)}
        full_env.pop("CERTWATCH_DB_URL", None)
        proc = subprocess.Popen([sys.executable, "-m", "certwatch.cli", "nightly", "--night",
                                 "2"], cwd=REPO, env=full_env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while _night_pages(home / "certwatch.db", 2) < 30 and time.monotonic() < deadline:
            assert proc.poll() is None, "the nightly ended before it could be killed"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        for _ in range(2):
            certwatch("nightly", "--night", "2", home=home, env=env)
    runs = nightly_rows(home)
    assert [r.status for r in runs] == ["finished", "failed", "finished", "finished"]
    with Session(engine) as session:
        ids = dict(session.execute(select(Listing.url, Listing.id)).all())
    edited = {u for u in set(t1) & set(t2) if _content(t1[u]) != _content(t2[u])}
    diff = runs[2].summary["diff"]
    # Night 2's changes, half stored by the killed nightly, plus the late listing: once each.
    assert (diff["new"], diff["removed"], diff["changed"]) == (
        len(set(t2) - set(t1)) + 1, len(set(t1) - set(t2)), len(edited))
    md = Path(runs[2].summary["digest"]["markdown"]).read_text("utf-8").split("## 首次出现")[0]
    for url in (set(t2) - set(t1)) | (set(t1) - set(t2)) | edited | {"http://late.example/l1"}:
        assert md.count(f"/listings/{ids[url]})") == 1, url
    # ... and never again.
    assert runs[3].summary["diff"] == dict.fromkeys(
        ("new", "changed", "removed", "reappeared", "new_contacts"), 0)
